#include "ts_chunker.hpp"

#include <cstdlib>

namespace treecast::media {
namespace {

std::string_view as_view(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace

ts_chunker::ts_chunker(config cfg, sink out) : config_(cfg), out_(std::move(out)) {}

void ts_chunker::push(std::span<const std::uint8_t> bytes, bool keyframe,
                      std::uint64_t capture_time_us) {
  if (open_) {
    const bool new_pes = capture_time_us != last_capture_us_;
    const auto spanned = static_cast<std::int64_t>(capture_time_us) -
                         static_cast<std::int64_t>(current_.capture_time_us);
    // The low video's keyframe of the same frame (ts_renditions.hpp) is no
    // new chunk: the chunk starts both.
    const bool same_frame_keyframe =
        keyframe && current_.keyframe && std::abs(spanned) < same_frame_us;
    if ((keyframe && !same_frame_keyframe) ||
        (new_pes && spanned >= config_.target_duration.count())) {
      flush();
    }
  }
  if (!open_) {
    open_ = true;
    current_.seq = next_seq_;
    current_.capture_time_us = capture_time_us;
    current_.keyframe = keyframe;
    current_.bytes.clear();
    const bool starts_with_pat =
        bytes.size() >= ts_packet_size && ts_packet_pid(as_view(bytes)) == std::uint16_t{0};
    if (keyframe && !starts_with_pat) {
      current_.bytes = tables_.tables();
    }
  }
  for (std::size_t at = 0; at + ts_packet_size <= bytes.size(); at += ts_packet_size) {
    tables_.observe(as_view(bytes.subspan(at, ts_packet_size)));
  }
  current_.bytes.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  last_capture_us_ = capture_time_us;
  if (current_.bytes.size() >= config_.max_bytes) {
    flush();
  }
}

void ts_chunker::flush() {
  if (!open_) {
    return;
  }
  open_ = false;
  ++next_seq_;
  out_(std::move(current_));
  current_ = media_chunk{};
}

}  // namespace treecast::media
