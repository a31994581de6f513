// Whole trees in the simulator, driving the real engine: everybody joins, no
// loop, capacities hold, every path ends at the broadcaster, the tree stays
// shallow. Failures name their seed.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "simulator.hpp"
#include "site_gathering_runs.hpp"

namespace treecast::sim {
namespace {

class tree_scenario : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(tree_scenario, thousand_peers_build_a_loop_free_tree_within_capacity) {
  sim_config config;
  config.peers = 1000;
  config.seed = GetParam();
  SCOPED_TRACE("seed " + std::to_string(config.seed));
  const sim_result r = run_simulation(config);
  std::printf("%s\n", r.to_json().c_str());

  EXPECT_EQ(r.joined, config.peers - 1);
  EXPECT_EQ(r.loops, 0u);
  EXPECT_EQ(r.unrooted, 0u) << "a path does not end at the broadcaster";
  EXPECT_EQ(r.capacity_violations, 0u);
  EXPECT_EQ(r.gave_up, 0u);
  EXPECT_EQ(r.root_upload_streams, config.root_children);
  // No deeper than a binary tree of 2-slot viewers, plus two: the relays'
  // 16 slots (capacity_policy puts them high) make it shallower still.
  const double bound = std::ceil(std::log2(static_cast<double>(config.peers))) + 2;
  EXPECT_LE(static_cast<double>(r.depth_max), bound);
  EXPECT_LT(r.depth_mean, bound / 2);
}

INSTANTIATE_TEST_SUITE_P(seeds, tree_scenario, ::testing::Values(1, 2, 3));

TEST(tree_scenario_reachability, unreachable_viewers_all_watch_as_leaves_and_are_left_alone) {
  sim_config config;
  config.peers = 1000;
  config.seed = 3;
  config.unreachable = 0.3;
  SCOPED_TRACE("seed 3");
  const sim_result r = run_simulation(config);
  std::printf("%s\n", r.to_json().c_str());
  EXPECT_EQ(r.joined, config.peers - 1);
  EXPECT_EQ(r.loops, 0u);
  EXPECT_EQ(r.unrooted, 0u);
  EXPECT_EQ(r.capacity_violations, 0u);
  EXPECT_GT(r.unreachable_peers, 200u);
  EXPECT_EQ(r.unreachable_with_children, 0u) << "a peer nobody can reach was given children";
  // Every unreachable viewer is checked by its parent (again by each new
  // one, so the checks outnumber them; moves make more parents), and
  // nobody else connects to it: no candidate list names it. The few
  // others are children a full parent moved below a stronger joiner
  // before its check of the joiner ended: they try the joiner first, then
  // their backups (5 of 282 at seed 3, each a child still fed meanwhile).
  EXPECT_GE(r.reach_checks_failed, r.unreachable_peers);
  EXPECT_GE(r.connects_to_unreachable, r.reach_checks_failed);
  EXPECT_LE(r.connects_to_unreachable_by_others, r.unreachable_peers / 20)
      << "peers other than their parents connect to peers nobody can reach";
}

TEST(tree_scenario_rise, relays_that_joined_below_viewers_rise_above_them) {
  // Over eight seeds: one seed's count of a few relays left below viewers
  // moves with any change of timing (seed 1 alone: 1, then 4 once joiners
  // timed their uplinks, while seeds 2-6 went 0-4 -> 0-1), and so may one
  // seed's depth (seed 2, once the parent's pace ignored bursts: its three
  // seeds gave their places at the broadcaster to nearer relays 13 s in, and
  // its tree ended deeper with rises than without, 3.93 against 3.50; seed
  // 3 about even, 3.49 and 3.48; the other six 0.10-0.45 shallower).
  std::size_t risen_below = 0;
  std::size_t baseline_below = 0;
  double risen_depth = 0;
  double baseline_depth = 0;
  const std::vector<std::uint64_t> seeds{1, 2, 3, 4, 5, 6, 7, 8};
  for (const std::uint64_t seed : seeds) {
    sim_config config;
    config.peers = 1000;
    config.seed = seed;
    config.node_defaults.improve_interval = core::duration::zero();  // rises alone
    SCOPED_TRACE("seed " + std::to_string(seed));
    const sim_result risen = run_simulation(config);
    config.node_defaults.rise_interval = core::duration::zero();
    const sim_result baseline = run_simulation(config);
    std::printf(
        "seed %llu: relays below viewers: %zu with rises, %zu without; depth mean %.2f, "
        "%.2f\n",
        static_cast<unsigned long long>(seed), risen.strong_below_weak, baseline.strong_below_weak,
        risen.depth_mean, baseline.depth_mean);
    EXPECT_EQ(risen.joined, config.peers - 1);
    EXPECT_EQ(risen.loops, 0u);
    EXPECT_EQ(risen.capacity_violations, 0u);
    risen_below += risen.strong_below_weak;
    baseline_below += baseline.strong_below_weak;
    risen_depth += risen.depth_mean;
    baseline_depth += baseline.depth_mean;
  }
  // A flash crowd arrives in any order (fewer since handout_ledger spreads
  // joiners over the relays with room: 11 a seed here, 20-odd before).
  EXPECT_GE(baseline_below, seeds.size() * 8);
  EXPECT_LE(risen_below, seeds.size() * 2);
  EXPECT_LT(risen_depth, baseline_depth);
}

TEST(tree_scenario_improvement, the_loop_shortens_paths_and_settles_without_oscillating) {
  // The same flash crowd with the improvement loop off and on, then 45 s
  // with no join: paths shorter and the tree no deeper with it, and no peer
  // moving more than the loop allows (a round every improve_interval, none
  // within one of a move) plus two moves it did not choose (a stronger
  // joiner taking its slot, a rise). Summed over two seeds: one seed's
  // figures move with any change of timing.
  constexpr int settle_s = 45;
  const double interval_s =
      std::chrono::duration<double>(sim_config{}.node_defaults.improve_interval).count();
  // Rounds while settling, one at each end, and the two it did not choose.
  const double allowed_per_min = (std::floor(settle_s / interval_s) + 1 + 2) * 60.0 / settle_s;
  double on_stretch = 0;
  double off_stretch = 0;
  double on_depth = 0;
  double off_depth = 0;
  for (const std::uint64_t seed : {1, 2}) {
    sim_config config;
    config.peers = 1000;
    config.seed = seed;
    config.settle = std::chrono::seconds(settle_s);
    SCOPED_TRACE("seed " + std::to_string(seed));
    const sim_result on = run_simulation(config);
    config.node_defaults.improve_interval = core::duration::zero();
    const sim_result off = run_simulation(config);
    std::printf(
        "seed %llu: stretch p50 %.2f with the loop, %.2f without; depth mean %.2f, %.2f; "
        "moves while settling %llu, at most %.1f a minute by one peer\n",
        static_cast<unsigned long long>(seed), on.stretch_p50, off.stretch_p50, on.depth_mean,
        off.depth_mean, static_cast<unsigned long long>(on.settle_moves),
        on.settle_moves_per_peer_per_min_max);
    EXPECT_EQ(on.joined, config.peers - 1);
    EXPECT_EQ(on.loops, 0u);
    EXPECT_EQ(on.unrooted, 0u);
    EXPECT_EQ(on.capacity_violations, 0u);
    EXPECT_GT(on.settle_moves, 0u) << "the loop did nothing once the joins were over";
    EXPECT_LE(on.settle_moves_per_peer_per_min_max, allowed_per_min);
    on_stretch += on.stretch_p50;
    off_stretch += off.stretch_p50;
    on_depth += on.depth_mean;
    off_depth += off.depth_mean;
  }
  EXPECT_LT(on_stretch, 0.95 * off_stretch);
  EXPECT_LE(on_depth, off_depth + 0.1);
}

TEST(tree_scenario_sites, site_labels_cut_the_copies_crossing_into_a_site) {
  sim_config config;
  config.peers = 1000;
  config.sites = 10;  // 100 peers per site
  config.seed = 7;
  SCOPED_TRACE("seed 7");
  const sim_result with_labels = run_simulation(config);
  // Same placement, peers neither told their site nor inferring it.
  config.site_labels = sim_config::site_labels_kind::none;
  const sim_result baseline = run_simulation(config);
  std::printf("WAN copies into the worst site: %zu with site labels, %zu without\n",
              with_labels.wan_copies_max, baseline.wan_copies_max);
  EXPECT_EQ(with_labels.joined, config.peers - 1);
  EXPECT_EQ(with_labels.loops, 0u);
  EXPECT_LT(with_labels.wan_copies_max * 2, baseline.wan_copies_max);
}

TEST(tree_scenario_sites, site_gathering_leaves_each_site_about_one_copy) {
  // Flash-crowd joins leave several peers of a site below another site's
  // (a joiner finds no peer of its own with room yet); gathering moves them
  // below the site's first-ranked entry, make-before-break, with no loop.
  // Seed 8: without gathering the worst site ends with 3-4 copies as the
  // engine changes (3 since a redirected newcomer asks the nearest named
  // peer), with it 1: the baseline is held only to showing the scattering.
  sim_config config = sites_inferred(8);
  config.settle = std::chrono::seconds(60);
  SCOPED_TRACE("seed 8");
  const auto [scattered, gathered] = run_without_and_with_gathering(config);
  EXPECT_EQ(gathered.joined, config.peers - 1);
  EXPECT_LE(gathered.wan_copies_max, 2u);
  EXPECT_GE(scattered.wan_copies_max, 3u);
  EXPECT_GE(scattered.wan_copies_max, gathered.wan_copies_max + 2);
}

TEST(tree_scenario_matrix, latencies_from_a_matrix_file) {
  // Two regions 80 ms apart, 5 ms inside each; the broadcaster sits at location 0.
  const std::string path = ::testing::TempDir() + "treecast_matrix.txt";
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    for (int a = 0; a < 4; ++a) {
      for (int b = 0; b < 4; ++b) {
        std::fprintf(f, "%d ", a == b ? 1 : (a / 2 == b / 2 ? 5 : 80));
      }
      std::fprintf(f, "\n");
    }
    std::fclose(f);
  }
  sim_config config;
  config.peers = 400;
  config.seed = 5;
  config.latency_matrix = path;
  const sim_result r = run_simulation(config);
  EXPECT_EQ(r.joined, config.peers - 1);
  EXPECT_EQ(r.loops, 0u);
  EXPECT_EQ(r.capacity_violations, 0u);

  config.latency_matrix = path + ".missing";
  EXPECT_THROW(run_simulation(config), std::runtime_error);
}

TEST(tree_scenario_determinism, same_seed_same_tree) {
  sim_config config;
  config.peers = 300;
  config.seed = 11;
  const sim_result a = run_simulation(config);
  const sim_result b = run_simulation(config);
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.depth_max, b.depth_max);
  EXPECT_DOUBLE_EQ(a.depth_mean, b.depth_mean);
  EXPECT_DOUBLE_EQ(a.stretch_p50, b.stretch_p50);
  EXPECT_DOUBLE_EQ(a.join_ms_p99, b.join_ms_p99);
}

}  // namespace
}  // namespace treecast::sim
