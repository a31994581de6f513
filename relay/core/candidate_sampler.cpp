#include "core/candidate_sampler.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "core/network_coordinate.hpp"

namespace treecast::core {
namespace {

place place_of(const wire::peer_summary& p) {
  return {p.site, p.where};
}

// The region a peer counts for when a sample keeps every region: its label,
// else the cell of its coordinate, else none.
std::string region(const wire::peer_summary& p) {
  if (!p.site.empty() || !site_inference::usable(p.where)) {
    return p.site;
  }
  const double cell_units = std::chrono::duration<double, std::ratio<1, 10000>>(place_cell).count();
  return "@" + std::to_string(std::lround(std::floor(p.where->x / cell_units))) + "," +
         std::to_string(std::lround(std::floor(p.where->y / cell_units)));
}

// Where the stream enters p's site, ranked as tree_position.hpp's
// site_entry (by depth, then the id's first bytes): the peers below the
// entry every peer of a site gathers under come first. A peer that cannot
// tell its site is its own entry, tag 0 (the order by depth alone).
std::pair<std::uint32_t, std::uint32_t> entry_rank(const wire::peer_summary& p) {
  return {p.depth - std::min(p.site_entry_hops, p.depth), p.site_entry_tag};
}

// The stream's estimated delay to `requester` through `p`.
duration delay_through(const wire::peer_summary& p, const wire::coordinate& requester) {
  return duration(p.root_delay_us) + network_coordinate::estimate(*p.where, requester) / 2;
}

// Free slots that make a peer "roomy": more than a 2-slot viewer ever has.
constexpr std::uint32_t roomy = 3;

}  // namespace

std::vector<wire::peer_summary> sample_candidates(std::vector<known_peer> pool,
                                                  const place& requester, std::size_t limit,
                                                  sample_order order, const site_inference& sites,
                                                  std::mt19937_64& random) {
  std::erase_if(pool,
                [](const known_peer& p) { return !p.direct_child && p.summary.free_slots == 0; });
  std::shuffle(pool.begin(), pool.end(), random);  // random among equals
  std::vector<bool> same_site(pool.size());
  for (std::size_t i = 0; i < pool.size(); ++i) {
    same_site[i] = sites.same(requester, place_of(pool[i].summary));
  }
  auto room = [](const known_peer& p) { return p.summary.free_slots > 0 ? 0 : 1; };
  // Within a group, the first peer of each region comes before the second of
  // any: a report keeps every region represented, so that joiners there can
  // find it higher up.
  std::vector<std::size_t> by_rank(pool.size());
  for (std::size_t i = 0; i < pool.size(); ++i) {
    by_rank[i] = i;
  }
  auto rank = [&](std::size_t i) {
    const wire::peer_summary& p = pool[i].summary;
    // Where the stream enters their site first, for peers that tell it: a
    // report names first, for each site, the peers below its first-ranked
    // entry, so the broadcaster hears of the one every peer of the site
    // gathers under (site gathering; otherwise every tag is 0).
    const auto gathered =
        p.site_entry_tag != 0 ? entry_rank(p) : std::pair<std::uint32_t, std::uint32_t>{};
    // Then room for several before room for one or two, so that joiners are
    // handed relays, not viewers with a slot left, and viewers end up as
    // leaves: a viewer forwarding to viewers sends each chunk over a home
    // uplink, twice. Then the shallower.
    return std::make_tuple(room(pool[i]), gathered, p.free_slots >= roomy ? 0 : 1, entry_rank(p),
                           p.depth);
  };
  std::stable_sort(by_rank.begin(), by_rank.end(),
                   [&](std::size_t a, std::size_t b) { return rank(a) < rank(b); });
  std::map<std::string, int> seen_per_region;
  std::vector<int> region_rank(pool.size());
  for (std::size_t i : by_rank) {
    region_rank[i] = seen_per_region[region(pool[i].summary)]++;
  }
  std::vector<std::size_t> ordered = by_rank;
  std::stable_sort(ordered.begin(), ordered.end(), [&](std::size_t x, std::size_t y) {
    auto key = [&](std::size_t i) {
      const known_peer& p = pool[i];
      const int site_first = same_site[i] ? 0 : 1;
      if (order != sample_order::seeds_first) {
        return std::make_tuple(room(p), site_first, region_rank[i], p.direct_child ? 0 : 1);
      }
      return std::make_tuple(room(p), p.direct_child ? 0 : 1, site_first, region_rank[i]);
    };
    return key(x) < key(y);
  });
  if (order == sample_order::site_entry_first) {
    // Peers of the requester's site with room, below the first-ranked entry
    // first; the rest as for a report.
    auto key = [&](std::size_t i) {
      const auto entry =
          same_site[i] ? entry_rank(pool[i].summary) : std::pair<std::uint32_t, std::uint32_t>{};
      return std::make_tuple(room(pool[i]), same_site[i] ? 0 : 1, entry);
    };
    std::stable_sort(ordered.begin(), ordered.end(),
                     [&](std::size_t x, std::size_t y) { return key(x) < key(y); });
  }

  std::vector<std::size_t> picks;
  if (site_inference::usable(requester.where) && order != sample_order::site_entry_first) {
    std::vector<std::size_t> nearest;
    for (std::size_t i : by_rank) {
      if (room(pool[i]) == 0 && site_inference::usable(pool[i].summary.where)) {
        nearest.push_back(i);
      }
    }
    std::stable_sort(nearest.begin(), nearest.end(), [&](std::size_t a, std::size_t b) {
      return std::make_tuple(same_site[a] ? 0 : 1,
                             delay_through(pool[a].summary, *requester.where)) <
             std::make_tuple(same_site[b] ? 0 : 1,
                             delay_through(pool[b].summary, *requester.where));
    });
    nearest.resize(std::min(nearest.size(), (limit + 1) / 2));
    picks = std::move(nearest);
  }
  picks.insert(picks.end(), ordered.begin(), ordered.end());

  std::vector<wire::peer_summary> out;
  std::set<wire::node_id_t> seen;
  for (std::size_t i : picks) {
    if (out.size() >= limit) {
      break;
    }
    if (seen.insert(pool[i].summary.node_id).second) {
      out.push_back(pool[i].summary);
    }
  }
  return out;
}

}  // namespace treecast::core
