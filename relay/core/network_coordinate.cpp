#include "core/network_coordinate.hpp"

#include <algorithm>
#include <cmath>

namespace treecast::core {
namespace {

// Wire units are 0.1 ms.
constexpr double units_per_ms = 10.0;
constexpr double max_ms = wire::max_coordinate_component / units_per_ms;
constexpr double max_rtt_ms = 10000.0;
constexpr double coincident_ms = 1e-6;

double ms(std::int64_t units) {
  return static_cast<double>(units) / units_per_ms;
}

std::int32_t units(double ms) {
  return static_cast<std::int32_t>(std::lround(std::clamp(ms, -max_ms, max_ms) * units_per_ms));
}

}  // namespace

void network_coordinate::observe(duration rtt, const wire::coordinate& remote,
                                 std::mt19937_64& random) {
  const double rtt_ms = std::chrono::duration<double, std::milli>(rtt).count();
  if (!(rtt_ms > 0) || rtt_ms > max_rtt_ms) {
    return;
  }
  history_.push_back({rtt_ms, remote});
  if (history_.size() > history) {
    history_.pop_front();
  }
  step(history_.back(), random);
  for (int pass = 0; pass < replays; ++pass) {
    for (const sample& s : history_) {
      step(s, random);
    }
  }
  ++samples_;
}

void network_coordinate::step(const sample& s, std::mt19937_64& random) {
  const double rtt_ms = s.rtt_ms;
  const wire::coordinate& remote = s.remote;
  const double rx = ms(remote.x), ry = ms(remote.y), rh = ms(remote.height);
  const double remote_error =
      std::max(min_remote_error, static_cast<double>(remote.error_permille) / 1000.0);
  double dx = x_ms_ - rx, dy = y_ms_ - ry;
  double apart = std::hypot(dx, dy);
  const double estimated = apart + height_ms_ + rh;

  // The less sure we are compared with the remote, the more we move.
  const double weight = error_ / (error_ + remote_error);
  // A sample pulls us at most its own round trip toward the remote: a
  // remote claiming to sit far away while answering fast cannot drag us
  // across the plane (and one measured round trip says no more than that).
  const double discrepancy = std::clamp(rtt_ms - estimated, -rtt_ms, rtt_ms);
  const double wrongness = std::abs(discrepancy) / rtt_ms;
  error_ =
      std::min(max_error, error_gain * weight * wrongness + error_ * (1.0 - error_gain * weight));
  const double force = max_step * weight * discrepancy;

  if (apart < coincident_ms) {
    // Both at one point (two newcomers): push apart in a random direction.
    const double angle = std::uniform_real_distribution<double>(0.0, 2 * M_PI)(random);
    dx = std::cos(angle);
    dy = std::sin(angle);
    apart = 0;
  } else {
    dx /= apart;
    dy /= apart;
  }
  x_ms_ = std::clamp(x_ms_ + dx * force, -max_ms, max_ms);
  y_ms_ = std::clamp(y_ms_ + dy * force, -max_ms, max_ms);
  if (apart >= coincident_ms) {
    height_ms_ = std::clamp((height_ms_ + rh) * force / apart + height_ms_, min_height_ms, max_ms);
  }
}

wire::coordinate network_coordinate::current() const {
  return {units(x_ms_), units(y_ms_), static_cast<std::uint32_t>(units(height_ms_)),
          static_cast<std::uint32_t>(std::lround(error_ * 1000.0))};
}

duration network_coordinate::estimate(const wire::coordinate& a, const wire::coordinate& b) {
  const double rtt_ms =
      std::hypot(ms(a.x) - ms(b.x), ms(a.y) - ms(b.y)) + ms(a.height) + ms(b.height);
  return std::chrono::duration_cast<duration>(std::chrono::duration<double, std::milli>(rtt_ms));
}

}  // namespace treecast::core
