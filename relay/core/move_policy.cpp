#include "core/move_policy.hpp"

#include <algorithm>

namespace treecast::core {

bool move_policy::worth_moving(const option& current, const option& candidate) const {
  if (current.same_site != candidate.same_site) {
    return candidate.same_site && candidate.entry_ranks_first;
  }
  if (current.same_site && candidate.same_site && candidate.hops + min_hops_saved <= current.hops &&
      candidate.delay <= current.delay) {
    return true;
  }
  const auto fraction = duration(
      static_cast<duration::rep>(static_cast<double>(current.delay.count()) * min_gain_fraction_));
  return current.delay - candidate.delay >= std::max(min_gain_, fraction);
}

bool move_policy::better(const option& a, const option& b) const {
  if (a.same_site != b.same_site) {
    return a.same_site;
  }
  return a.delay < b.delay;
}

}  // namespace treecast::core
