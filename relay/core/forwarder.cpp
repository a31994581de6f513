#include "core/forwarder.hpp"

#include <cstdlib>

namespace treecast::core {

forwarder::forwarder(node_context& context)
    : ctx_(context), window_(context.config.window_span, context.config.window_max_bytes) {}

forwarder::verdict forwarder::check(const wire::chunk& c) const {
  const auto& config = ctx_.config;
  if (!config.stream_id.empty() && c.stream_id != config.stream_id) {
    return verdict::other_stream;
  }
  if (config.verifier) {
    // Every part is signed on its own: one forged rendition spoils the chunk.
    if (!config.verifier->verify(c.body, c.signature)) {
      return verdict::bad_signature;
    }
    for (const auto& part : c.more) {
      if (!config.verifier->verify(part.body, part.signature)) {
        return verdict::bad_signature;
      }
    }
  }
  if (ctx_.has_wall_clock() && config.max_chunk_age > duration::zero()) {
    const std::int64_t age_us = ctx_.unix_us() - static_cast<std::int64_t>(c.capture_time_us);
    if (std::abs(age_us) > config.max_chunk_age.count()) {
      return verdict::stale;
    }
  }
  return verdict::good;
}

bool forwarder::accept(const shared_chunk& c) {
  switch (window_.insert(c)) {
    case chunk_window::insert_result::duplicate:
      ctx_.stats.add(counter::chunks_duplicate);
      return false;
    case chunk_window::insert_result::too_old:
      ctx_.stats.add(counter::chunks_too_old);
      return false;
    case chunk_window::insert_result::inserted:
      break;
  }
  ctx_.stats.add(counter::chunks_received);
  ctx_.stats.add(counter::chunk_bytes_received, c->frame->size());
  if (highest_seq_ && c->seq > *highest_seq_ + 1) {
    ctx_.stats.add(counter::chunks_missed, c->seq - *highest_seq_ - 1);
  } else if (highest_seq_ && c->seq < *highest_seq_) {
    ctx_.stats.take_back(counter::chunks_missed);  // a gap filled after all (gap fill, backlog)
  }
  if (!highest_seq_ || c->seq > *highest_seq_) {
    highest_seq_ = c->seq;
  }
  last_chunk_at_ = ctx_.now;
  return true;
}

bool forwarder::starving(bool has_parent) const {
  return has_parent && last_chunk_at_ &&
         ctx_.now - *last_chunk_at_ > ctx_.config.starvation_timeout;
}

std::optional<time_point> forwarder::starvation_deadline(bool has_parent) const {
  if (!has_parent || !last_chunk_at_) {
    return std::nullopt;
  }
  return *last_chunk_at_ + ctx_.config.starvation_timeout + std::chrono::milliseconds(1);
}

duration forwarder::silent_for() const {
  return last_chunk_at_ ? ctx_.now - *last_chunk_at_ : duration{};
}

}  // namespace treecast::core
