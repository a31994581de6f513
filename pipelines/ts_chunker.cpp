#include "ts_chunker.hpp"

#include <algorithm>
#include <cstdlib>

namespace treecast::media {
namespace {

std::string_view as_view(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace

ts_chunker::ts_chunker(config cfg, sink out) : config_(cfg), out_(std::move(out)) {}

void ts_chunker::push(std::span<const std::uint8_t> bytes, bool keyframe,
                      std::uint64_t capture_time_us, std::optional<std::uint16_t> frame_of) {
  whole_frames_ = whole_frames_ || frame_of.has_value();
  if (open_) {
    // The low video's keyframe of the same frame (ts_renditions.hpp) is no
    // new chunk: the chunk starts both.
    const bool same_frame_keyframe =
        keyframe && key_capture_us_ &&
        std::abs(static_cast<std::int64_t>(capture_time_us - *key_capture_us_)) < same_frame_us;
    const bool new_pes = capture_time_us != last_capture_us_;
    const auto spanned = static_cast<std::int64_t>(capture_time_us) -
                         static_cast<std::int64_t>(current_.capture_time_us);
    if (keyframe && !same_frame_keyframe) {
      if (whole_frames_ && !frame_in_chunk_ && !current_.keyframe) {
        lead_keyframe(capture_time_us);
      } else {
        flush();
      }
    } else if (!whole_frames_ && new_pes && spanned >= config_.target_duration.count()) {
      flush();
    }
  }
  if (!open_) {
    open(bytes, keyframe, capture_time_us);
  }
  for (std::size_t at = 0; at + ts_packet_size <= bytes.size(); at += ts_packet_size) {
    tables_.observe(as_view(bytes.subspan(at, ts_packet_size)));
  }
  current_.capture_time_us = std::min(current_.capture_time_us, capture_time_us);
  current_.bytes.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  last_capture_us_ = capture_time_us;
  if ((frame_of && frame_ends_chunk(*frame_of, capture_time_us)) ||
      current_.bytes.size() >= config_.max_bytes) {
    flush();
  }
}

void ts_chunker::open(std::span<const std::uint8_t> bytes, bool keyframe,
                      std::uint64_t capture_time_us) {
  open_ = true;
  current_.seq = next_seq_;
  current_.capture_time_us = capture_time_us;
  current_.keyframe = keyframe;
  current_.bytes.clear();
  if (keyframe) {
    key_capture_us_ = capture_time_us;
    const bool starts_with_pat =
        bytes.size() >= ts_packet_size && ts_packet_pid(as_view(bytes)) == std::uint16_t{0};
    if (!starts_with_pat) {
      current_.bytes = tables_.tables();
    }
  }
}

void ts_chunker::lead_keyframe(std::uint64_t capture_time_us) {
  current_.keyframe = true;
  key_capture_us_ = capture_time_us;
  current_.bytes.insert(0, tables_.tables());
}

bool ts_chunker::frame_ends_chunk(std::uint16_t pid, std::uint64_t capture_time_us) {
  frame_in_chunk_ = true;
  const auto at = static_cast<std::int64_t>(capture_time_us);
  frame_times& times = frames_[pid];
  if (times.last_us != 0 && at > times.last_us) {
    times.interval_us = at - times.last_us;
  }
  times.last_us = at;
  // The full and the low video's frames of one capture go in one chunk.
  for (const auto& [other, t] : frames_) {
    if (t.last_us + same_frame_us < at) {
      return false;
    }
  }
  return at + times.interval_us - static_cast<std::int64_t>(current_.capture_time_us) >=
         config_.target_duration.count();
}

void ts_chunker::flush() {
  if (!open_) {
    return;
  }
  open_ = false;
  frame_in_chunk_ = false;
  key_capture_us_.reset();
  ++next_seq_;
  out_(std::move(current_));
  current_ = media_chunk{};
}

}  // namespace treecast::media
