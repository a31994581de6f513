#include "playout_shift.hpp"

namespace treecast::media {

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
