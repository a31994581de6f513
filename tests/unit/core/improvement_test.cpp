// The improvement loop: when a move is worth it (move_policy), when a round
// is due and whom it asks (parent_improver), and the move itself, make-
// before-break, through a whole node.
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "core/errors.hpp"
#include "core/move_policy.hpp"
#include "core/parent_improver.hpp"
#include "node_harness.hpp"

namespace treecast::core {
namespace {

using namespace std::chrono_literals;
using testing::harness;
using testing::id_of;
using testing::make_chunk;
using testing::relay_config;

TEST(move_policy, a_move_needs_both_the_absolute_and_the_relative_gain) {
  const move_policy policy(10ms, 0.1);
  // 200 ms now: 10% is 20 ms, more than the 10 ms floor.
  EXPECT_TRUE(policy.worth_moving({200ms, false}, {180ms, false}));
  EXPECT_FALSE(policy.worth_moving({200ms, false}, {181ms, false}));
  // 50 ms now: the 10 ms floor rules (10% would be 5 ms).
  EXPECT_TRUE(policy.worth_moving({50ms, false}, {40ms, false}));
  EXPECT_FALSE(policy.worth_moving({50ms, false}, {44ms, false}));
  // Never for a worse or equal parent.
  EXPECT_FALSE(policy.worth_moving({50ms, false}, {50ms, false}));
  EXPECT_FALSE(policy.worth_moving({50ms, false}, {90ms, false}));
}

TEST(move_policy, a_site_gathers_under_its_own_peers_and_never_leaves_them) {
  const move_policy policy(10ms, 0.1);
  // A parent across the WAN is left for one of our site, even a slower
  // one, if the stream enters our site through it at an entry ranked
  // before ours (site_entry), not otherwise: that entry moves instead.
  EXPECT_TRUE(policy.worth_moving({50ms, false}, {120ms, true, true}));
  EXPECT_FALSE(policy.worth_moving({50ms, false}, {120ms, true, false}));
  // A parent of our site is not left for another site's, however much sooner.
  EXPECT_FALSE(policy.worth_moving({120ms, true}, {20ms, false}));
  // Both of our site: by delay.
  EXPECT_TRUE(policy.worth_moving({120ms, true}, {60ms, true}));
  EXPECT_TRUE(policy.better({120ms, true}, {20ms, false}));
  EXPECT_TRUE(policy.better({20ms, true}, {30ms, true}));
  EXPECT_FALSE(policy.better({30ms, true}, {20ms, true}));
}

TEST(move_policy, within_our_site_two_hops_fewer_no_later_is_worth_it) {
  const move_policy policy(10ms, 0.1);
  // Our parent and the candidate both of our site, at 6 hops from the
  // broadcaster through it now.
  const move_policy::option now{50ms, true, false, 6};
  EXPECT_TRUE(policy.worth_moving(now, {50ms, true, false, 4}));
  EXPECT_FALSE(policy.worth_moving(now, {48ms, true, false, 5}));  // one hop only
  EXPECT_FALSE(policy.worth_moving(now, {51ms, true, false, 2}));  // later
  // Not both of our site: by delay alone.
  EXPECT_FALSE(policy.worth_moving({50ms, false, false, 6}, {48ms, false, false, 2}));
}

struct improver_fixture {
  explicit improver_fixture(duration interval = 15s) : improver_fixture(with_interval(interval)) {}
  explicit improver_fixture(const node_config& c) : context(c, id_of(100), 7, {}) {}
  static node_config with_interval(duration interval) {
    node_config c;
    c.improve_interval = interval;
    return c;
  }
  node_context context;
  tree_position position{id_of(100), false};
  parent_improver improver{context, position};

  void attach_at_depth_3(bool parent_of_another_site = false) {
    // Broadcaster 1 -> 2 -> our parent 3.
    position.set_lineage({{"10.0.0.1", 7000}, {"10.0.0.2", 7000}}, {"10.0.0.3", 7000}, {});
    position.attach(5, 20ms, 2, {id_of(1), id_of(2), id_of(3)}, 60ms);
    improver.on_attached(false, parent_of_another_site);
  }
};

// The improvement loop off, site gathering every 5 s, our site labelled.
node_config gathering_alone() {
  node_config c;
  c.improve_interval = duration{};
  c.site = "office";
  c.site_gather_interval = 5s;
  return c;
}

TEST(parent_improver, a_round_asks_an_ancestor_above_the_parent_once_an_interval) {
  improver_fixture f;
  f.attach_at_depth_3();
  ASSERT_TRUE(f.improver.deadline());
  // Jittered to 0.5x .. 1.5x of the interval.
  EXPECT_GE(*f.improver.deadline() - f.context.now, 7500ms);
  EXPECT_LE(*f.improver.deadline() - f.context.now, 22500ms);
  EXPECT_FALSE(f.improver.take_round({true, false}));  // not yet due
  std::set<std::string> asked;
  for (int round = 0; round < 40; ++round) {
    f.context.now = *f.improver.deadline();
    const auto ask = f.improver.take_round({true, false});
    ASSERT_TRUE(ask);
    asked.insert(ask->ask.host);
    EXPECT_EQ(ask->kind, parent_improver::kind::improve);
    EXPECT_GT(*f.improver.deadline(), f.context.now);  // the next one is scheduled
  }
  // The broadcaster and the grandparent, never the parent itself.
  EXPECT_EQ(asked, (std::set<std::string>{"10.0.0.1", "10.0.0.2"}));
}

TEST(parent_improver, rounds_that_do_not_move_us_come_ever_less_often_until_we_attach_again) {
  improver_fixture f;
  f.attach_at_depth_3();
  // Each quiet round doubles the next interval (15 s): 30 s, 60 s, then at
  // most 120 s, each jittered to 0.5x .. 1.5x.
  const std::vector<std::pair<duration, duration>> expected{
      {15s, 45s}, {30s, 90s}, {60s, 180s}, {60s, 180s}};
  for (const auto& [at_least, at_most] : expected) {
    f.context.now = *f.improver.deadline();
    ASSERT_TRUE(f.improver.take_round({true, false}));
    EXPECT_GE(*f.improver.deadline() - f.context.now, at_least);
    EXPECT_LE(*f.improver.deadline() - f.context.now, at_most);
  }
  // A move (or a repair): one interval again.
  f.improver.on_attached(false);
  EXPECT_LE(*f.improver.deadline() - f.context.now, 22500ms);
}

TEST(parent_improver, no_round_while_busy_or_right_below_the_broadcaster) {
  improver_fixture f;
  f.attach_at_depth_3();
  f.context.now = *f.improver.deadline();
  EXPECT_FALSE(f.improver.take_round({false, false}));  // a repair or a handoff under way
  EXPECT_TRUE(f.improver.deadline());                   // but the loop goes on

  improver_fixture below_root;
  below_root.position.set_lineage({}, {"10.0.0.1", 7000}, {});
  below_root.position.attach(5, 20ms, 0, {id_of(1)}, 0ms);
  below_root.improver.on_attached(false);
  below_root.context.now = *below_root.improver.deadline();
  EXPECT_FALSE(below_root.improver.take_round({true, false}));  // nothing is nearer than the root
}

TEST(parent_improver, a_peer_whose_downlink_carries_less_than_the_full_rendition_asks_no_one) {
  improver_fixture f;
  f.attach_at_depth_3();
  parent_improver::situation narrow{true, false};
  narrow.narrow_downlink = true;
  for (int round = 0; round < 3; ++round) {
    f.context.now = *f.improver.deadline();
    EXPECT_FALSE(f.improver.take_round(narrow));
    ASSERT_TRUE(f.improver.deadline());
    EXPECT_GT(*f.improver.deadline(), f.context.now) << "not due again at once";
  }
  // The full rendition again: the rounds come back.
  f.context.now = *f.improver.deadline();
  EXPECT_TRUE(f.improver.take_round({true, false}));
}

TEST(parent_improver, an_interval_of_zero_turns_the_loop_off) {
  improver_fixture f(duration{});
  f.attach_at_depth_3();
  EXPECT_FALSE(f.improver.deadline());
}

TEST(parent_improver, where_the_stream_enters_our_site_a_round_asks_the_broadcaster_loop_off) {
  const node_config c = gathering_alone();
  improver_fixture f(c);
  f.attach_at_depth_3();
  ASSERT_TRUE(f.improver.deadline());
  EXPECT_LE(*f.improver.deadline() - f.context.now, 7500ms);
  // Our parent is of our site: nothing to gather, and the loop is off.
  f.context.now = *f.improver.deadline();
  EXPECT_FALSE(f.improver.take_round({true, false}));
  ASSERT_TRUE(f.improver.deadline());
  // Our parent is another site's: the broadcaster hears of every site.
  f.context.now = *f.improver.deadline();
  const auto ask = f.improver.take_round({true, true});
  ASSERT_TRUE(ask);
  EXPECT_EQ(ask->ask.host, "10.0.0.1");
  EXPECT_EQ(ask->kind, parent_improver::kind::gather);

  improver_fixture below_root(c);  // a seed of another site gathers too
  below_root.position.set_lineage({}, {"10.0.0.1", 7000}, {});
  below_root.position.attach(5, 20ms, 0, {id_of(1)}, 0ms);
  below_root.improver.on_attached(false);
  below_root.context.now = *below_root.improver.deadline();
  EXPECT_TRUE(below_root.improver.take_round({true, true}));
}

TEST(parent_improver, an_entry_gathers_soon_after_it_attached_and_then_every_interval) {
  improver_fixture f(gathering_alone());
  f.attach_at_depth_3(true);
  ASSERT_TRUE(f.improver.deadline());
  // A fifth of the interval, jittered.
  EXPECT_GE(*f.improver.deadline() - f.context.now, 500ms);
  EXPECT_LE(*f.improver.deadline() - f.context.now, 1500ms);
  // Rounds that find no place of our site do not put off the next.
  for (int round = 0; round < 4; ++round) {
    f.context.now = *f.improver.deadline();
    const auto ask = f.improver.take_round({true, true});
    ASSERT_TRUE(ask);
    EXPECT_EQ(ask->kind, parent_improver::kind::gather);
    EXPECT_GE(*f.improver.deadline() - f.context.now, 2500ms);
    EXPECT_LE(*f.improver.deadline() - f.context.now, 7500ms);
  }
}

TEST(parent_improver, a_peer_that_cannot_tell_its_site_never_gathers) {
  node_config c;                    // no label, same_site_rtt 0: no peer is surely of our site
  c.improve_interval = duration{};  // the loop off
  c.site_gather_interval = 5s;
  improver_fixture f(c);
  f.attach_at_depth_3();
  EXPECT_FALSE(f.improver.deadline());
  c.site_gather_interval = duration{};  // or gathering off
  c.site = "office";
  improver_fixture off(c);
  off.attach_at_depth_3();
  EXPECT_FALSE(off.improver.deadline());
}

// A node attached below `parent`, its stream going on; the broadcaster is
// at 127.0.0.1:7000, the only ancestor above the parent.
struct fed_node {
  explicit fed_node(const node_config& c) : h(c) {}
  // Feeds the stream (a chunk every 200 ms) until a round asks the
  // broadcaster, answers with `offered`, and returns the probe, connected.
  link_id_t round_probing(wire::peer_summary offered) {
    while (h.all<connect_action>().empty() && next_seq < 200) {
      h.advance(200ms);
      h.receive(parent, make_chunk(next_seq++));
    }
    EXPECT_EQ(h.only_connect().to, (wire::endpoint{"127.0.0.1", 7000}));
    const auto probes = h.answer_query({std::move(offered)});
    EXPECT_EQ(probes.size(), 1u);
    return probes.at(0).link;
  }

  harness h;
  link_id_t parent = 0;
  wire::seq_t next_seq = 0;
};

// A relay (id 100) under parent 5 (depth 1, 80 ms from the broadcaster, at
// 10.0.0.5). Without a standby, so that only the improvement round opens
// links.
struct attached_far : fed_node {
  attached_far() : fed_node(config()) {
    h.start();
    parent = h.answer_query({{id_of(5), {"10.0.0.5", 7005}, 1, 2, "", {}}}).at(0).link;
    h.answer_probe(parent, 5, 7005, 1, 2, {id_of(1), id_of(5)});
    wire::join_accept accept{1, {id_of(1), id_of(5)}, {{"127.0.0.1", 7000}}, {}};
    accept.root_delay_us = to_wire_us(80ms);
    h.receive(parent, accept);
    for (; next_seq < 4; ++next_seq) {
      h.receive(parent, make_chunk(next_seq));
    }
    h.clear();
  }
  static node_config config() {
    node_config c = relay_config();
    c.warm_standby = false;
    c.improve_interval = 15s;
    c.same_site_rtt = duration::zero();  // by delay alone (sites: see below)
    return c;
  }
  // Runs to the improvement round and answers its query with peer 9 (at
  // 10.0.0.9, with room).
  link_id_t round_probing_peer_9() {
    return round_probing({id_of(9), {"10.0.0.9", 7009}, 1, 2, "", {}});
  }
};

TEST(improvement, without_labels_a_peer_a_lan_away_is_our_site_and_we_gather_under_it) {
  node_config c = attached_far::config();
  c.same_site_rtt = 15ms;
  harness h(c);
  h.start();
  // Our parent answers its probe in 40 ms: across the WAN.
  const link_id_t parent =
      h.answer_query({{id_of(5), {"10.0.0.5", 7005}, 1, 2, "", {}}}).at(0).link;
  h.advance(40ms);
  h.answer_probe(parent, 5, 7005, 1, 2, {id_of(1), id_of(5)});
  h.receive(parent, wire::join_accept{1, {id_of(1), id_of(5)}, {{"127.0.0.1", 7000}}, {}});
  wire::seq_t seq = 0;
  while (h.all<connect_action>().empty() && seq < 200) {
    h.advance(200ms);
    h.receive(parent, make_chunk(seq++));
  }
  const link_id_t probe = h.answer_query({{id_of(9), {"10.0.0.9", 7009}, 1, 2, "", {}}}).at(0).link;
  // Peer 9 answers in 2 ms, and the stream reaches it later than our
  // parent: we still go, the WAN then carries it once for both of us.
  h.advance(2ms);
  h.answer_probe(probe, 9, 7009, 1, 2, {id_of(1), id_of(9)}, "", 30ms);
  EXPECT_EQ(h.only_sent<wire::join_request>(probe).size(), 1u);
}

TEST(improvement, a_clearly_sooner_parent_takes_us_make_before_break) {
  attached_far t;
  const link_id_t probe = t.round_probing_peer_9();
  // 10 ms from the broadcaster (15 with a hop's penalty) against our 85.
  t.h.answer_probe(probe, 9, 7009, 1, 2, {id_of(1), id_of(9)}, "", 10ms);
  const auto requests = t.h.only_sent<wire::join_request>(probe);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].resume_from, t.next_seq);  // from the next chunk we miss
  // The old parent still feeds us meanwhile.
  EXPECT_FALSE(t.h.closed_reason(t.parent));
  t.h.clear();
  t.h.receive(t.parent, make_chunk(t.next_seq++));
  EXPECT_EQ(t.h.all<deliver_action>().size(), 1u);
  wire::join_accept accept{1, {id_of(1), id_of(9)}, {{"127.0.0.1", 7000}}, {}};
  accept.root_delay_us = to_wire_us(10ms);
  t.h.receive(probe, accept);
  EXPECT_EQ(t.h.closed_reason(t.parent), std::error_code(node_errc::parent_replaced));
  EXPECT_EQ(t.h.engine().parent_endpoint(), (wire::endpoint{"10.0.0.9", 7009}));
  EXPECT_EQ(t.h.engine().stats().get(counter::parent_moves), 1u);
  EXPECT_EQ(t.h.engine().stats().get(counter::parent_losses), 0u);  // a move, not a repair
  t.h.receive(probe, make_chunk(t.next_seq));
  EXPECT_EQ(t.h.engine().stats().get(counter::chunks_missed), 0u);
}

TEST(improvement, a_candidate_not_clearly_sooner_leaves_us_where_we_are) {
  attached_far t;
  const link_id_t probe = t.round_probing_peer_9();
  // 75 ms + 5: better by 5 ms, less than the 10 ms margin.
  t.h.answer_probe(probe, 9, 7009, 1, 2, {id_of(1), id_of(9)}, "", 75ms);
  EXPECT_TRUE(t.h.only_sent<wire::join_request>(probe).empty());
  EXPECT_TRUE(t.h.closed_reason(probe));
  EXPECT_FALSE(t.h.closed_reason(t.parent));
  EXPECT_EQ(t.h.engine().parent_endpoint(), (wire::endpoint{"10.0.0.5", 7005}));
  EXPECT_EQ(t.h.engine().stats().get(counter::parent_moves), 0u);
}

TEST(improvement, a_strong_peer_takes_a_weaker_childs_place_no_later_than_its_own) {
  attached_far t;
  const link_id_t probe = t.round_probing_peer_9();
  // Peer 9 is full but would give a peer of 4 slots or more (we have 8) a
  // viewer's place: only 5 ms sooner, yet relays belong above viewers.
  t.h.answer_probe(probe, 9, 7009, 1, 0, {id_of(1), id_of(9)}, "", 75ms, 0, 4);
  const auto requests = t.h.only_sent<wire::join_request>(probe);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_TRUE(requests[0].can_adopt);
  EXPECT_FALSE(t.h.closed_reason(t.parent));  // make-before-break
}

TEST(improvement, a_weaker_childs_place_is_not_taken_where_the_stream_comes_later) {
  attached_far t;
  const link_id_t probe = t.round_probing_peer_9();
  t.h.answer_probe(probe, 9, 7009, 1, 0, {id_of(1), id_of(9)}, "", 120ms, 0, 4);
  EXPECT_TRUE(t.h.only_sent<wire::join_request>(probe).empty());
  // Nor by a peer too weak for it: 16 slots needed, we have 8.
  attached_far weak;
  const link_id_t other = weak.round_probing_peer_9();
  weak.h.answer_probe(other, 9, 7009, 1, 0, {id_of(1), id_of(9)}, "", 75ms, 0, 16);
  EXPECT_TRUE(weak.h.only_sent<wire::join_request>(other).empty());
  EXPECT_EQ(weak.h.engine().parent_endpoint(), (wire::endpoint{"10.0.0.5", 7005}));
}

TEST(improvement, a_parent_lost_during_a_round_is_repaired_and_no_deadline_is_left_behind) {
  attached_far t;
  t.round_probing_peer_9();  // probing: the round's probe timeout is armed
  t.h.clear();
  t.h.closed(t.parent);
  EXPECT_FALSE(t.h.engine().attached());
  // The repair probes the grandparent; the round's probe is gone with it.
  EXPECT_EQ(t.h.only_connect().to, (wire::endpoint{"127.0.0.1", 7000}));
  const auto next = t.h.engine().next_deadline();
  ASSERT_TRUE(next);
  EXPECT_GT(*next, t.h.now());
}

// A relay (id 100) of site "office" under parent 5 of site "hq" (depth 1),
// the improvement loop off: site gathering alone runs rounds.
struct entry_of_the_office : fed_node {
  entry_of_the_office() : fed_node(config()) {
    h.start();
    parent = h.answer_query({{id_of(5), {"10.0.0.5", 7005}, 1, 2, "hq", {}}}).at(0).link;
    h.answer_probe(parent, 5, 7005, 1, 2, {id_of(1), id_of(5)}, "hq");
    h.receive(parent, wire::join_accept{1, {id_of(1), id_of(5)}, {{"127.0.0.1", 7000}}, {}});
    h.clear();
  }
  static node_config config() {
    node_config c = relay_config();
    c.warm_standby = false;
    c.site = "office";
    c.site_gather_interval = 5s;
    return c;
  }
  // Runs to the gathering round and answers its query with peer 9 of the
  // office.
  link_id_t round_probing_peer_9() {
    return round_probing({id_of(9), {"10.0.0.9", 7009}, 3, 2, "office", {}});
  }
};

TEST(site_gathering, an_entry_moves_below_a_peer_of_its_site_whose_entry_ranks_first) {
  entry_of_the_office t;  // we (id 100) are where the stream enters the office, at depth 2
  const link_id_t probe = t.round_probing_peer_9();
  // Peer 9 (depth 3) is two hops below the office's entry at depth 1 (peer
  // 7): shallower than ours, so we go, slower or not.
  t.h.answer_probe(probe, 9, 7009, 3, 2, {id_of(1), id_of(7), id_of(8), id_of(9)}, "office", 300ms,
                   2);
  EXPECT_EQ(t.h.only_sent<wire::join_request>(probe).size(), 1u);
  EXPECT_FALSE(t.h.closed_reason(t.parent));  // make-before-break
}

TEST(site_gathering, an_entry_ranked_first_stays_and_the_other_comes_to_it) {
  entry_of_the_office t;
  const link_id_t probe = t.round_probing_peer_9();
  // Peer 9 is itself where the stream enters the office, at depth 3: ours
  // (depth 2) ranks first, so we stay; it is the one to move.
  t.h.answer_probe(probe, 9, 7009, 3, 2, {id_of(1), id_of(7), id_of(8), id_of(9)}, "office", 10ms,
                   0);
  EXPECT_TRUE(t.h.only_sent<wire::join_request>(probe).empty());
  EXPECT_EQ(t.h.engine().parent_endpoint(), (wire::endpoint{"10.0.0.5", 7005}));
}

TEST(site_gathering, at_one_depth_the_entry_with_the_lower_id_ranks_first) {
  // Peer 9 is an entry at our depth (2): id 9 against our 100.
  entry_of_the_office lower;
  const link_id_t probe = lower.round_probing_peer_9();
  lower.h.answer_probe(probe, 9, 7009, 2, 2, {id_of(1), id_of(6), id_of(9)}, "office", 300ms, 0);
  EXPECT_EQ(lower.h.only_sent<wire::join_request>(probe).size(), 1u);
}

TEST(site_gathering, the_soonest_peer_of_our_site_is_passed_over_when_its_entry_ranks_after_ours) {
  entry_of_the_office t;
  t.h.clear();
  while (t.h.all<connect_action>().empty() && t.next_seq < 200) {
    t.h.advance(200ms);
    t.h.receive(t.parent, make_chunk(t.next_seq++));
  }
  const auto probes = t.h.answer_query({{id_of(9), {"10.0.0.9", 7009}, 3, 2, "office", {}},
                                        {id_of(8), {"10.0.0.8", 7008}, 3, 2, "office", {}}});
  ASSERT_EQ(probes.size(), 2u);
  // Peer 9 is soon but an entry itself at depth 3 (ours, at 2, ranks first);
  // peer 8 is late but two hops below an entry at depth 1: we go to 8.
  t.h.answer_probe(probes[0].link, 9, 7009, 3, 2, {id_of(1), id_of(6), id_of(7), id_of(9)},
                   "office", 10ms, 0);
  t.h.answer_probe(probes[1].link, 8, 7008, 3, 2, {id_of(1), id_of(2), id_of(3), id_of(8)},
                   "office", 300ms, 2);
  EXPECT_TRUE(t.h.only_sent<wire::join_request>(probes[0].link).empty());
  EXPECT_EQ(t.h.only_sent<wire::join_request>(probes[1].link).size(), 1u);
}

TEST(site_gathering, a_peer_of_another_site_is_no_place_to_gather) {
  entry_of_the_office t;
  const link_id_t probe = t.round_probing_peer_9();
  t.h.answer_probe(probe, 9, 7009, 1, 2, {id_of(1), id_of(9)}, "hq", 1ms, 0);
  EXPECT_TRUE(t.h.only_sent<wire::join_request>(probe).empty());
}

TEST(site_gathering, a_child_learns_how_far_up_the_stream_enters_our_site) {
  node_config c = entry_of_the_office::config();
  harness h(c);
  h.start();
  // Our parent is of the office too, and is where the stream enters it.
  const link_id_t parent =
      h.answer_query({{id_of(5), {"10.0.0.5", 7005}, 1, 2, "office", {}}}).at(0).link;
  h.answer_probe(parent, 5, 7005, 1, 2, {id_of(1), id_of(5)}, "office");
  h.receive(parent, wire::join_accept{1, {id_of(1), id_of(5)}, {{"127.0.0.1", 7000}}, {}});
  const link_id_t child = h.join_child(20, 7020);
  const auto accepts = h.only_sent<wire::join_accept>(child);
  ASSERT_EQ(accepts.size(), 1u);
  EXPECT_EQ(accepts[0].site_entry_hops, 1u);  // one hop above us: our parent
  // Our parent's entry is now one hop above it: the child hears at once.
  wire::path_update u{1, {id_of(1), id_of(5)}, {{"127.0.0.1", 7000}}, {}};
  u.site_entry_hops = 1;
  h.clear();
  h.receive(parent, u);
  const auto updates = h.only_sent<wire::path_update>(child);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].site_entry_hops, 2u);
}

}  // namespace
}  // namespace treecast::core
