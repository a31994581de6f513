#include "playout_shift.hpp"

#include <algorithm>
#include <chrono>

namespace treecast::media {

std::int64_t wall_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void live_edge::note_arrival(std::uint64_t capture_time_us) {
  recent_us_[count_++ % recent_us_.size()] =
      wall_now_us() - static_cast<std::int64_t>(capture_time_us);
  const auto n = static_cast<std::ptrdiff_t>(std::min(count_, recent_us_.size()));
  edge_us_.store(*std::min_element(recent_us_.begin(), recent_us_.begin() + n));
}

std::int64_t playout_shift(const playout_frame& f) {
  const bool running_dry = f.slack_us < late_tolerance_us;
  const bool buffer_short = f.delay_us + late_tolerance_us <= f.wanted_us && running_dry;
  const bool buffer_long = f.delay_us - early_tolerance_us >= f.wanted_us;
  if (!f.first && !buffer_short && !buffer_long) {
    return 0;
  }
  return f.wanted_us - f.delay_us;
}

}  // namespace treecast::media
