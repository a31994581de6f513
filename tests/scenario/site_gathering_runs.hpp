// Site gathering in the simulator: the same run without it and with it, on
// 1 000 peers in 10 sites whose peers infer their site from their addresses
// (as the programs do without --site).
#pragma once

#include <gtest/gtest.h>

#include <cstdio>

#include "simulator.hpp"

namespace treecast::sim {

struct site_gathering_runs {
  sim_result scattered;  // gathering off
  sim_result gathered;   // gathering every 5 s
};

inline sim_config sites_inferred(std::uint64_t seed) {
  sim_config config;
  config.peers = 1000;
  config.sites = 10;
  config.site_labels = sim_config::site_labels_kind::inferred;
  config.seed = seed;
  return config;
}

// Runs `config` both ways, prints the worst site's WAN copies, and checks
// what gathering must never cost: a chunk, a loop, a peer left unrooted.
inline site_gathering_runs run_without_and_with_gathering(sim_config config) {
  site_gathering_runs runs;
  config.node_defaults.site_gather_interval = core::duration{};
  runs.scattered = run_simulation(config);
  config.node_defaults.site_gather_interval = std::chrono::seconds(5);
  runs.gathered = run_simulation(config);
  std::printf("WAN copies into the worst site: %zu without gathering, %zu with\n",
              runs.scattered.wan_copies_max, runs.gathered.wan_copies_max);
  EXPECT_EQ(runs.gathered.chunks_lost, 0u);
  EXPECT_EQ(runs.gathered.loops, 0u);
  EXPECT_EQ(runs.gathered.unrooted, 0u);
  EXPECT_EQ(runs.gathered.capacity_violations, 0u);
  return runs;
}

}  // namespace treecast::sim
