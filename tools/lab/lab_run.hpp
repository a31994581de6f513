// One lab run: start the broadcaster, the relays and the viewers as real
// processes on `network`, play the churn plan, read the tree, stop
// everything, report.
#pragma once

#include <vector>

#include "interrupt_signal.hpp"
#include "lab_network.hpp"
#include "lab_options.hpp"
#include "viewer_conditions.hpp"

namespace treecast::lab {

// Each viewer's network for this run (empty without --viewer-netns).
std::vector<viewer_conditions> lab_viewer_conditions(const lab_options& options);

// 0 when the run completed and reported; 1 when it could not start or was
// interrupted (everything it started is stopped either way).
int run_lab(const lab_options& options, const lab_network& network,
            const interrupt_signal& interrupt);

}  // namespace treecast::lab
