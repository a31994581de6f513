// Nearest-rank quantile of a sample, shared by the benchmarks.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace treecast::bench {

inline double quantile(std::vector<double> v, double q) {
  if (v.empty()) {
    return 0;
  }
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

}  // namespace treecast::bench
