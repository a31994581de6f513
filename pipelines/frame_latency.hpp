// Glass-to-glass of every frame the player shows (capture at the broadcaster
// -> on screen), as a cumulative histogram fine enough for per-frame
// quantiles: 10 ms buckets up to 1 s, coarser up to 10 s. /metrics exports
// it; a benchmark takes two snapshots and reads the quantiles of the frames
// between them.
//
// add() from one thread (the video sink's), snapshot() from any.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace treecast::media {

class frame_latency {
 public:
  // Upper bounds of the buckets, ms (Prometheus `le`); an overflow bucket
  // (+Inf) follows.
  static const std::vector<std::uint32_t>& bounds_ms();

  void add(std::int64_t latency_ms);

  struct snapshot_t {
    std::vector<std::uint64_t> cumulative;  // per bound, then +Inf (= count)
    std::uint64_t sum_ms = 0;
  };
  snapshot_t snapshot() const;

 private:
  static constexpr std::size_t bucket_count = 100 + 6 + 1;  // fine, coarse, +Inf
  std::array<std::atomic<std::uint64_t>, bucket_count> per_bucket_{};
  std::atomic<std::uint64_t> sum_ms_{0};
};

// The `q` quantile (0..1) of the frames counted between two snapshots'
// cumulative buckets (`later` minus `earlier`), interpolated within its
// bucket; -1 when no frame fell between them.
double frame_latency_quantile(const std::vector<std::uint64_t>& earlier,
                              const std::vector<std::uint64_t>& later, double q);

}  // namespace treecast::media
