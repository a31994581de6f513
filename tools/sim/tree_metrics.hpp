// Measures a tree of simulated nodes: joins, loops, depth, stretch, capacity.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <vector>

#include "core/node.hpp"
#include "latency_model.hpp"
#include "simulator.hpp"

namespace treecast::sim {

// Fills the tree fields of a sim_result. `parent_of(i)` is the index of peer
// i's parent, or nullopt when it has none; peer 0 is the broadcaster. Dead
// peers (crashed, frozen, left) are left out; a live peer whose parent is
// dead counts as unrooted. With `dump`, each rooted peer's row goes there as
// CSV (peer, parent, slots, depth, direct_ms, path_ms).
sim_result measure_tree(const std::vector<std::unique_ptr<core::node>>& nodes,
                        const std::vector<std::size_t>& capacity, const latency_model& latency,
                        const std::vector<bool>& dead,
                        const std::function<std::optional<std::size_t>(std::size_t)>& parent_of,
                        std::ostream* dump = nullptr);

// The q-quantile (0..1) of `values` by nearest rank; 0 when empty.
double percentile(std::vector<double> values, double q);

}  // namespace treecast::sim
