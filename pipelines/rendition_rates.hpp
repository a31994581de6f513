// What each rendition really costs a link, measured from the chunks cut.
//
// The encoders' bitrates are targets: x264 runs a few percent over its own,
// and the transport stream adds its packet headers, the PES headers of every
// sound frame (64 kbit/s of Opus is ~75 kbit/s of TS) and the tables. A
// viewer that went up to the low rendition on its nominal rate found its link
// a tenth too narrow. So the rates a keyframe chunk carries (signed, for the
// viewers' ABR) are these: each rendition's bytes over the last `window` of
// capture time, rounded up; the nominal rates until a second is measured.
//
// Pure logic on capture times (microseconds). Not thread-safe.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>

#include "media_chunk.hpp"

namespace treecast::media {

class rendition_rates {
 public:
  using rates = std::array<std::uint32_t, 3>;  // kbit/s: full, low, audio; 0 = none

  explicit rendition_rates(rates nominal,
                           std::chrono::milliseconds window = std::chrono::seconds(4))
      : nominal_(nominal), window_us_(window.count() * 1000) {}

  // Counts the chunk's bytes of each rendition.
  void add(const media_chunk& c);

  // The measured rates, or the nominal ones while less than a second is
  // known. A rendition the broadcast does not have stays 0.
  rates current() const;

 private:
  struct sample {
    std::uint64_t capture_us;
    std::array<std::size_t, 3> bytes;
  };
  rates nominal_;
  std::int64_t window_us_;
  std::deque<sample> samples_;
  std::array<std::size_t, 3> in_window_{};
};

}  // namespace treecast::media
