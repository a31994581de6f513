#include "core/child_pacing.hpp"

#include <algorithm>

namespace treecast::core {

namespace {

// The bytes a frame of `c` cut to `wants` takes (rendition_subscriptions
// cuts it): its frame less the parts left out, framing included.
double frame_bytes(const wire::chunk& c, wire::rendition_set wants) {
  constexpr std::size_t part_framing = 6;  // its tags and lengths, about
  double bytes = c.frame ? static_cast<double>(c.frame->size()) : 0;
  auto leave_out = [&](const wire::chunk_part& p) {
    if (!(wants & wire::rendition_bit(p.kind))) {
      bytes -= static_cast<double>(p.body.size() + p.signature.size() + part_framing);
    }
  };
  if ((c.renditions() & wants) != 0) {  // else the whole frame goes (frame_for)
    leave_out(c);
    for (const auto& p : c.more) {
      leave_out(p);
    }
  }
  return std::max(bytes, 0.0);
}

}  // namespace

double stream_bytes_per_second(const chunk_window& window, wire::rendition_set wants) {
  const auto first = window.first_seq();
  if (!first) {
    return 0;
  }
  const std::vector<shared_chunk> chunks = window.from(*first);
  const std::uint64_t newest_us = chunks.back()->capture_time_us;
  const auto span_us = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(stream_rate_span).count());
  // The chunks before the newest, over the capture time from the oldest of
  // them to the newest: each chunk's bytes over its own interval.
  double bytes = 0;
  std::uint64_t oldest_us = newest_us;
  for (auto it = chunks.rbegin() + 1; it < chunks.rend(); ++it) {
    if (newest_us - (*it)->capture_time_us > span_us) {
      break;
    }
    bytes += frame_bytes(**it, wants);
    oldest_us = (*it)->capture_time_us;
  }
  return oldest_us < newest_us ? bytes * 1e6 / static_cast<double>(newest_us - oldest_us) : 0;
}

double child_pace(std::uint32_t downlink_kbps, double stream_bytes_per_second) {
  const double downlink_bytes_per_second = static_cast<double>(downlink_kbps) * 1000 / 8;
  return std::max(downlink_share * downlink_bytes_per_second,
                  stream_margin * stream_bytes_per_second);
}

}  // namespace treecast::core
