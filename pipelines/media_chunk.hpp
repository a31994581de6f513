// A cut of the broadcaster's MPEG-TS byte stream: what the pipelines hand to
// the tree. Knows nothing of the wire format.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace treecast::media {

struct media_chunk {
  std::uint64_t seq = 0;  // 0, 1, 2, ... in stream order
  // Wall clock (Unix epoch) when its oldest content was captured.
  std::uint64_t capture_time_us = 0;
  bool keyframe = false;  // starts with a video keyframe (PAT/PMT and SPS/PPS first)
  std::string bytes;      // whole 188-byte TS packets
  // The same cut as the low rendition and as sound alone (ts_renditions.hpp);
  // empty when the broadcast has none.
  std::string low_bytes;
  std::string audio_bytes;
  // Each rendition's kbit/s as measured (rendition_rates.hpp; full, low,
  // audio; 0 = none).
  std::array<std::uint32_t, 3> rendition_kbps{};
};

}  // namespace treecast::media
