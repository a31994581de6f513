#include "runtime/node_runtime.hpp"

#include "core/peer_claims.hpp"
#include "core/site_inference.hpp"
#include "runtime/congestion_control.hpp"
#include "runtime/program_loop.hpp"

#include "runtime/tls_context.hpp"

#include <boost/asio/post.hpp>
#include <random>
#include <stdexcept>

namespace treecast::runtime {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

wire::node_id_t random_node_id() {
  std::random_device device;
  wire::node_id_t id;
  for (auto& byte : id) {
    byte = static_cast<std::uint8_t>(device());
  }
  return id;
}

}  // namespace

node_runtime::node_runtime(asio::io_context& io, core::node_config node_config,
                           runtime_config config, core::log_sink log)
    : io_(io),
      node_config_(std::move(node_config)),
      config_(std::move(config)),
      log_(std::move(log)),
      acceptor_(io),
      accept_pacing_(io, "peer listener",
                     [this](const std::string& line) {
                       if (log_) {
                         log_(core::log_level::warn, now(), line);
                       }
                     }),
      timer_(io) {}

node_runtime::~node_runtime() {
  for (auto& [id, link] : links_) {
    link->detach();
  }
}

core::time_point node_runtime::now() {
  return core::time_point(std::chrono::duration_cast<core::duration>(
      std::chrono::steady_clock::now().time_since_epoch()));
}

void node_runtime::start() {
  tls_ = make_tls_context();
  // A peer that takes no children (--max-children 0) opens no port: nobody
  // can reach it, so nobody is ever handed its address (listen port 0).
  const bool consume_only =
      node_config_.max_children == 0 && node_config_.role != wire::peer_role::broadcaster;
  if (!config_.listen_host.empty() && !consume_only) {
    const tcp::endpoint where(asio::ip::make_address(config_.listen_host), config_.listen_port);
    acceptor_.open(where.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(where);
    acceptor_.listen();
    listen_port_ = acceptor_.local_endpoint().port();
    node_config_.listen_port = listen_port_;
  }
  if (const std::string problem = node_config_.validate(); !problem.empty()) {
    throw std::invalid_argument(problem);
  }
  // The root's id is derived from the stream key, so every peer knows which
  // id a path must start with (core/peer_claims.hpp).
  const bool root = node_config_.role == wire::peer_role::broadcaster;
  const wire::node_id_t id = root && !node_config_.stream_id.empty()
                                 ? core::root_node_id(node_config_.stream_id)
                                 : random_node_id();
  node_.emplace(node_config_, id, std::random_device{}(), log_);
  if (consume_only) {
    log_(core::log_level::info, now(),
         "consume only (--max-children 0): no port opened, this peer forwards to no one");
  }
  if (const std::string note = congestion_control_note(); !note.empty()) {
    log_(core::log_level::info, now(), note);
  }
  if (core::site_inference::inferred(node_config_.site)) {
    log_(core::log_level::info, now(),
         "site " + node_config_.site + ", inferred from this peer's address (--site overrides)");
  }
  node_->on_wall_clock(static_cast<std::int64_t>(wall_time_us()), now());
  node_->start(now());
  drain();
  if (acceptor_.is_open()) {
    accept_next();
  }
}

void node_runtime::stop() {
  if (leaving_ || stopped_ || !node_) {
    return;
  }
  leaving_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  accept_pacing_.cancel();
  // Graceful: the engine hands our children over and stops once they have
  // moved (or after its linger); drain() notices and lets the loop run out.
  node_->leave(now());
  drain();
}

void node_runtime::submit_source_chunk(wire::chunk c) {
  // The lambda owns the chunk; `this` outlives the io_context's run because
  // the programs destroy the runtime only after io_context::run() returns.
  asio::post(io_, [this, c = std::move(c)]() mutable {
    if (stopped_) {
      return;
    }
    node_->on_source_chunk(std::move(c), now());
    drain();
  });
}

void node_runtime::want_renditions(wire::rendition_set set, bool narrow_downlink) {
  if (stopped_ || !node_) {
    return;
  }
  node_->want_renditions(set, narrow_downlink, now());
  drain();
}

void node_runtime::accept_next() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open() || stopped_) {
      return;
    }
    // Out of descriptors (or another accept failure): try again later
    // rather than at once.
    if (accept_pacing_.retry_later(ec, [this] {
          if (!stopped_) {
            accept_next();
          }
        })) {
      return;
    }
    boost::system::error_code remote_ec;
    const tcp::endpoint remote = socket.remote_endpoint(remote_ec);
    if (!remote_ec) {
      const core::link_id_t id =
          node_->on_link_accepted({remote.address().to_string(), remote.port()}, now());
      auto link =
          std::make_shared<link_connection>(std::move(socket), *tls_, id, as_handler(), config_);
      links_.emplace(id, link);
      link->start();
      drain();
    }
    accept_next();
  });
}

void node_runtime::on_link_connected(core::link_id_t link) {
  node_->on_link_connected(link, now());
  drain();
}

void node_runtime::on_link_frame(core::link_id_t link, const wire::shared_bytes& frame) {
  node_->on_frame(link, frame, now());
  drain();
}

void node_runtime::on_link_failed(core::link_id_t link, std::error_code why) {
  links_.erase(link);
  node_->on_link_closed(link, why, now());
  drain();
}

void node_runtime::on_link_protocol_error(core::link_id_t link, std::error_code why) {
  links_.erase(link);
  node_->on_protocol_error(link, why, now());
  drain();
}

void node_runtime::on_link_written(core::link_id_t link, std::size_t bytes) {
  // Usually bookkeeping alone: a drain only when chunks held for room on
  // that link went (late binding), so the per-chunk write path stays cheap.
  if (node_->on_link_written(link, bytes, now())) {
    drain();
  }
}

void node_runtime::on_link_bytes(core::link_id_t link) {
  node_->on_link_heard(link, now());  // no action follows: no drain
}

void node_runtime::drain() {
  // Actions can trigger more input only asynchronously (handlers are posted
  // or run from the io loop), so one pass empties the outbox.
  for (core::action& a : node_->take_actions()) {
    if (auto* send = std::get_if<core::send_action>(&a)) {
      if (auto it = links_.find(send->link); it != links_.end()) {
        it->second->send(std::move(send->frame));
      }
    } else if (auto* connect = std::get_if<core::connect_action>(&a)) {
      auto link = std::make_shared<link_connection>(tcp::socket(io_), *tls_, connect->link,
                                                    as_handler(), config_);
      links_.emplace(connect->link, link);
      link->connect(connect->to.host, connect->to.port);
    } else if (auto* close = std::get_if<core::close_action>(&a)) {
      if (auto it = links_.find(close->link); it != links_.end()) {
        if (close->abort) {
          it->second->detach();  // its peer stopped reading: nothing queued will go
        } else {
          it->second->close_after_flush();
        }
        links_.erase(it);
      }
    } else if (auto* pace = std::get_if<core::pace_action>(&a)) {
      if (auto it = links_.find(pace->link); it != links_.end()) {
        it->second->pace(pace->bytes_per_second);
      }
    } else if (auto* deliver = std::get_if<core::deliver_action>(&a)) {
      const core::time_point at = now();
      if (last_delivery_) {
        max_delivery_gap_ = std::max(max_delivery_gap_, at - *last_delivery_);
      }
      last_delivery_ = at;
      latency_.add(static_cast<std::int64_t>(wall_time_us()) -
                   static_cast<std::int64_t>(deliver->chunk->capture_time_us));
      if (deliver_) {
        deliver_(deliver->chunk);
      }
    } else if (auto* give_up = std::get_if<core::give_up_action>(&a)) {
      if (give_up_) {
        // Posted: the handler typically stops this runtime, which must not
        // happen in the middle of draining.
        asio::post(io_, [handler = give_up_, reason = give_up->reason] { handler(reason); });
      }
    } else if (auto* event = std::get_if<core::event_action>(&a)) {
      const auto* repaired = std::get_if<core::repair_finished_event>(&event->event);
      if (repaired && repaired_) {
        repaired_(repaired->took);
      }
    }
  }
  if (node_->stopped()) {
    stopped_ = true;
    timer_.cancel();
    return;
  }
  arm_timer();
}

std::optional<std::chrono::milliseconds> node_runtime::take_max_delivery_gap() {
  if (!last_delivery_) {
    return std::nullopt;
  }
  // Time since the last chunk counts too: a stall shows while it lasts.
  const auto gap = std::max(max_delivery_gap_, now() - *last_delivery_);
  max_delivery_gap_ = {};
  return std::chrono::duration_cast<std::chrono::milliseconds>(gap);
}

void node_runtime::arm_timer() {
  const std::optional<core::time_point> deadline = node_->next_deadline();
  if (deadline == armed_for_) {
    return;
  }
  armed_for_ = deadline;
  if (!deadline) {
    timer_.cancel();
    return;
  }
  timer_.expires_after(*deadline - now());
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) {
      return;
    }
    armed_for_.reset();
    node_->on_wall_clock(static_cast<std::int64_t>(wall_time_us()), now());
    node_->on_timer(now());
    drain();
  });
}

}  // namespace treecast::runtime
