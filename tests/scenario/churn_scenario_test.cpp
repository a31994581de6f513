// Churn in the simulator: 20% of 1000 peers die after the tree is built, by
// crash, freeze or graceful leave. Survivors lose no chunk (every repair is
// shorter than the window), no loop forms, every survivor is attached at the
// end. Failures name their seed.
#include <gtest/gtest.h>

#include "simulator.hpp"
#include "site_gathering_runs.hpp"

namespace treecast::sim {
namespace {

struct churn_case {
  sim_config::churn_kind mode;
  const char* name;
};

class churn_scenario : public ::testing::TestWithParam<churn_case> {
 protected:
  // 20% of 1000 peers die over 30 s, the way the case says (seed 21).
  sim_config churn_config() const {
    sim_config config;
    config.peers = 1000;
    config.seed = 21;
    config.churn = 0.2;
    config.churn_duration = std::chrono::seconds(30);
    config.churn_mode = GetParam().mode;
    return config;
  }
};

TEST_P(churn_scenario, survivors_lose_nothing_and_stay_attached) {
  sim_config config = churn_config();
  SCOPED_TRACE(std::string("seed 21, ") + GetParam().name);
  const sim_result r = run_simulation(config);
  std::printf("%s: %s\n", GetParam().name, r.to_json().c_str());

  EXPECT_EQ(r.killed, 199u);
  EXPECT_GT(r.repairs, 50u);  // many victims had children
  EXPECT_EQ(r.chunks_lost, 0u);
  const double window_ms =
      std::chrono::duration<double, std::milli>(config.node_defaults.window_span).count();
  EXPECT_LT(r.repair_ms_max, window_ms);
  EXPECT_EQ(r.loops, 0u);
  EXPECT_EQ(r.unrooted, 0u);
  EXPECT_EQ(r.capacity_violations, 0u);
  EXPECT_EQ(r.joined, r.survivors) << "a survivor is not attached at the end";
  EXPECT_GE(r.continuity, 0.999);
}

// What the viewers saw, at the programs' defaults (a chunk per frame, the
// viewer's 200 ms buffer): a repair stands no picture still unless the
// parent's standby fails with it or just before (a double failure, which
// at this churn, 7 peers a second, happens at some seeds and not at
// others). The freeze at seeds 21-52 (2026-12-07, 15 ms move margins):
// 0-8 of 800 surviving viewers stalled per seed, 49-2 713 ms in all,
// rebuffering ratio at most 6.3e-5 (4.3 s over 37 viewers in all with the
// 40 ms margins before, 7.3 s over 39 after; worse at 12 seeds, better at
// 14). Without standbys the same freeze churn at seed 21 stood 364
// viewers' pictures still, 396 s in all (repair p99 2.2 s): a ratio of
// ~1e-2. So the bounds are three times the worst of 64 runs (ratio and
// viewers), fifty times below that ratio. At the simulator's own defaults
// (200 ms chunks, 300 ms buffer) a chunk is 200 ms of delay at every hop,
// and repairs show.
TEST_P(churn_scenario, pictures_almost_never_stand_still_at_the_default_buffer) {
  sim_config config = churn_config();
  config.set_chunk_interval(sim_config::peers_chunk_interval);
  config.playout_buffer = sim_config::peers_playout_buffer;
  SCOPED_TRACE(std::string("seed 21, ") + GetParam().name);
  const sim_result r = run_simulation(config);
  std::printf(
      "%s: stall %.0f ms (%zu viewers; %.0f ms at viewers that died later), rebuffering ratio "
      "%.1e, repair p99 %.0f ms\n",
      GetParam().name, r.stall_ms_total, r.viewers_stalled, r.stall_ms_departed, r.rebuffer_ratio,
      r.repair_ms_p99);

  EXPECT_GT(r.repairs, 50u);
  EXPECT_EQ(r.chunks_lost, 0u);
  EXPECT_LT(r.rebuffer_ratio, 2e-4);
  EXPECT_LE(r.viewers_stalled, r.survivors / 30);  // 26 of 800
}

INSTANTIATE_TEST_SUITE_P(modes, churn_scenario,
                         ::testing::Values(churn_case{sim_config::churn_kind::crash, "crash"},
                                           churn_case{sim_config::churn_kind::freeze, "freeze"},
                                           churn_case{sim_config::churn_kind::leave, "leave"}),
                         [](const auto& info) { return std::string(info.param.name); });

// Repairs pick speed over place, so churn scatters a site's peers below
// other sites' again; gathering brings each site back to about one copy
// within the 5 s the run goes on after the churn.
TEST(churn_scenario_sites, sites_gather_again_after_churn) {
  // Seed 22: without gathering the worst site ends with 4-7 copies as the
  // engine changes (seeds 21-26 give 3-8), with it 1: the baseline is held
  // only to showing the scattering, not to its exact count.
  sim_config config = sites_inferred(22);
  config.churn = 0.2;
  config.churn_duration = std::chrono::seconds(30);
  config.churn_mode = sim_config::churn_kind::mixed;
  SCOPED_TRACE("seed 22, mixed");
  const auto [scattered, gathered] = run_without_and_with_gathering(config);
  EXPECT_EQ(gathered.joined, gathered.survivors);
  EXPECT_LE(gathered.wan_copies_max, 2u);
  EXPECT_GE(scattered.wan_copies_max, 3u);
  EXPECT_GE(scattered.wan_copies_max, gathered.wan_copies_max + 2);
}

}  // namespace
}  // namespace treecast::sim
