#include "frame_latency.hpp"

#include <algorithm>

namespace treecast::media {

const std::vector<std::uint32_t>& frame_latency::bounds_ms() {
  static const std::vector<std::uint32_t> bounds = [] {
    std::vector<std::uint32_t> b;
    for (std::uint32_t ms = 10; ms <= 1000; ms += 10) {
      b.push_back(ms);  // where the default profile plays: 10 ms apart
    }
    for (const std::uint32_t ms : {1250u, 1500u, 2000u, 3000u, 5000u, 10000u}) {
      b.push_back(ms);
    }
    return b;
  }();
  return bounds;
}

void frame_latency::add(std::int64_t latency_ms) {
  const auto& bounds = bounds_ms();
  const auto ms = static_cast<std::uint32_t>(std::clamp<std::int64_t>(latency_ms, 0, 1'000'000));
  const auto at =
      static_cast<std::size_t>(std::lower_bound(bounds.begin(), bounds.end(), ms) - bounds.begin());
  per_bucket_[at].fetch_add(1, std::memory_order_relaxed);
  sum_ms_.fetch_add(ms, std::memory_order_relaxed);
}

frame_latency::snapshot_t frame_latency::snapshot() const {
  snapshot_t s;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_ms().size(); ++i) {
    running += per_bucket_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.sum_ms = sum_ms_.load(std::memory_order_relaxed);
  return s;
}

double frame_latency_quantile(const std::vector<std::uint64_t>& earlier,
                              const std::vector<std::uint64_t>& later, double q) {
  const auto& bounds = frame_latency::bounds_ms();
  if (later.size() != bounds.size() + 1 || (!earlier.empty() && earlier.size() != later.size())) {
    return -1;
  }
  const auto count = [&](std::size_t i) { return later[i] - (earlier.empty() ? 0 : earlier[i]); };
  const std::uint64_t total = count(later.size() - 1);
  if (total == 0) {
    return -1;
  }
  const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(total);
  for (std::size_t i = 0; i < later.size(); ++i) {
    if (static_cast<double>(count(i)) >= rank) {
      const double below = i == 0 ? 0.0 : static_cast<double>(count(i - 1));
      const double in_bucket = static_cast<double>(count(i)) - below;
      const double low = i == 0 ? 0.0 : bounds[i - 1];
      const double high = i < bounds.size() ? bounds[i] : low;  // +Inf: its lower bound
      return in_bucket > 0 ? low + (high - low) * (rank - below) / in_bucket : high;
    }
  }
  return bounds.back();
}

}  // namespace treecast::media
