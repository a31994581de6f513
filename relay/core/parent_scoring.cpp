#include "core/parent_scoring.hpp"

#include <tuple>

namespace treecast::core {

bool parent_scoring::better(const probe_result& a, const probe_result& b) const {
  auto key = [&](const probe_result& r) {
    return std::make_tuple(r.same_site ? 0 : 1, r.free_slots > 0 ? 0 : 1, cost(r).count(), r.index);
  };
  return key(a) < key(b);
}

std::optional<probe_result> parent_scoring::best(const std::vector<probe_result>& results) const {
  std::optional<probe_result> winner;
  for (const auto& r : results) {
    if (!winner || better(r, *winner)) {
      winner = r;
    }
  }
  return winner;
}

}  // namespace treecast::core
