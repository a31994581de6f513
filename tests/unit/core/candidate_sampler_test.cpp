// Candidate sampling: room and seeds first, sites kept, bounded, no duplicates.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "core/candidate_sampler.hpp"

namespace treecast::core {
namespace {

using namespace std::chrono_literals;

const site_inference sites{15ms};

known_peer peer(std::uint8_t id, std::uint32_t depth, std::uint32_t free, bool direct,
                std::string site = "") {
  wire::peer_summary s;
  s.node_id[0] = id;
  s.address = {"10.0.0." + std::to_string(id), 7000};
  s.depth = depth;
  s.free_slots = free;
  s.site = std::move(site);
  return {s, direct};
}

std::vector<std::uint8_t> ids(const std::vector<wire::peer_summary>& sample) {
  std::vector<std::uint8_t> out;
  for (const auto& p : sample) {
    out.push_back(p.node_id[0]);
  }
  return out;
}

TEST(candidate_sampler, seeds_with_room_first_full_seeds_last_and_deep_full_peers_dropped) {
  std::mt19937_64 random(1);
  // Seed 1 full, seed 4 with a slot, 3 deeper with room, 2 deeper and full.
  const auto sample = sample_candidates(
      {peer(1, 1, 0, true), peer(2, 3, 0, false), peer(3, 2, 4, false), peer(4, 1, 1, true)},
      place{}, 10, sample_order::seeds_first, sites, random);
  EXPECT_EQ(ids(sample), (std::vector<std::uint8_t>{4, 3, 1}));
}

TEST(candidate_sampler, room_first_puts_peers_with_a_free_slot_ahead) {
  std::mt19937_64 random(1);
  const auto sample = sample_candidates({peer(1, 1, 0, true), peer(3, 2, 4, false)}, {}, 10,
                                        sample_order::room_first, sites, random);
  EXPECT_EQ(ids(sample), (std::vector<std::uint8_t>{3, 1}));
}

TEST(candidate_sampler, a_report_keeps_deeper_sites_past_many_direct_children) {
  std::mt19937_64 random(1);
  // A relay's 16 children with room, all of one site, and two deeper peers
  // of other sites: a report of 4 still names both of those.
  std::vector<known_peer> pool;
  for (std::uint8_t i = 0; i < 16; ++i) {
    pool.push_back(peer(10 + i, 2, 2, true, "relay-site"));
  }
  pool.push_back(peer(50, 3, 1, false, "north"));
  pool.push_back(peer(60, 4, 1, false, "south"));
  const auto report =
      ids(sample_candidates(pool, place{}, 4, sample_order::room_first, sites, random));
  ASSERT_EQ(report.size(), 4u);
  EXPECT_NE(std::find(report.begin(), report.end(), 50), report.end());
  EXPECT_NE(std::find(report.begin(), report.end(), 60), report.end());
}

TEST(candidate_sampler, requester_site_first_and_every_site_kept) {
  std::mt19937_64 random(1);
  std::vector<known_peer> pool;
  for (std::uint8_t i = 0; i < 10; ++i) {
    pool.push_back(peer(10 + i, 2, 1, false, "big"));
  }
  pool.push_back(peer(50, 3, 1, false, "small"));
  pool.push_back(peer(60, 4, 1, false, "mine"));
  const auto for_report =
      sample_candidates(pool, place{}, 3, sample_order::seeds_first, sites, random);
  // One per site before a second of any: "small" and "mine" survive the bound.
  auto has = [](const std::vector<wire::peer_summary>& s, std::uint8_t id) {
    for (const auto& p : s) {
      if (p.node_id[0] == id) {
        return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(has(for_report, 50));
  EXPECT_TRUE(has(for_report, 60));
  const auto for_joiner =
      sample_candidates(pool, place{"mine", {}}, 3, sample_order::seeds_first, sites, random);
  EXPECT_EQ(for_joiner[0].node_id[0], 60);
}

// A peer of `site` `hops` below where the stream enters its site, at an
// entry whose tag is `entry_tag`.
known_peer in_site_run(std::uint8_t id, std::uint32_t depth, std::uint32_t hops,
                       std::uint32_t entry_tag) {
  known_peer p = peer(id, depth, 1, false, "office");
  p.summary.site_entry_hops = hops;
  p.summary.site_entry_tag = entry_tag;
  return p;
}

TEST(candidate_sampler, a_gathering_peer_gets_those_below_its_sites_first_ranked_entry_first) {
  // Three places where the stream enters the office: depth 1 (tags 0x20..
  // and 0x10..) and depth 2. For a peer gathering the office, the peers
  // below the shallowest, lowest-tagged one come first, whatever their own
  // depth: every entry of the office then moves below that one.
  const std::vector<known_peer> pool{
      in_site_run(1, 2, 0, 0x30000000),  // an entry itself, at depth 2
      in_site_run(2, 3, 2, 0x20000000),  // below the entry at depth 1, tag 0x20..
      in_site_run(3, 4, 3, 0x10000000),  // below the entry at depth 1, tag 0x10..
      peer(4, 1, 1, false, "elsewhere")};
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 random(seed);
    const auto gathering = ids(sample_candidates(pool, place{"office", {}}, 4,
                                                 sample_order::site_entry_first, sites, random));
    EXPECT_EQ(gathering, (std::vector<std::uint8_t>{3, 2, 1, 4}));
    // A report names one peer per site first: for the office, that one.
    const auto report =
        ids(sample_candidates(pool, place{}, 2, sample_order::room_first, sites, random));
    EXPECT_EQ(std::set<std::uint8_t>(report.begin(), report.end()), (std::set<std::uint8_t>{3, 4}));
  }
}

TEST(candidate_sampler, bounded_and_without_duplicates) {
  std::mt19937_64 random(1);
  std::vector<known_peer> pool;
  for (int round = 0; round < 3; ++round) {
    for (std::uint8_t i = 0; i < 20; ++i) {
      pool.push_back(peer(i, 2, 1, false));
    }
  }
  const auto sample =
      sample_candidates(pool, place{}, 16, sample_order::seeds_first, sites, random);
  EXPECT_EQ(sample.size(), 16u);
  auto unique = ids(sample);
  std::sort(unique.begin(), unique.end());
  EXPECT_EQ(std::unique(unique.begin(), unique.end()), unique.end());
}

}  // namespace
}  // namespace treecast::core

namespace treecast::core {
namespace {

// A peer with room at (x, y) ms on the coordinate plane, `root_delay_ms` from
// the broadcaster.
known_peer placed(std::uint8_t id, int x_ms, int y_ms, int root_delay_ms) {
  known_peer p = peer(id, 3, 1, false);
  p.summary.where = wire::coordinate{x_ms * 10, y_ms * 10, 10, 100};
  p.summary.root_delay_us = static_cast<std::uint32_t>(root_delay_ms * 1000);
  return p;
}

TEST(candidate_sampler, a_requester_that_tells_where_it_sits_gets_the_soonest_through_delay_first) {
  std::mt19937_64 random(3);
  std::vector<known_peer> pool{
      placed(1, 100, 0, 10),  // near the requester, 10 ms from the broadcaster
      placed(2, 0, 100, 10),  // far from it
      placed(3, 120, 0, 90),  // nearer still, but deep: 90 ms
      placed(4, 50, 0, 15),   // half way, shallow
  };
  for (std::uint8_t i = 0; i < 8; ++i) {
    pool.push_back(peer(20 + i, 1, 1, false));  // shallower, placed nowhere
  }
  const place requester{"", wire::coordinate{1400, 0, 10, 100}};
  const auto sample =
      ids(sample_candidates(pool, requester, 4, sample_order::room_first, sites, random));
  ASSERT_EQ(sample.size(), 4u);
  // The first half by delay through them: 1 (10 + 21) before 4 (15 + 46).
  EXPECT_EQ(sample[0], 1);
  EXPECT_EQ(sample[1], 4);
  // Without a coordinate, the shallowest come first instead.
  const auto blind = ids(sample_candidates(pool, {}, 4, sample_order::room_first, sites, random));
  EXPECT_GE(blind[0], 20);
}

TEST(candidate_sampler, the_requesters_site_inferred_from_coordinates_comes_first) {
  std::mt19937_64 random(4);
  // 3 sits in the requester's office (2 ms) but is deeper than 1.
  std::vector<known_peer> pool{placed(1, 40, 0, 5), placed(3, 102, 0, 60)};
  const place requester{"", wire::coordinate{1000, 0, 10, 100}};
  const auto sample =
      ids(sample_candidates(pool, requester, 2, sample_order::room_first, sites, random));
  EXPECT_EQ(sample, (std::vector<std::uint8_t>{3, 1}));
}

}  // namespace
}  // namespace treecast::core
