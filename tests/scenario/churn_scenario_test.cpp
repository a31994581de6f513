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

// What the viewers saw: the picture stood still a small fraction of the
// time, far below the 1% an enterprise calls good, and a fraction of what
// the same churn costs without warm standbys. Counted as the player counts
// (2026-12-05), seed 21: rebuffering 0.00001-0.00002 (stall 518, 733 and
// 565 ms by crash, freeze and leave), without standbys 0.00111 and 0.00360
// by crash and freeze; the bound leaves 25 times room for the simulator's
// chaos (one decision reshuffles a run). With two standbys and the second
// asked when the first refuses (2026-12-06): 50, 158 and 50 ms, all at one
// viewer (the 50 ms in the flash crowd, before any peer fails; the freeze's
// other 108 ms when its path grew twice during the churn). Zero is not reached at this
// scale: measured at seeds 1-3 (older builds), about half of what is left struck viewers
// whose buffer earlier repairs had already half eaten (their paths grew
// longer), the other half were gaps longer than the whole buffer. At
// seed 21 one frozen parent dominates: its child had no standby for the
// 4 s before (its standby moved below its parent and was declined; none
// was found again in time) and stalled 1.4 s with its subtree (rebuffer
// 0.00126 before a moving child waited for the joiner's slot, 0.00201
// after; over seeds 13-24 the freeze stall fell from 276 s to 209 s).
TEST_P(churn_scenario, the_warm_standby_keeps_the_picture_moving) {
  sim_config config = churn_config();
  SCOPED_TRACE(std::string("seed 21, ") + GetParam().name);
  const sim_result with = run_simulation(config);
  config.node_defaults.warm_standby = false;
  const sim_result without = run_simulation(config);
  std::printf("%s: rebuffer %.5f (without a standby %.5f), stall %.0f ms (%.0f ms)\n",
              GetParam().name, with.rebuffer_ratio, without.rebuffer_ratio, with.stall_ms_total,
              without.stall_ms_total);

  EXPECT_LT(with.rebuffer_ratio, 0.0005);
  if (GetParam().mode == sim_config::churn_kind::leave) {
    // A leaving parent hands its children over make-before-break and feeds
    // them meanwhile; the standby is not what carries them there.
    EXPECT_LT(without.rebuffer_ratio, 0.002);
    return;
  }
  EXPECT_LT(with.stall_ms_total, without.stall_ms_total / 4);
  // Fewer viewers struck, though at this seed a frozen relay high in the
  // tree (capacity_policy puts them there) strikes many at once: freeze,
  // seed 21, 309 viewers with a standby, 452 without.
  EXPECT_LT(with.viewers_stalled, without.viewers_stalled);
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
