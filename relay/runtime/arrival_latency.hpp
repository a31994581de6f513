// How late chunks reach this peer: capture of a chunk's first byte at the
// broadcaster -> its arrival here, by the wall clocks of both (on one machine,
// or NTP-synchronised ones, that is the path's delay plus the chunk's own
// duration). Keeps the samples since the last status line (for a median)
// and a cumulative histogram (for /metrics).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace treecast::runtime {

class arrival_latency {
 public:
  // Upper bounds of the histogram buckets, ms (Prometheus `le`).
  static constexpr std::array<std::uint32_t, 10> bucket_bounds_ms{50,  100,  200,  300,  500,
                                                                  750, 1000, 2000, 5000, 10000};

  // Index of the first bucket whose bound holds `ms`; bucket_bounds_ms.size()
  // for the overflow (+Inf) bucket.
  static std::size_t bucket_of(std::int64_t ms) {
    std::size_t i = 0;
    while (i < bucket_bounds_ms.size() && ms > static_cast<std::int64_t>(bucket_bounds_ms[i])) {
      ++i;
    }
    return i;
  }

  void add(std::int64_t micros) {
    const std::int64_t ms = std::max<std::int64_t>(0, micros / 1000);
    // A program that never asks for the median (the broadcaster) keeps a
    // bounded sample rather than every chunk of the broadcast.
    if (recent_.size() < max_recent) {
      recent_.push_back(ms);
    }
    for (std::size_t i = bucket_of(ms); i < bucket_bounds_ms.size(); ++i) {
      ++buckets_[i];  // cumulative: every bucket from the first that holds it
    }
    ++count_;
    sum_ms_ += static_cast<std::uint64_t>(ms);
    last_ms_ = ms;
  }

  // Median in ms over the samples since the previous call; -1 when none.
  long long take_median_ms() {
    if (recent_.empty()) {
      return -1;
    }
    const auto middle = recent_.begin() + static_cast<std::ptrdiff_t>(recent_.size() / 2);
    std::nth_element(recent_.begin(), middle, recent_.end());
    last_median_ms_ = *middle;
    recent_.clear();
    return last_median_ms_;
  }

  // The median the previous take_median_ms() returned; -1 before one.
  long long last_median_ms() const { return last_median_ms_; }
  long long last_ms() const { return last_ms_; }
  // Cumulative counts per bucket (samples <= bound), as Prometheus wants.
  const std::array<std::uint64_t, bucket_bounds_ms.size()>& buckets() const { return buckets_; }
  std::uint64_t count() const { return count_; }
  std::uint64_t sum_ms() const { return sum_ms_; }

 private:
  static constexpr std::size_t max_recent = 4096;
  std::vector<std::int64_t> recent_;
  std::array<std::uint64_t, bucket_bounds_ms.size()> buckets_{};
  std::uint64_t count_ = 0;
  std::uint64_t sum_ms_ = 0;
  long long last_median_ms_ = -1;
  long long last_ms_ = -1;
};

}  // namespace treecast::runtime
