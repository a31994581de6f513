#include "core/candidate_sampler.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace treecast::core {

std::vector<wire::peer_summary> sample_candidates(std::vector<known_peer> pool,
                                                  const std::string& site, std::size_t limit,
                                                  sample_order order, std::mt19937_64& random) {
  std::erase_if(pool,
                [](const known_peer& p) { return !p.direct_child && p.summary.free_slots == 0; });
  std::shuffle(pool.begin(), pool.end(), random);  // random among equals
  auto same_site = [&site](const known_peer& p) { return !site.empty() && p.summary.site == site; };
  auto room = [](const known_peer& p) { return p.summary.free_slots > 0 ? 0 : 1; };
  // Within a group, the first peer of each site comes before the second of
  // any: a report keeps every site represented, so that joiners of that site
  // can find it higher up.
  std::stable_sort(pool.begin(), pool.end(), [&](const known_peer& a, const known_peer& b) {
    return std::make_tuple(room(a), a.summary.depth) < std::make_tuple(room(b), b.summary.depth);
  });
  std::map<std::string, int> seen_per_site;
  std::vector<int> site_rank(pool.size());
  for (std::size_t i = 0; i < pool.size(); ++i) {
    site_rank[i] = seen_per_site[pool[i].summary.site]++;
  }
  std::vector<std::size_t> order_index(pool.size());
  for (std::size_t i = 0; i < pool.size(); ++i) {
    order_index[i] = i;
  }
  std::stable_sort(order_index.begin(), order_index.end(), [&](std::size_t x, std::size_t y) {
    auto key = [&](std::size_t i) {
      const known_peer& p = pool[i];
      if (order == sample_order::room_first) {
        return std::make_tuple(room(p), same_site(p) ? 0 : 1, site_rank[i], p.direct_child ? 0 : 1);
      }
      return std::make_tuple(p.direct_child ? 0 : 1, same_site(p) ? 0 : 1, site_rank[i], room(p));
    };
    return key(x) < key(y);
  });
  std::vector<wire::peer_summary> out;
  std::set<wire::node_id_t> seen;
  for (std::size_t i : order_index) {
    if (out.size() >= limit) {
      break;
    }
    if (seen.insert(pool[i].summary.node_id).second) {
      out.push_back(std::move(pool[i].summary));
    }
  }
  return out;
}

}  // namespace treecast::core
