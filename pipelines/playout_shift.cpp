#include "playout_shift.hpp"

#include <algorithm>
#include <chrono>

namespace treecast::media {

std::int64_t wall_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void live_edge::note_arrival(std::uint64_t capture_time_us, std::int64_t now_us) {
  recent_.push_back({now_us, now_us - static_cast<std::int64_t>(capture_time_us)});
  while (recent_.front().at_us < now_us - span_us) {
    recent_.pop_front();  // the newest stays: its time is now
  }
  edge_us_.store(std::min_element(recent_.begin(), recent_.end(), [](auto& a, auto& b) {
                   return a.delay_us < b.delay_us;
                 })->delay_us);
}

std::int64_t playout_shift(const playout_frame& f) {
  const bool running_dry = f.slack_us < late_tolerance_us;
  const bool buffer_short = f.delay_us + late_tolerance_us <= f.wanted_us && running_dry;
  const bool buffer_long = f.delay_us - early_tolerance_us >= f.wanted_us;
  if (f.first) {
    return f.wanted_us - f.delay_us;
  }
  const std::int64_t short_by = f.wanted_us - f.delay_us;
  if (buffer_short) {
    // A frame already late is held no longer than it is late: it shows at
    // once, and the rest of the buffer builds up at the next frames that
    // run dry, rather than standing the picture still longer now. One
    // still on time takes a step the eye does not see when it may.
    if (f.slack_us < 0) {
      return std::min(short_by, -f.slack_us);
    }
    return f.may_restore ? std::min(short_by, restore_step_us) : short_by;
  }
  if (f.may_restore && short_by > restore_margin_us && f.slack_us >= 0) {
    return std::min(short_by, restore_step_us);
  }
  if (buffer_long) {
    // No sooner than this frame can still be shown on time: a jump past
    // what is buffered would stand the picture still.
    const std::int64_t sooner = std::min(f.delay_us - f.wanted_us, f.slack_us - late_tolerance_us);
    return sooner > 0 ? -sooner : 0;
  }
  return 0;
}

}  // namespace treecast::media
