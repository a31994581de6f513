// Nearer strong peers up: a full parent gives a strong joiner clearly nearer
// to it the place of its farthest child as strong (capacity_policy), says
// so in its Pong, and a strong peer's rise takes such a place above its
// parent when the stream comes clearly sooner through it.
#include <gtest/gtest.h>

#include "core/capacity_policy.hpp"
#include "node_harness.hpp"

namespace treecast::core {
namespace {

using namespace std::chrono_literals;
using testing::harness;
using testing::hello_from;
using testing::id_of;
using testing::make_chunk;
using testing::relay_config;
using testing::root_config;

using view = capacity_policy::child_view;

const capacity_policy policy{site_inference(15ms)};

// A strong joiner of `slots`, `rtt` from the parent, of no known site.
capacity_policy::joiner_view near_joiner(std::uint32_t slots, duration rtt) {
  return {slots, {}, {}, rtt};
}

TEST(capacity_policy, clearly_nearer_means_half_the_round_trip_and_ten_ms_less) {
  EXPECT_TRUE(capacity_policy::clearly_nearer(10ms, 40ms));
  EXPECT_FALSE(capacity_policy::clearly_nearer(21ms, 40ms));  // not half
  EXPECT_FALSE(capacity_policy::clearly_nearer(8ms, 16ms));   // half, but 8 ms less only
  EXPECT_TRUE(capacity_policy::clearly_nearer(10ms, 20ms));
  EXPECT_FALSE(capacity_policy::clearly_nearer(0ms, 40ms));  // not measured
  EXPECT_FALSE(capacity_policy::clearly_nearer(5ms, 0ms));
}

TEST(capacity_policy, a_strong_joiner_clearly_nearer_takes_the_farthest_place_as_strong) {
  // Relays 60 and 30 ms away, a stronger one 90 ms away, a viewer, and a
  // relay whose round trip we never learnt.
  const std::vector<view> kids{
      {1, 16, 50, {}, 60ms}, {2, 16, 9, {}, 30ms}, {3, 32, 5, {}, 90ms}, {4, 16, 1, {}, 0ms}};
  // The 90 ms one accepts more than the joiner: the 60 ms one is the farthest.
  EXPECT_EQ(policy.room_within(kids, near_joiner(16, {})), 30ms);
  EXPECT_EQ(policy.gives_way(kids, near_joiner(16, 12ms)), link_id_t{1});
  EXPECT_FALSE(policy.gives_way(kids, near_joiner(16, 31ms)));
  // Of relays as strong as a joiner, the farthest gives way.
  const std::vector<view> big{{1, 32, 50, {}, 60ms}, {3, 32, 5, {}, 90ms}};
  EXPECT_EQ(policy.gives_way(big, near_joiner(32, 12ms)), link_id_t{3});
  // Strength first: to a 32-slot joiner, a 16-slot child gives way by strength.
  EXPECT_EQ(policy.gives_way(kids, near_joiner(32, 12ms)), link_id_t{4});
  // A weak joiner never takes a place by nearness, nor a joiner that did
  // not measure its round trip.
  EXPECT_EQ(policy.room_within(kids, near_joiner(2, {})), 0ms);
  EXPECT_FALSE(policy.gives_way(kids, near_joiner(2, 1ms)));
  EXPECT_FALSE(policy.gives_way(kids, near_joiner(16, 0ms)));
  // Clearly stronger still comes first: a viewer child gives way to any relay.
  const std::vector<view> with_viewer{{1, 16, 50, {}, 60ms}, {5, 2, 3, {}, 5ms}};
  EXPECT_EQ(policy.gives_way(with_viewer, near_joiner(16, 12ms)), link_id_t{5});
}

TEST(capacity_policy, nearness_never_adds_a_wan_crossing) {
  // We are in paris; the far relay child is of berlin, the joiner of madrid:
  // the stream would cross into berlin from madrid as well as into madrid.
  const std::vector<view> kids{{1, 16, 50, {"berlin", std::nullopt}, 60ms}};
  capacity_policy::joiner_view madrid{16, {"madrid", std::nullopt}, {"paris", std::nullopt}, 5ms};
  EXPECT_FALSE(policy.gives_way(kids, madrid));
  EXPECT_EQ(policy.room_within(kids, madrid), 0ms);
  // A joiner of our own site takes the berlin edge as its own.
  capacity_policy::joiner_view paris{16, {"paris", std::nullopt}, {"paris", std::nullopt}, 5ms};
  EXPECT_EQ(policy.gives_way(kids, paris), link_id_t{1});
}

// The broadcaster (2 slots) holds two relays that joined 40 and 60 ms away.
struct full_broadcaster {
  full_broadcaster() : h(root_config(2)) {
    h.start();
    for (wire::seq_t s = 0; s < 4; ++s) {
      h.source(make_chunk(s));
    }
    near_relay = h.join_peer(2, 16, false, 40ms);
    far_relay = h.join_peer(3, 16, false, 60ms);
    h.clear();
  }
  harness h;
  link_id_t near_relay = 0;
  link_id_t far_relay = 0;
};

TEST(nearer_peers_up, a_full_parent_tells_a_strong_prober_how_near_it_must_be) {
  full_broadcaster t;
  const wire::pong to_relay = t.h.pong_to_prober(9, 16);
  EXPECT_EQ(to_relay.free_slots, 0u);
  EXPECT_EQ(to_relay.room_within_rtt_us, 30'000u);  // half the farthest's 60 ms
  // A viewer is told nothing of the kind.
  EXPECT_EQ(t.h.pong_to_prober(8, 2).room_within_rtt_us, 0u);
}

TEST(nearer_peers_up, a_clearly_nearer_relay_takes_the_farthest_relays_place_which_moves_below_it) {
  full_broadcaster t;
  const link_id_t joiner = t.h.join_peer(9, 16, true, 5ms);
  const auto accepts = t.h.only_sent<wire::join_accept>(joiner);
  ASSERT_EQ(accepts.size(), 1u);
  EXPECT_EQ(accepts[0].adoptee, id_of(3));
  const auto moves = t.h.only_sent<wire::move>(t.far_relay);
  ASSERT_EQ(moves.size(), 1u);
  EXPECT_EQ(moves[0].targets.front(), (wire::endpoint{"10.0.0.9", 7009}));
  EXPECT_FALSE(t.h.closed_reason(t.far_relay));  // fed until it has moved
  EXPECT_TRUE(t.h.only_sent<wire::move>(t.near_relay).empty());
}

TEST(nearer_peers_up, a_relay_not_clearly_nearer_or_that_cannot_adopt_is_redirected) {
  full_broadcaster t;
  EXPECT_EQ(t.h.only_sent<wire::join_redirect>(t.h.join_peer(9, 16, true, 35ms)).size(), 1u);
  EXPECT_EQ(t.h.only_sent<wire::join_redirect>(t.h.join_peer(8, 16, false, 5ms)).size(), 1u);
  EXPECT_TRUE(t.h.only_sent<wire::move>(t.far_relay).empty());
}

// A relay (id 100, 16 slots) at depth 2 below relay 5 (16 slots, 30 ms
// away), itself below the broadcaster; rises every 5 s, no standby.
struct relay_at_depth_2 {
  relay_at_depth_2() : h(config()) {
    h.start();
    parent = h.answer_query({{id_of(5), {"10.0.0.5", 7005}, 1, 2, "", {}}}).at(0).link;
    wire::hello hello = hello_from(5, 7005);
    hello.max_children = 16;
    h.receive(parent, hello);
    h.advance(30ms);
    wire::pong pong{h.only_sent<wire::ping>(parent).at(0).nonce, true, 1, 2, {id_of(1), id_of(5)}};
    pong.root_delay_us = 40'000;
    h.receive(parent, pong);
    h.answer_uplink_timing(parent);
    wire::join_accept accept{1, {id_of(1), id_of(5)}, {{"127.0.0.1", 7000}}, {}};
    accept.root_delay_us = 40'000;
    h.receive(parent, accept);
    h.clear();
  }
  static node_config config() {
    node_config c = relay_config();
    c.max_children = 16;
    c.warm_standby = false;
    c.rise_interval = 5s;
    return c;
  }
  // Streams until the rise probes the broadcaster, which answers, 10 ms
  // away, full, that it would take a prober up to `within` away.
  link_id_t rise_probing_the_broadcaster(duration within) {
    const link_id_t probe = h.stream_until_connect(parent, seq);
    EXPECT_EQ(h.only_connect().to, (wire::endpoint{"127.0.0.1", 7000}));
    h.advance(10ms);
    wire::pong full{0, true, 0, 0, {id_of(1)}};
    full.room_within_rtt_us = to_wire_us(within);
    h.answer_as_root(probe, full);
    return probe;
  }
  harness h;
  link_id_t parent = 0;
  wire::seq_t seq = 0;
};

TEST(nearer_peers_up, a_relay_near_the_broadcaster_rises_to_it_past_its_parent) {
  relay_at_depth_2 t;
  const link_id_t probe = t.rise_probing_the_broadcaster(20ms);
  const auto requests = t.h.only_sent<wire::join_request>(probe);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_TRUE(requests[0].can_adopt);  // the relay giving way may be our own parent
  EXPECT_EQ(requests[0].rtt_us, 10'000u);
  EXPECT_FALSE(t.h.closed_reason(t.parent));  // it feeds us meanwhile
}

TEST(nearer_peers_up, a_relay_stays_when_the_broadcaster_would_not_take_it) {
  relay_at_depth_2 t;
  const link_id_t probe = t.rise_probing_the_broadcaster(5ms);  // we are 10 ms away
  EXPECT_TRUE(t.h.only_sent<wire::join_request>(probe).empty());
  EXPECT_FALSE(t.h.closed_reason(t.parent));
}

}  // namespace
}  // namespace treecast::core
