// Strong peers up, weak peers down: which child gives way to a stronger
// joiner (capacity_policy), the slot the joiner keeps for it (children), and
// the whole exchange through nodes: the full parent takes the joiner and
// asks its weakest child to move (Move), the child moves make-before-break,
// the joiner keeps it a slot.
#include <gtest/gtest.h>

#include "core/capacity_policy.hpp"
#include "core/children.hpp"
#include "core/errors.hpp"
#include "node_harness.hpp"

namespace treecast::core {
namespace {

using namespace std::chrono_literals;
using testing::harness;
using testing::hello_from;
using testing::id_of;
using testing::make_chunk;
using testing::recording_context;
using testing::relay_config;
using testing::root_config;

using view = capacity_policy::child_view;

// A joiner offering `slots`, all of one (unknown) site.
capacity_policy::joiner_view joiner(std::uint32_t slots) {
  return {slots, {}, {}};
}

// Labels only, as --site gives them.
place labelled(std::string site) {
  return {std::move(site), std::nullopt};
}

// Unlabelled, at (x, y) ms on the coordinate plane, settled.
place at(int x_ms, int y_ms) {
  return {"", wire::coordinate{x_ms * 10, y_ms * 10, 10, 100}};
}

const capacity_policy policy{site_inference(15ms)};

TEST(capacity_policy, a_joiner_takes_a_place_only_when_clearly_stronger) {
  const std::vector<view> viewers{{1, 2, 5, {}}, {2, 2, 1, {}}, {3, 16, 40, {}}};
  // Twice the weakest's slots, and at least min_strong.
  EXPECT_EQ(policy.room_for(viewers, joiner(0)), 4u);
  EXPECT_FALSE(policy.gives_way(viewers, joiner(3)));
  // Of the weakest, the one with the smallest subtree moves.
  EXPECT_EQ(policy.gives_way(viewers, joiner(4)), link_id_t{2});
  EXPECT_EQ(policy.gives_way(viewers, joiner(16)), link_id_t{2});
  // Among relays only, a relay of the same strength takes nothing.
  const std::vector<view> relays{{1, 16, 5, {}}, {2, 8, 9, {}}};
  EXPECT_EQ(policy.room_for(relays, joiner(0)), 16u);
  EXPECT_FALSE(policy.gives_way(relays, joiner(8)));
  EXPECT_EQ(policy.gives_way(relays, joiner(16)), link_id_t{2});
  // A leaf that takes no children (consume only, or nobody can reach it)
  // gives way to any joiner that takes one: held by leaves, a parent's
  // slots would otherwise keep 2- and 3-slot viewers from joining at all
  // (the netns lab: both of a site's relay slots taken by unreachable
  // viewers, the site's reachable viewers never joined).
  const std::vector<view> leaf{{7, 0, 1, {}}};
  EXPECT_EQ(policy.room_for(leaf, joiner(0)), 1u);
  EXPECT_EQ(policy.gives_way(leaf, joiner(1)), link_id_t{7});
  EXPECT_FALSE(policy.gives_way(leaf, joiner(0)));
  // No children: nothing to give.
  EXPECT_EQ(policy.room_for({}, joiner(0)), 0u);
  EXPECT_FALSE(policy.gives_way({}, joiner(100)));
  EXPECT_TRUE(capacity_policy::strong(capacity_policy::min_strong));
  EXPECT_FALSE(capacity_policy::strong(capacity_policy::min_strong - 1));
}

TEST(capacity_policy, a_move_never_adds_a_wan_crossing) {
  // Parent in paris; a paris viewer and a berlin viewer below it.
  const std::vector<view> kids{{1, 2, 1, labelled("paris")}, {2, 2, 1, labelled("berlin")}};
  // A berlin relay takes the berlin viewer's place (its WAN edge becomes the
  // relay's), never the paris viewer's (two crossings where there were none).
  EXPECT_EQ(policy.gives_way(kids, {16, labelled("berlin"), labelled("paris")}), link_id_t{2});
  EXPECT_EQ(
      policy.gives_way(std::vector<view>{kids[0]}, {16, labelled("berlin"), labelled("paris")}),
      std::nullopt);
  EXPECT_EQ(policy.room_for(std::vector<view>{kids[0]}, {0, labelled("berlin"), labelled("paris")}),
            0u);
  // A paris relay may take either place.
  EXPECT_TRUE(
      policy.gives_way(std::vector<view>{kids[0]}, {16, labelled("paris"), labelled("paris")}));
  EXPECT_TRUE(
      policy.gives_way(std::vector<view>{kids[1]}, {16, labelled("paris"), labelled("paris")}));
  // Unknown sites match any.
  EXPECT_TRUE(policy.gives_way(std::vector<view>{kids[0]}, {16, labelled(""), labelled("paris")}));
}

TEST(capacity_policy, without_labels_sites_are_told_by_coordinates) {
  // Parent at the origin; one child next to it, one 80 ms away (another
  // office across the WAN).
  const place parent = at(0, 0);
  const std::vector<view> kids{{1, 2, 1, at(1, 0)}, {2, 2, 1, at(80, 0)}};
  // A relay in the far office takes the far child's place, not the near one's.
  EXPECT_EQ(policy.gives_way(kids, {16, at(81, 0), parent}), link_id_t{2});
  EXPECT_EQ(policy.gives_way(std::vector<view>{kids[0]}, {16, at(81, 0), parent}), std::nullopt);
  // A relay of the parent's office may take either.
  EXPECT_TRUE(policy.gives_way(std::vector<view>{kids[0]}, {16, at(2, 0), parent}));
  EXPECT_TRUE(policy.gives_way(std::vector<view>{kids[1]}, {16, at(2, 0), parent}));
  // An unsettled coordinate tells nothing: it matches any.
  place unsure = at(81, 0);
  unsure.where->error_permille = 1500;
  EXPECT_TRUE(policy.gives_way(std::vector<view>{kids[0]}, {16, unsure, parent}));
}

struct children_fixture {
  children_fixture() : r(config()) {}
  static node_config config() {
    node_config c;
    c.max_children = 2;
    return c;
  }
  // A child `n`, linked and introduced; returns its link id.
  link_id_t linked(std::uint8_t n) {
    const link_id_t id = links.accept({"10.0.0." + std::to_string(n), 5555});
    std::string refusal;
    links.admit(links.at(id), hello_from(n, 7000), refusal);
    return id;
  }
  void add(link_id_t id) { kids.add(id, links.at(id)); }
  recording_context r;
  link_table links{r.ctx};
  rendition_subscriptions renditions{r.ctx, links};
  children kids{r.ctx, links, renditions};
};

TEST(children, a_slot_kept_for_a_moving_child_is_its_alone_until_it_comes_or_time_is_up) {
  children_fixture f;
  f.kids.reserve_for(id_of(30), f.r.ctx.now + 3s);
  EXPECT_EQ(f.kids.free_slots(true), 1u);
  EXPECT_TRUE(f.kids.reserved_for(id_of(30)));
  EXPECT_FALSE(f.kids.reserved_for(id_of(31)));
  // Another peer takes the free slot: the kept one is still there.
  const link_id_t other = f.linked(31);
  f.add(other);
  EXPECT_EQ(f.kids.free_slots(true), 0u);
  EXPECT_TRUE(f.kids.reserved_for(id_of(30)));
  // The child comes: the slot is its own, nothing is kept any more.
  f.add(f.linked(30));
  EXPECT_FALSE(f.kids.reserved_for(id_of(30)));
  EXPECT_EQ(f.kids.free_slots(true), 0u);
  // A slot kept for a child that never comes frees itself.
  f.kids.remove(other);
  f.kids.reserve_for(id_of(40), f.r.ctx.now + 3s);
  EXPECT_EQ(f.kids.free_slots(true), 0u);
  f.r.ctx.now += 3s;
  EXPECT_FALSE(f.kids.reserved_for(id_of(40)));
  EXPECT_EQ(f.kids.free_slots(true), 1u);
}

TEST(children, a_child_asked_to_move_out_is_overdue_only_at_its_deadline) {
  children_fixture f;
  const link_id_t c = f.linked(31);
  f.add(c);
  f.kids.start_move_out(c, f.r.ctx.now + 3s);
  EXPECT_TRUE(f.kids.moving_out());
  EXPECT_EQ(f.kids.move_out_deadline(), f.r.ctx.now + 3s);
  EXPECT_FALSE(f.kids.take_overdue_move_out());
  f.r.ctx.now += 3s;
  EXPECT_EQ(f.kids.take_overdue_move_out(), c);
  EXPECT_FALSE(f.kids.moving_out());
  // One that moved in time is no longer waited for.
  f.kids.start_move_out(c, f.r.ctx.now + 3s);
  f.kids.remove(c);
  EXPECT_FALSE(f.kids.moving_out());
  EXPECT_FALSE(f.kids.move_out_deadline());
}

// A broadcaster with two slots, both taken by 2-slot viewers (11, 12).
struct full_of_viewers {
  full_of_viewers() : h(root_config(2), 1) {
    h.start();
    first = h.join_peer(11, 2, true);
    second = h.join_peer(12, 2, true);
    h.clear();
  }
  harness h;
  link_id_t first = 0;
  link_id_t second = 0;
};

TEST(strong_peers_up, a_full_parent_takes_a_relay_and_moves_its_weakest_child_below_it) {
  full_of_viewers t;
  // Its Pong says a joiner of 4 slots or more would still be taken.
  const wire::pong pong = t.h.pong_to_prober(50, 8);
  EXPECT_EQ(pong.free_slots, 0u);
  EXPECT_EQ(pong.room_for_max_children, 4u);

  const link_id_t relay = t.h.join_peer(20, 16, true);
  const auto accepts = t.h.only_sent<wire::join_accept>(relay);
  ASSERT_EQ(accepts.size(), 1u);
  EXPECT_EQ(accepts[0].adoptee, id_of(11));  // the weakest; the first of equals
  const auto moves = t.h.only_sent<wire::move>(t.first);
  ASSERT_EQ(moves.size(), 1u);
  EXPECT_EQ(moves[0].targets.at(0), (wire::endpoint{"10.0.0.20", 7020}));
  EXPECT_TRUE(t.h.only_sent<wire::move>(t.second).empty());
  EXPECT_EQ(t.h.engine().stats().get(counter::children_moved_out), 1u);
  // The child is fed until it moves: not closed yet.
  EXPECT_FALSE(t.h.closed_reason(t.first));

  // One child moving out at a time: the next strong joiner is redirected.
  t.h.clear();
  const link_id_t another = t.h.join_peer(21, 16, true);
  EXPECT_EQ(t.h.only_sent<wire::join_redirect>(another).size(), 1u);

  // The child moved: its link closes, nobody is waited for any more, and the
  // next relay may take the other viewer's place.
  t.h.closed(t.first);
  t.h.clear();
  const link_id_t third = t.h.join_peer(22, 16, true);
  EXPECT_EQ(t.h.only_sent<wire::join_accept>(third).at(0).adoptee, id_of(12));
  EXPECT_EQ(t.h.only_sent<wire::move>(t.second).size(), 1u);
}

TEST(strong_peers_up, a_child_that_does_not_move_in_time_is_dropped) {
  full_of_viewers t;
  t.h.join_peer(20, 16, true);
  // Both children keep answering heartbeats; the one asked never moves.
  auto alive_for = [&t](duration d) {
    for (duration passed{}; passed < d; passed += 100ms) {
      t.h.heard(t.first);
      t.h.heard(t.second);
      t.h.advance(100ms);
    }
  };
  alive_for(2900ms);
  EXPECT_FALSE(t.h.closed_reason(t.first));
  alive_for(100ms);
  EXPECT_EQ(t.h.closed_reason(t.first), std::error_code(node_errc::moved_out));
  EXPECT_FALSE(t.h.closed_reason(t.second));
}

TEST(strong_peers_up, no_child_gives_way_while_a_switched_standby_child_holds_the_headroom) {
  harness h(root_config(2), 1);
  h.start();
  const link_id_t first = h.join_peer(11, 2, true);
  const link_id_t standby = h.accept("10.0.0.30");  // held while a slot was free
  h.receive(standby, hello_from(30, 7030));
  h.receive(standby, wire::standby_request{{id_of(1), id_of(9), id_of(30)}});
  h.join_peer(12, 2, true);
  h.receive(standby, wire::join_request{0});  // its parent failed: it switches to us
  ASSERT_EQ(h.engine().child_count(), 3u);    // one over our two slots
  h.clear();
  const link_id_t relay = h.join_peer(20, 16, true);
  EXPECT_EQ(h.only_sent<wire::join_redirect>(relay).size(), 1u);
  EXPECT_TRUE(h.only_sent<wire::move>(first).empty());
  EXPECT_EQ(h.engine().child_count(), 3u);
}

TEST(strong_peers_up, a_weak_joiner_or_one_that_cannot_adopt_is_redirected) {
  full_of_viewers t;
  const link_id_t weak = t.h.join_peer(20, 3, true);
  EXPECT_EQ(t.h.only_sent<wire::join_redirect>(weak).size(), 1u);
  // Strong, but without a free slot or below us: it cannot take the child.
  const link_id_t cannot = t.h.join_peer(21, 16, false);
  EXPECT_EQ(t.h.only_sent<wire::join_redirect>(cannot).size(), 1u);
  EXPECT_TRUE(t.h.only_sent<wire::move>(t.first).empty());
  EXPECT_TRUE(t.h.only_sent<wire::move>(t.second).empty());
  EXPECT_EQ(t.h.engine().stats().get(counter::children_moved_out), 0u);
}

// A viewer (id 100, 2 slots) under parent 5 (depth 1) at 10.0.0.5, fed
// chunks 0-3. Without a standby, so that only the move opens links.
struct attached_viewer {
  attached_viewer() : h(config()) {
    h.start();
    parent = h.answer_query({{id_of(5), {"10.0.0.5", 7005}, 1, 2, "", {}}}).at(0).link;
    h.answer_probe(parent, 5, 7005, 1, 2, {id_of(1), id_of(5)});
    h.receive(parent, wire::join_accept{1, {id_of(1), id_of(5)}, {{"127.0.0.1", 7000}}, {}});
    for (; next_seq < 4; ++next_seq) {
      h.receive(parent, make_chunk(next_seq));
    }
    h.clear();
  }
  // Our parent asks us to move below the joiner at 10.0.0.20, which is
  // full by now and names nowhere else; returns the links opened since the
  // Move (the joiner's probe, then our ancestors').
  std::vector<connect_action> move_the_named_joiner_cannot_take() {
    h.receive(parent, wire::move{{{"10.0.0.20", 7020}}});
    const auto named = h.only_connect();
    h.connected(named.link);
    h.answer_probe(named.link, 20, 7020, 2, 0, {id_of(1), id_of(5), id_of(20)});
    EXPECT_TRUE(h.only_sent<wire::join_request>(named.link).empty());
    return h.all<connect_action>();
  }
  // Our parent asks us to move below the joiner at 10.0.0.20, then names
  // a backup at 10.0.0.30; returns both probes' links, connected, in that
  // order.
  std::vector<connect_action> move_below_joiner_or_backup() {
    h.receive(parent, wire::move{{{"10.0.0.20", 7020}, {"10.0.0.30", 7030}}});
    auto probes = h.all<connect_action>();
    for (const auto& probe : probes) {
      h.connected(probe.link);
    }
    return probes;
  }
  static node_config config() {
    node_config c = relay_config();
    c.role = wire::peer_role::viewer;
    c.max_children = 2;
    c.warm_standby = false;
    return c;
  }
  harness h;
  link_id_t parent = 0;
  wire::seq_t next_seq = 0;
};

TEST(strong_peers_up, a_child_asked_to_move_joins_the_relay_make_before_break) {
  attached_viewer t;
  t.h.receive(t.parent, wire::move{{{"10.0.0.20", 7020}}});
  const auto probe = t.h.only_connect();
  EXPECT_EQ(probe.to, (wire::endpoint{"10.0.0.20", 7020}));
  t.h.connected(probe.link);
  // The relay at depth 2 (below our parent), with the slot it keeps for us.
  t.h.answer_probe(probe.link, 20, 7020, 2, 1, {id_of(1), id_of(5), id_of(20)});
  const auto requests = t.h.only_sent<wire::join_request>(probe.link);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].resume_from, t.next_seq);
  // The old parent feeds us until the relay accepts.
  t.h.clear();
  t.h.receive(t.parent, make_chunk(t.next_seq++));
  EXPECT_EQ(t.h.all<deliver_action>().size(), 1u);
  EXPECT_FALSE(t.h.closed_reason(t.parent));
  t.h.receive(probe.link,
              wire::join_accept{2, {id_of(1), id_of(5), id_of(20)}, {{"127.0.0.1", 7000}}, {}});
  EXPECT_EQ(t.h.closed_reason(t.parent), std::error_code(node_errc::parent_replaced));
  EXPECT_EQ(t.h.engine().parent_endpoint(), (wire::endpoint{"10.0.0.20", 7020}));
  EXPECT_EQ(t.h.engine().stats().get(counter::parent_losses), 0u);  // a move, not a repair
  t.h.receive(probe.link, make_chunk(t.next_seq));
  EXPECT_EQ(t.h.engine().stats().get(counter::chunks_missed), 0u);
}

TEST(strong_peers_up, a_moving_child_waits_for_the_joiner_that_keeps_it_a_slot) {
  attached_viewer t;
  const auto probes = t.move_below_joiner_or_backup();
  ASSERT_EQ(probes.size(), 2u);
  // The backup answers first with room, deep in the tree; a join round
  // would settle for it a few round trips later.
  t.h.answer_probe(probes[1].link, 30, 7030, 6, 2, {id_of(1), id_of(30)}, "",
                   std::chrono::milliseconds(600));
  t.h.advance(std::chrono::milliseconds(300));
  EXPECT_TRUE(t.h.only_sent<wire::join_request>(probes[1].link).empty());
  // The joiner answers with the slot it keeps for us: one hop down, taken at once.
  t.h.answer_probe(probes[0].link, 20, 7020, 2, 1, {id_of(1), id_of(5), id_of(20)});
  EXPECT_EQ(t.h.only_sent<wire::join_request>(probes[0].link).size(), 1u);
  EXPECT_TRUE(t.h.only_sent<wire::join_request>(probes[1].link).empty());
  EXPECT_FALSE(t.h.closed_reason(t.parent));  // fed until the joiner accepts
}

TEST(strong_peers_up, a_moving_child_takes_a_sooner_backup_over_a_far_joiner) {
  attached_viewer t;
  const auto probes = t.move_below_joiner_or_backup();
  ASSERT_EQ(probes.size(), 2u);
  // A backup near us answers first; the joiner, far from us and itself
  // 150 ms from the broadcaster, 300 ms later: its slot would make our
  // subtree ~300 ms later at once, past the viewers' buffer.
  t.h.answer_probe(probes[1].link, 30, 7030, 2, 2, {id_of(1), id_of(5), id_of(30)}, "",
                   std::chrono::milliseconds(20));
  t.h.advance(std::chrono::milliseconds(300));
  EXPECT_TRUE(t.h.only_sent<wire::join_request>(probes[1].link).empty());
  t.h.answer_probe(probes[0].link, 20, 7020, 2, 1, {id_of(1), id_of(5), id_of(20)}, "",
                   std::chrono::milliseconds(150));
  EXPECT_EQ(t.h.only_sent<wire::join_request>(probes[1].link).size(), 1u);
  EXPECT_TRUE(t.h.only_sent<wire::join_request>(probes[0].link).empty());
  EXPECT_FALSE(t.h.closed_reason(t.parent));  // fed until the backup accepts
}

TEST(strong_peers_up, a_move_nobody_can_take_falls_back_to_the_ancestors_while_the_parent_feeds) {
  attached_viewer t;
  const auto connects = t.move_the_named_joiner_cannot_take();
  // Our ancestors next (the broadcaster), the parent still ours.
  ASSERT_EQ(connects.size(), 2u);
  EXPECT_EQ(connects[1].to, (wire::endpoint{"127.0.0.1", 7000}));
  EXPECT_FALSE(t.h.closed_reason(t.parent));
  EXPECT_TRUE(t.h.engine().attached());
}

TEST(strong_peers_up, a_move_the_ancestors_cannot_take_either_asks_the_rendezvous) {
  attached_viewer t;
  const auto connects = t.move_the_named_joiner_cannot_take();
  // The broadcaster is full too (a flash crowd).
  ASSERT_EQ(connects.size(), 2u);
  const auto ancestor = connects[1];
  ASSERT_EQ(ancestor.to, (wire::endpoint{"127.0.0.1", 7000}));
  t.h.clear();
  t.h.connected(ancestor.link);
  t.h.answer_as_root(ancestor.link, wire::pong{0, true, 0, 0, {id_of(1)}});
  // Our parent closes our link soon: staying is no option yet. Peers with
  // room anywhere, as a join finds them.
  const auto probes = t.h.answer_query({{id_of(30), {"10.0.0.30", 7030}, 2, 2, "", {}}});
  ASSERT_EQ(probes.size(), 1u);
  EXPECT_EQ(probes[0].to, (wire::endpoint{"10.0.0.30", 7030}));
  t.h.answer_probe(probes[0].link, 30, 7030, 2, 2, {id_of(1), id_of(7), id_of(30)});
  EXPECT_EQ(t.h.only_sent<wire::join_request>(probes[0].link).size(), 1u);
  EXPECT_FALSE(t.h.closed_reason(t.parent));  // fed until it accepts
  EXPECT_TRUE(t.h.engine().attached());
}

TEST(strong_peers_up, a_seed_the_broadcaster_dropped_rejoins_below_it) {
  node_config c = relay_config();
  c.warm_standby = false;
  harness h(c);
  h.start();
  const link_id_t broadcaster = h.attach_under_root();
  // It moved us out and, nobody taking us in time, closed our link. Every
  // peer is below the broadcaster: its subtree is still a home.
  h.clear();
  h.closed(broadcaster);
  h.advance(c.reconnect_max);
  const auto probes = h.answer_query({{id_of(30), {"10.0.0.30", 7030}, 2, 2, "", {}}});
  ASSERT_EQ(probes.size(), 1u);
  h.answer_probe(probes[0].link, 30, 7030, 2, 2, {id_of(1), id_of(7), id_of(30)});
  EXPECT_EQ(h.only_sent<wire::join_request>(probes[0].link).size(), 1u);
}

TEST(strong_peers_up, a_move_from_a_peer_that_is_not_our_parent_is_a_protocol_error) {
  attached_viewer t;
  const link_id_t stranger = t.h.accept("10.0.0.66");
  t.h.receive(stranger, hello_from(66, 7066));
  t.h.receive(stranger, wire::move{{{"10.0.0.20", 7020}}});
  EXPECT_EQ(t.h.closed_reason(stranger), std::error_code(node_errc::unexpected_message));
  EXPECT_TRUE(t.h.all<connect_action>().empty());
}

TEST(strong_peers_up, a_relay_joins_a_full_parent_that_makes_room_and_keeps_a_slot_for_the_mover) {
  node_config c = relay_config();
  c.max_children = 4;
  c.warm_standby = false;
  harness h(c);
  h.start();
  const link_id_t probe = h.answer_query({{id_of(5), {"10.0.0.5", 7005}, 1, 0, "", {}}}).at(0).link;
  h.receive(probe, hello_from(5, 7005));
  // Full, but a joiner of 4 slots or more would still be taken.
  wire::pong full{h.only_sent<wire::ping>(probe).at(0).nonce, true, 1, 0, {id_of(1), id_of(5)}};
  full.room_for_max_children = 4;
  h.receive(probe, full);
  h.answer_uplink_timing(probe);
  const auto requests = h.only_sent<wire::join_request>(probe);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_TRUE(requests[0].can_adopt);
  wire::join_accept accept{1, {id_of(1), id_of(5)}, {{"127.0.0.1", 7000}}, {}};
  accept.adoptee = id_of(30);
  h.receive(probe, accept);
  ASSERT_TRUE(h.engine().attached());
  h.clear();

  // One of our 4 slots is kept for peer 30: others see 3, it sees 4.
  auto pong_to = [&h](std::uint8_t n) {
    const link_id_t asker = h.accept("10.0.1." + std::to_string(n));
    h.receive(asker, hello_from(n, 7000));
    h.receive(asker, wire::ping{n});
    return h.only_sent<wire::pong>(asker).at(0).free_slots;
  };
  EXPECT_EQ(pong_to(31), 3u);
  EXPECT_EQ(pong_to(30), 4u);
  for (std::uint8_t n = 41; n <= 43; ++n) {
    EXPECT_EQ(h.only_sent<wire::join_accept>(h.join_peer(n, 2, true)).size(), 1u);
  }
  EXPECT_EQ(h.only_sent<wire::join_redirect>(h.join_peer(44, 2, true)).size(), 1u);
  EXPECT_EQ(h.only_sent<wire::join_accept>(h.join_peer(30, 2, true)).size(), 1u);
}

}  // namespace
}  // namespace treecast::core
