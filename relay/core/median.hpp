// The median of a few samples (the upper one of an even count).
#pragma once

#include <algorithm>
#include <vector>

#include "core/time.hpp"

namespace treecast::core {

// `samples` must not be empty.
template <typename Samples>
duration median_of(const Samples& samples) {
  std::vector<duration> sorted(samples.begin(), samples.end());
  std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
  return sorted[sorted.size() / 2];
}

}  // namespace treecast::core
