#include "core/node.hpp"

#include <algorithm>
#include <cstdio>

#include "core/errors.hpp"
#include "wire/codec.hpp"

namespace treecast::core {
namespace {

std::string describe(const wire::endpoint& e) {
  return e.host + ":" + std::to_string(e.port);
}

std::string short_id(const wire::node_id_t& id) {
  char text[9];
  std::snprintf(text, sizeof text, "%02x%02x%02x%02x", id[0], id[1], id[2], id[3]);
  return text;
}

}  // namespace

node::node(node_config config, wire::node_id_t id, log_sink log)
    : config_(std::move(config)),
      id_(id),
      log_(std::move(log)),
      window_(config_.window_span, config_.window_max_bytes),
      reconnect_delay_(config_.reconnect_min) {
  if (is_root()) {
    path_ = {id_};
  }
}

void node::start(time_point now) {
  running_ = true;
  next_heartbeat_ = now + config_.heartbeat_interval;
  if (!is_root()) {
    connect_to_parent(now);
  }
}

void node::stop(time_point now) {
  running_ = false;
  for (const auto& [id, l] : links_) {
    if (l.connected) {
      send(id, wire::leave{"shutting down"});
    }
    outbox_.push_back(close_action{id, node_errc::shutting_down});
  }
  links_.clear();
  child_count_ = 0;
  parent_link_.reset();
  reconnect_at_.reset();
  next_heartbeat_.reset();
  log(log_level::info, now, "stopped");
}

bool node::attached() const {
  if (is_root()) {
    return running_;
  }
  if (!parent_link_) {
    return false;
  }
  return links_.at(*parent_link_).accepted;
}

std::optional<wire::endpoint> node::parent_endpoint() const {
  if (!parent_link_) {
    return std::nullopt;
  }
  return links_.at(*parent_link_).remote;
}

link_id_t node::on_link_accepted(const wire::endpoint& remote, time_point now) {
  const link_id_t id = next_link_id_++;
  link& l = links_[id];
  l.remote = remote;
  l.connected = true;
  l.last_heard = now;
  send(id, my_hello());
  log(log_level::debug, now, "link " + std::to_string(id) + " accepted from " + describe(remote));
  return id;
}

void node::on_link_connected(link_id_t id, time_point now) {
  auto it = links_.find(id);
  if (it == links_.end()) {
    return;  // closed meanwhile
  }
  link& l = it->second;
  l.connected = true;
  l.last_heard = now;
  send(id, my_hello());
  wire::join_request request;
  if (auto last = window_.last_seq()) {
    request.resume_from = *last + 1;
  }
  send(id, request);
  log(log_level::info, now, "connected to " + describe(l.remote) + ", joining");
}

void node::on_link_closed(link_id_t id, std::error_code why, time_point now) {
  auto it = links_.find(id);
  if (it == links_.end()) {
    return;
  }
  log(it->second.outbound ? log_level::warn : log_level::info, now,
      "link " + std::to_string(id) + " to " + describe(it->second.remote) +
          " closed: " + why.message());
  forget(id, now);
}

void node::on_frame(link_id_t id, const wire::shared_bytes& frame, time_point now) {
  wire::message message;
  if (const std::error_code ec = wire::decode_frame(frame, message)) {
    on_protocol_error(id, ec, now);
    return;
  }
  on_message(id, std::move(message), now);
}

void node::on_protocol_error(link_id_t id, std::error_code why, time_point now) {
  counters_.add(counter::protocol_errors);
  close_link(id, why, now);
}

void node::on_message(link_id_t id, wire::message message, time_point now) {
  auto it = links_.find(id);
  if (it == links_.end()) {
    return;
  }
  link& l = it->second;
  l.last_heard = now;
  const bool is_hello = std::holds_alternative<wire::hello>(message);
  if (!l.peer_hello && !is_hello) {
    counters_.add(counter::protocol_errors);
    close_link(id, node_errc::hello_expected, now);
    return;
  }
  std::visit([&](auto&& m) { handle(id, l, std::move(m), now); }, std::move(message));
}

void node::handle(link_id_t id, link& l, wire::hello&& m, time_point now) {
  if (l.peer_hello) {
    counters_.add(counter::protocol_errors);
    close_link(id, node_errc::duplicate_hello, now);
    return;
  }
  if (m.version != wire::protocol_version) {
    counters_.add(counter::protocol_errors);
    close_link(id, node_errc::version_mismatch, now);
    return;
  }
  l.peer_hello = std::move(m);
}

void node::handle(link_id_t id, link& l, wire::join_request&& m, time_point now) {
  if (l.outbound || l.accepted) {
    counters_.add(counter::protocol_errors);
    close_link(id, node_errc::unexpected_message, now);
    return;
  }
  if (config_.max_children == 0 || child_count_ >= config_.max_children || !attached()) {
    wire::join_redirect redirect;
    redirect.reason = config_.max_children == 0 ? "accepts no children"
                      : attached()              ? "full"
                                                : "not attached";
    for (const auto& [other_id, other] : links_) {
      if (other.accepted && !other.outbound && other.peer_hello &&
          other.peer_hello->listen_port != 0 &&
          redirect.candidates.size() < wire::max_redirect_candidates) {
        redirect.candidates.push_back({other.remote.host, other.peer_hello->listen_port});
      }
    }
    send(id, redirect);
    counters_.add(counter::children_refused);
    log(log_level::info, now, "refused child " + describe(l.remote) + ": " + redirect.reason);
    outbox_.push_back(close_action{id, node_errc::join_refused});
    links_.erase(id);
    return;
  }
  l.accepted = true;
  ++child_count_;
  counters_.add(counter::children_accepted);
  send(id, wire::join_accept{depth_, path_});
  log(log_level::info, now,
      "child " + short_id(l.peer_hello->node_id) + " at " + describe(l.remote) + " attached");
  serve_backlog(id, m.resume_from);
}

void node::serve_backlog(link_id_t child, std::optional<wire::seq_t> resume_from) {
  std::optional<wire::seq_t> start;
  const auto first = window_.first_seq();
  const auto last = window_.last_seq();
  if (resume_from && first && *resume_from >= *first && *resume_from <= *last + 1) {
    start = resume_from;
  } else {
    start = window_.newest_keyframe();
  }
  if (!start) {
    return;
  }
  for (const shared_chunk& c : window_.from(*start)) {
    outbox_.push_back(send_action{child, c->frame});
    counters_.add(counter::chunks_sent);
    counters_.add(counter::chunk_bytes_sent, c->frame->size());
  }
}

void node::handle(link_id_t id, link& l, wire::join_accept&& m, time_point now) {
  if (!l.outbound || l.accepted || parent_link_ != id) {
    counters_.add(counter::protocol_errors);
    close_link(id, node_errc::unexpected_message, now);
    return;
  }
  if (std::find(m.path.begin(), m.path.end(), id_) != m.path.end()) {
    close_link(id, node_errc::loop_detected, now);
    return;
  }
  l.accepted = true;
  depth_ = m.depth + 1;
  path_ = std::move(m.path);
  path_.push_back(id_);
  redirect_targets_.clear();
  reconnect_delay_ = config_.reconnect_min;
  counters_.add(counter::parent_attaches);
  log(log_level::info, now,
      "attached to " + describe(l.remote) + " at depth " + std::to_string(depth_));
}

void node::handle(link_id_t id, link& l, wire::join_redirect&& m, time_point now) {
  if (!l.outbound || l.accepted) {
    counters_.add(counter::protocol_errors);
    close_link(id, node_errc::unexpected_message, now);
    return;
  }
  log(log_level::info, now,
      "redirected by " + describe(l.remote) + " (" + m.reason + "), " +
          std::to_string(m.candidates.size()) + " candidates");
  redirect_targets_.assign(m.candidates.begin(), m.candidates.end());
  close_link(id, node_errc::join_refused, now);
}

void node::handle(link_id_t id, link& l, wire::chunk&& m, time_point now) {
  if (!l.outbound || !l.accepted || parent_link_ != id) {
    counters_.add(counter::protocol_errors);
    close_link(id, node_errc::chunk_not_from_parent, now);
    return;
  }
  accept_chunk(std::make_shared<const wire::chunk>(std::move(m)));
}

void node::handle(link_id_t, link&, wire::heartbeat&&, time_point) {
  // last_heard is already updated.
}

void node::handle(link_id_t id, link& l, wire::leave&& m, time_point now) {
  log(log_level::info, now, describe(l.remote) + " left: " + m.reason);
  outbox_.push_back(close_action{id, node_errc::shutting_down});
  forget(id, now);
}

void node::on_source_chunk(wire::chunk c, time_point) {
  if (!is_root() || !running_) {
    return;
  }
  accept_chunk(std::make_shared<const wire::chunk>(std::move(c)));
}

void node::accept_chunk(shared_chunk c) {
  switch (window_.insert(c)) {
    case chunk_window::insert_result::duplicate:
      counters_.add(counter::chunks_duplicate);
      return;
    case chunk_window::insert_result::too_old:
      counters_.add(counter::chunks_too_old);
      return;
    case chunk_window::insert_result::inserted:
      break;
  }
  counters_.add(counter::chunks_received);
  counters_.add(counter::chunk_bytes_received, c->frame->size());
  for (const auto& [id, l] : links_) {
    if (l.accepted && !l.outbound) {
      outbox_.push_back(send_action{id, c->frame});
      counters_.add(counter::chunks_sent);
      counters_.add(counter::chunk_bytes_sent, c->frame->size());
    }
  }
  outbox_.push_back(deliver_action{std::move(c)});
}

void node::on_timer(time_point now) {
  if (!running_) {
    return;
  }
  if (reconnect_at_ && now >= *reconnect_at_) {
    reconnect_at_.reset();
    connect_to_parent(now);
  }
  if (next_heartbeat_ && now >= *next_heartbeat_) {
    next_heartbeat_ = now + config_.heartbeat_interval;
    const duration silence_limit = config_.heartbeat_interval * config_.heartbeat_misses;
    std::vector<link_id_t> silent;
    for (const auto& [id, l] : links_) {
      if (!l.connected) {
        continue;  // the driver bounds connection attempts itself
      }
      if (now - l.last_heard > silence_limit) {
        silent.push_back(id);
      } else if (l.peer_hello) {
        send(id, wire::heartbeat{static_cast<std::uint64_t>(now.time_since_epoch().count())});
      }
    }
    for (link_id_t id : silent) {
      counters_.add(counter::heartbeat_timeouts);
      close_link(id, node_errc::heartbeat_timeout, now);
    }
  }
}

std::optional<time_point> node::next_deadline() const {
  std::optional<time_point> next = next_heartbeat_;
  if (reconnect_at_ && (!next || *reconnect_at_ < *next)) {
    next = reconnect_at_;
  }
  return next;
}

std::vector<action> node::take_actions() {
  std::vector<action> out;
  out.swap(outbox_);
  return out;
}

void node::connect_to_parent(time_point now) {
  wire::endpoint target = *config_.parent;
  if (!redirect_targets_.empty()) {
    target = redirect_targets_.front();
    redirect_targets_.pop_front();
  }
  const link_id_t id = next_link_id_++;
  link& l = links_[id];
  l.outbound = true;
  l.remote = target;
  l.last_heard = now;
  parent_link_ = id;
  outbox_.push_back(connect_action{id, target});
  log(log_level::debug, now, "connecting to " + describe(target));
}

void node::parent_gone(time_point now) {
  parent_link_.reset();
  counters_.add(counter::parent_losses);
  if (!running_) {
    return;
  }
  if (!redirect_targets_.empty()) {
    connect_to_parent(now);  // descend at once
    return;
  }
  reconnect_at_ = now + reconnect_delay_;
  reconnect_delay_ = std::min(reconnect_delay_ * 2, config_.reconnect_max);
}

void node::close_link(link_id_t id, std::error_code why, time_point now) {
  auto it = links_.find(id);
  if (it == links_.end()) {
    return;
  }
  log(log_level::warn, now,
      "closing link " + std::to_string(id) + " to " + describe(it->second.remote) + ": " +
          why.message());
  outbox_.push_back(close_action{id, why});
  forget(id, now);
}

void node::forget(link_id_t id, time_point now) {
  auto it = links_.find(id);
  if (it == links_.end()) {
    return;
  }
  if (it->second.accepted && !it->second.outbound) {
    --child_count_;
  }
  links_.erase(it);
  if (parent_link_ == id) {
    parent_gone(now);
  }
}

void node::send(link_id_t id, const wire::message& m) {
  outbox_.push_back(send_action{id, wire::encode_frame(m)});
}

wire::hello node::my_hello() const {
  wire::hello h;
  h.node_id = id_;
  h.listen_port = config_.listen_port;
  h.role = config_.role;
  h.site = config_.site;
  return h;
}

void node::log(log_level level, time_point now, const std::string& text) const {
  if (log_) {
    log_(level, now, text);
  }
}

}  // namespace treecast::core
