#include "tree_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/capacity_policy.hpp"
#include "core/network_coordinate.hpp"
#include "core/site_inference.hpp"

namespace treecast::sim {

double percentile(std::vector<double> values, double q) {
  if (values.empty()) {
    return 0;
  }
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
  return values[std::min(values.size() - 1, rank == 0 ? 0 : rank - 1)];
}

namespace {

// How well network coordinates estimate round trips: the median relative
// error over pairs of `rooted` peers (each with the next one in index
// order, so the figure is the same for the same tree), and the share of
// them whose coordinate has settled enough to be used.
void measure_coordinates(const std::vector<std::unique_ptr<core::node>>& nodes,
                         const latency_model& latency, const std::vector<std::size_t>& rooted,
                         sim_result& r) {
  std::vector<double> errors;
  std::size_t settled = 0;
  for (std::size_t k = 0; k < rooted.size(); ++k) {
    const auto a = nodes[rooted[k]]->coordinate();
    settled += core::site_inference::usable(a) ? 1 : 0;
    if (k + 1 < rooted.size()) {
      const auto b = nodes[rooted[k + 1]]->coordinate();
      const double truth =
          2 * std::chrono::duration<double>(latency.one_way(rooted[k], rooted[k + 1])).count();
      const double estimate =
          std::chrono::duration<double>(core::network_coordinate::estimate(a, b)).count();
      errors.push_back(std::abs(estimate - truth) / truth);
    }
  }
  r.coordinate_error_p50 = percentile(errors, 0.5);
  r.coordinates_settled =
      rooted.empty() ? 0 : static_cast<double>(settled) / static_cast<double>(rooted.size());
}

}  // namespace

sim_result measure_tree(const std::vector<std::unique_ptr<core::node>>& nodes,
                        const std::vector<std::size_t>& capacity, const latency_model& latency,
                        const std::vector<bool>& dead,
                        const std::function<std::optional<std::size_t>(std::size_t)>& parent_of,
                        std::ostream* dump) {
  const std::size_t n = nodes.size();
  sim_result r;
  std::vector<std::optional<std::size_t>> parent(n);
  for (std::size_t i = 1; i < n; ++i) {
    if (!dead[i] && !nodes[i]->stopped()) {
      parent[i] = parent_of(i);
    }
  }

  // Walk each chain up, memoizing: rooted (with depth and path delay),
  // unrooted (ends at a detached peer) or looped.
  enum class state : std::uint8_t { unknown, walking, rooted, unrooted, looped };
  std::vector<state> status(n, state::unknown);
  std::vector<std::size_t> depth(n, 0);
  std::vector<double> path_ms(n, 0);
  status[0] = state::rooted;
  std::vector<std::size_t> chain;
  for (std::size_t start = 1; start < n; ++start) {
    if (dead[start]) {
      status[start] = state::unrooted;
      continue;
    }
    chain.clear();
    std::size_t at = start;
    state outcome = state::unrooted;
    while (true) {
      if (status[at] == state::rooted || status[at] == state::unrooted ||
          status[at] == state::looped) {
        outcome = status[at];
        break;
      }
      if (status[at] == state::walking) {
        outcome = state::looped;
        break;
      }
      status[at] = state::walking;
      chain.push_back(at);
      if (!parent[at]) {
        outcome = state::unrooted;
        break;
      }
      at = *parent[at];
    }
    // Unwind from the top of the chain down so depths build on the parent's.
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      const std::size_t i = *it;
      if (outcome == state::rooted) {
        const std::size_t p = *parent[i];
        depth[i] = depth[p] + 1;
        path_ms[i] =
            path_ms[p] + std::chrono::duration<double, std::milli>(latency.one_way(p, i)).count();
      }
      status[i] = outcome == state::rooted ? state::rooted : outcome;
      if (!parent[i] && outcome != state::looped) {
        status[i] = state::unrooted;
      }
    }
  }

  std::vector<double> stretch;
  std::vector<double> fanouts;
  double depth_sum = 0;
  std::map<int, std::size_t> wan_copies;
  std::vector<std::size_t> rooted;  // live peers below the broadcaster, in index order
  if (dump) {
    *dump << "peer,parent,slots,depth,direct_ms,path_ms\n";
  }
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t children = nodes[i]->child_count();
    if (children > capacity[i]) {
      ++r.capacity_violations;
    }
    if (children > 0) {
      fanouts.push_back(static_cast<double>(children));
    }
    if (i == 0 || dead[i] || nodes[i]->stopped()) {
      continue;
    }
    if (status[i] == state::looped) {
      ++r.loops;
    }
    if (!parent[i]) {
      continue;
    }
    ++r.joined;
    if (status[i] != state::rooted) {
      if (status[i] == state::unrooted) {
        ++r.unrooted;
      }
      continue;
    }
    r.depth_max = std::max(r.depth_max, depth[i]);
    const std::size_t up = *parent[i];
    if (up != 0 && core::capacity_policy::clearly_stronger(nodes[i]->config().max_children,
                                                           nodes[up]->config().max_children)) {
      ++r.strong_below_weak;
    }
    depth_sum += static_cast<double>(depth[i]);
    const double direct = std::chrono::duration<double, std::milli>(latency.one_way(0, i)).count();
    stretch.push_back(path_ms[i] / direct);
    if (dump) {
      *dump << i << ',' << up << ',' << nodes[i]->config().max_children << ',' << depth[i] << ','
            << direct << ',' << path_ms[i] << '\n';
    }
    rooted.push_back(i);
    const int site = latency.site_of(i);
    if (site >= 0 && latency.site_of(*parent[i]) != site) {
      ++wan_copies[site];
    }
  }
  r.depth_mean = r.joined > 0 ? depth_sum / static_cast<double>(r.joined) : 0;
  r.fanout_median = percentile(fanouts, 0.5);
  r.stretch_p50 = percentile(stretch, 0.50);
  r.stretch_p99 = percentile(stretch, 0.99);
  r.root_upload_streams = nodes[0]->child_count();
  for (const auto& [site, copies] : wan_copies) {
    r.wan_copies_max = std::max(r.wan_copies_max, copies);
  }
  measure_coordinates(nodes, latency, rooted, r);
  return r;
}

}  // namespace treecast::sim
