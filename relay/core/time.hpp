// The engine's notion of time. The engine never reads a clock: every input
// carries `now`, measured from an epoch the driver chooses (the Asio runtime
// uses the steady clock, the simulator virtual time).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

namespace treecast::core {

struct engine_clock {
  using rep = std::int64_t;
  using period = std::micro;
  using duration = std::chrono::microseconds;
  using time_point = std::chrono::time_point<engine_clock>;
  static constexpr bool is_steady = true;
};

using duration = engine_clock::duration;
using time_point = engine_clock::time_point;

// A delay as the wire carries it (microseconds, saturating; never negative).
inline std::uint32_t to_wire_us(duration d) {
  return static_cast<std::uint32_t>(std::clamp<duration::rep>(d.count(), 0, UINT32_MAX));
}

// A delay in whole milliseconds, for logs.
inline std::string ms_text(duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

}  // namespace treecast::core
