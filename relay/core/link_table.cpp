#include "core/link_table.hpp"

#include <algorithm>

#include "core/errors.hpp"
#include "wire/codec.hpp"

namespace treecast::core {

link_id_t link_table::accept(const wire::endpoint& remote) {
  const link_id_t id = next_id_++;
  link& l = links_[id];
  l.kind = link_kind::inbound;
  l.remote = remote;
  l.connected = true;
  l.opened_at = ctx_.now;
  l.last_heard = ctx_.now;
  ++inbound_;
  ++unadmitted_;
  return id;
}

link_id_t link_table::open(link_kind kind, const wire::endpoint& to) {
  const link_id_t id = next_id_++;
  link& l = links_[id];
  l.kind = kind;
  l.remote = to;
  l.opened_at = ctx_.now;
  l.last_heard = ctx_.now;
  ctx_.act(connect_action{id, to});
  return id;
}

link* link_table::find(link_id_t id) {
  const auto it = links_.find(id);
  return it == links_.end() ? nullptr : &it->second;
}

const link* link_table::find(link_id_t id) const {
  const auto it = links_.find(id);
  return it == links_.end() ? nullptr : &it->second;
}

void link_table::send(link_id_t id, const wire::message& m) {
  send_frame(id, wire::encode_frame(m));
}

void link_table::send_frame(link_id_t id, const wire::shared_bytes& frame) {
  if (link* l = find(id)) {
    send_frame(id, *l, frame);
    return;
  }
  ctx_.act(send_action{id, frame});  // the driver ignores a link it no longer has
}

void link_table::send_frame(link_id_t id, link& l, const wire::shared_bytes& frame) {
  l.last_sent = ctx_.now;
  l.queued_bytes += frame->size();
  l.bytes_queued_total += frame->size();
  l.unwritten.emplace_back(l.bytes_queued_total, ctx_.now);
  check_bound(id, l);
  ctx_.act(send_action{id, frame});
}

void link_table::check_bound(link_id_t id, link& l) {
  if (l.queued_bytes + l.held_bytes > ctx_.config.max_pending_bytes && !l.overflowed) {
    l.overflowed = true;
    overflowed_.push_back(id);
  }
}

void link_table::set_held(link_id_t id, link& l, std::size_t bytes) {
  l.held_bytes = bytes;
  check_bound(id, l);
}

void link_table::on_written(link_id_t id, std::size_t bytes) {
  link* l = find(id);
  if (!l) {
    return;
  }
  // Bytes waited since the last write: this one took the link's own time.
  const double seconds = std::chrono::duration<double>(ctx_.now - l->last_written).count();
  if (l->waiting_since_written && seconds > 0) {
    const double sample = static_cast<double>(bytes) / seconds;
    l->written_bytes_per_second = l->written_bytes_per_second == 0
                                      ? sample
                                      : 0.8 * l->written_bytes_per_second + 0.2 * sample;
  }
  l->queued_bytes -= std::min(bytes, l->queued_bytes);
  l->bytes_written_total += bytes;
  auto& frames = l->unwritten;
  while (l->unwritten_head < frames.size() &&
         frames[l->unwritten_head].first <= l->bytes_written_total) {
    ++l->unwritten_head;
  }
  if (l->unwritten_head == frames.size()) {
    frames.clear();  // the usual case: all written; the capacity stays
    l->unwritten_head = 0;
  } else if (l->unwritten_head > 64 && 2 * l->unwritten_head > frames.size()) {
    frames.erase(frames.begin(), frames.begin() + static_cast<std::ptrdiff_t>(l->unwritten_head));
    l->unwritten_head = 0;
  }
  l->last_written = ctx_.now;
  l->waiting_since_written = l->queued_bytes > 0;
}

std::size_t link_table::send_window(const link& l) const {
  const auto& c = ctx_.config;
  if (l.written_bytes_per_second == 0) {
    return c.initial_send_window;
  }
  const auto paced = static_cast<std::size_t>(l.written_bytes_per_second *
                                              std::chrono::duration<double>(c.send_window).count());
  return std::max(c.min_send_window, paced);
}

duration link_table::queue_age(const link& l) const {
  return l.unwritten_head == l.unwritten.size() ? duration::zero()
                                                : ctx_.now - l.unwritten[l.unwritten_head].second;
}

std::vector<link_id_t> link_table::take_overflowed() {
  std::vector<link_id_t> out;
  out.swap(overflowed_);
  return out;
}

void link_table::close(link_id_t id, std::error_code why) {
  const link* l = find(id);
  if (!l) {
    return;
  }
  if (why.category() != node_category() || why == node_errc::loop_detected ||
      why == node_errc::heartbeat_timeout || why == node_errc::hello_expected ||
      why == node_errc::unexpected_message || why == node_errc::chunk_not_from_parent ||
      why == node_errc::send_queue_full || why == node_errc::flooding ||
      why == node_errc::never_joined || why == node_errc::impostor) {
    ctx_.log(log_level::warn, "closing link to " + describe(l->remote) + ": " + why.message());
  }
  ctx_.act(close_action{id, why, why == node_errc::send_queue_full});
}

std::optional<link> link_table::remove(link_id_t id) {
  const auto it = links_.find(id);
  if (it == links_.end()) {
    return std::nullopt;
  }
  link gone = std::move(it->second);
  links_.erase(it);
  if (gone.kind == link_kind::inbound) {
    --inbound_;
    unadmitted_ -= gone.peer_hello ? 0 : 1;
  }
  return gone;
}

std::error_code link_table::admit(link& l, wire::hello&& h, std::string& refusal) {
  if (l.peer_hello) {
    return node_errc::duplicate_hello;
  }
  if (h.version != wire::protocol_version) {
    return node_errc::version_mismatch;
  }
  if (h.node_id == ctx_.id) {
    return node_errc::impostor;  // another peer with our id, or ourselves: no link
  }
  if (ctx_.config.admission) {
    if (auto refused = ctx_.config.admission->check(h.token, h.role, std::nullopt)) {
      refusal = std::move(*refused);
      return node_errc::unauthorized;
    }
  }
  l.peer_hello = std::move(h);
  unadmitted_ -= l.kind == link_kind::inbound ? 1 : 0;
  return {};
}

std::optional<std::string> link_table::newcomer_refusal(const link& l) const {
  if (!ctx_.config.admission || !l.peer_hello) {
    return std::nullopt;
  }
  return ctx_.config.admission->check(l.peer_hello->token, l.peer_hello->role,
                                      ctx_.unix_us() / 1'000'000);
}

bool link_table::within_message_rate(link& l) const {
  if (!l.message_budget) {
    const double rate = ctx_.config.max_messages_per_second;
    l.message_budget.emplace(rate, 2 * rate);
  }
  return l.message_budget->allow(ctx_.now);
}

wire::hello link_table::my_hello() const {
  wire::hello h;
  h.node_id = ctx_.id;
  h.listen_port = ctx_.config.listen_port;
  h.role = ctx_.config.role;
  h.site = ctx_.config.site;
  h.token = ctx_.config.token;
  h.max_children = static_cast<std::uint32_t>(ctx_.config.max_children);
  return h;
}

std::vector<link_id_t> link_table::sweep() {
  const auto& c = ctx_.config;
  std::vector<link_id_t> silent;
  for (auto& [id, l] : links_) {
    if (!l.connected) {
      continue;  // the driver bounds connection attempts itself
    }
    const duration theirs = l.slow_peer ? c.standby_heartbeat_interval : c.heartbeat_interval;
    const duration ours =
        l.kind == link_kind::standby ? c.standby_heartbeat_interval : c.heartbeat_interval;
    // A peer we keep bytes waiting for has a full downlink: the ACKs of what
    // it sends us wait in that link's queue, its TCP's retransmission timer
    // fires meanwhile and its sends back off (measured: a 150 kbit/s child
    // unheard for over a second). Its patience is longer; a frozen peer on
    // a wide link still goes as soon (its kernel reads until its buffer
    // fills: nothing waits here before then).
    const int misses = c.heartbeat_misses * (l.queued_bytes + l.held_bytes > 0 ? 4 : 1);
    if (ctx_.now - l.last_heard > theirs * misses) {
      silent.push_back(id);
    } else if (l.peer_hello && ctx_.now - l.last_sent >= ours) {
      // Only idle links need one: chunks and reports prove liveness too.
      send_frame(id, l, wire::encode_frame(wire::heartbeat{}));
    }
  }
  return silent;
}

}  // namespace treecast::core
