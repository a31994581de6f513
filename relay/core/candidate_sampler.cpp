#include "core/candidate_sampler.hpp"

#include <algorithm>
#include <set>
#include <tuple>

namespace treecast::core {

std::vector<wire::peer_summary> sample_candidates(std::vector<known_peer> pool,
                                                  const std::string& site, std::size_t limit,
                                                  std::mt19937_64& random) {
  std::erase_if(pool,
                [](const known_peer& p) { return !p.direct_child && p.summary.free_slots == 0; });
  std::shuffle(pool.begin(), pool.end(), random);  // random among equals
  std::stable_sort(pool.begin(), pool.end(), [&site](const known_peer& a, const known_peer& b) {
    auto key = [&site](const known_peer& p) {
      const bool same_site = !site.empty() && p.summary.site == site;
      return std::make_tuple(p.direct_child ? 0 : 1, same_site ? 0 : 1,
                             p.summary.free_slots > 0 ? 0 : 1, p.summary.depth);
    };
    return key(a) < key(b);
  });
  std::vector<wire::peer_summary> out;
  std::set<wire::node_id_t> seen;
  for (auto& p : pool) {
    if (out.size() >= limit) {
      break;
    }
    if (seen.insert(p.summary.node_id).second) {
      out.push_back(std::move(p.summary));
    }
  }
  return out;
}

}  // namespace treecast::core
