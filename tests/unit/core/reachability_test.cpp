// Reachability: a parent connects back to each new child; one nobody can
// reach is never handed out, is told so, and then offers no slots.
#include <gtest/gtest.h>

#include "node_harness.hpp"

namespace treecast::core::testing {
namespace {

// Peer `n` at 10.0.0.n:(7000 + n) joins the node; the node's check of it is
// left open. Returns {child link, check link}.
std::pair<link_id_t, link_id_t> join_unchecked(harness& h, std::uint8_t n) {
  const std::string host = "10.0.0." + std::to_string(n);
  const auto port = static_cast<std::uint16_t>(7000 + n);
  const link_id_t child = h.accept(host);
  h.receive(child, hello_from(n, port));
  h.clear();
  h.receive(child, wire::join_request{});
  EXPECT_EQ(h.only_connect().to, (wire::endpoint{host, port}));
  return {child, h.only_connect().link};
}

// The peers the node hands an asker from 10.0.0.99.
std::vector<wire::node_id_t> handed_out(harness& h) {
  const link_id_t asker = h.accept("10.0.0.99");
  h.receive(asker, hello_from(99));
  h.clear();
  h.receive(asker, wire::candidates_request{});
  std::vector<wire::node_id_t> ids;
  for (const auto& answer : h.only_sent<wire::candidates>(asker)) {
    for (const auto& p : answer.peers) {
      ids.push_back(p.node_id);
    }
  }
  return ids;
}

bool contains(const std::vector<wire::node_id_t>& ids, std::uint8_t n) {
  return std::find(ids.begin(), ids.end(), id_of(n)) != ids.end();
}

TEST(reachability, a_child_is_handed_out_only_once_it_answered_the_check) {
  harness h(root_config(3));
  h.start();
  const auto [child, check] = join_unchecked(h, 2);
  EXPECT_FALSE(contains(handed_out(h), 2));  // not yet known
  h.connected(check);
  h.receive(check, hello_from(2, 7002));
  EXPECT_EQ(h.closed_reason(check), std::error_code(node_errc::reach_checked));
  const auto told = h.only_sent<wire::reachability>(child);
  ASSERT_EQ(told.size(), 1u);
  EXPECT_TRUE(told[0].reachable);
  EXPECT_EQ(told[0].seen_as, (wire::endpoint{"10.0.0.2", 7002}));
  EXPECT_TRUE(contains(handed_out(h), 2));
  EXPECT_EQ(h.engine().stats().get(counter::reach_checks), 1u);
  EXPECT_EQ(h.engine().stats().get(counter::children_unreachable), 0u);
}

TEST(reachability, a_child_whose_connection_fails_is_told_and_never_handed_out) {
  harness h(root_config(3));
  h.start();
  const auto [child, check] = join_unchecked(h, 2);
  h.clear();
  h.closed(check);  // refused, or the driver's connect timeout
  const auto told = h.only_sent<wire::reachability>(child);
  ASSERT_EQ(told.size(), 1u);
  EXPECT_FALSE(told[0].reachable);
  EXPECT_EQ(h.engine().child_count(), 1u);  // it still watches
  EXPECT_FALSE(contains(handed_out(h), 2));
  EXPECT_EQ(h.engine().stats().get(counter::children_unreachable), 1u);
}

TEST(reachability, a_check_with_no_answer_ends_at_its_timeout_not_before) {
  const node_config c = root_config(3);
  harness h(c);
  h.start();
  const auto [child, check] = join_unchecked(h, 2);
  h.clear();
  // The SYN was dropped: nothing comes on the check; the child itself is
  // heard from meanwhile.
  const time_point timeout = h.now() + c.reach_check_timeout;
  while (h.now() + 100ms < timeout) {
    h.advance(100ms);
    h.heard(child);
  }
  h.advance(timeout - h.now() - 1ms);
  EXPECT_TRUE(h.only_sent<wire::reachability>(child).empty());
  h.advance(1ms);
  EXPECT_EQ(h.closed_reason(check), std::error_code(node_errc::reach_checked));
  const auto told = h.only_sent<wire::reachability>(child);
  ASSERT_EQ(told.size(), 1u);
  EXPECT_FALSE(told[0].reachable);
  EXPECT_FALSE(contains(handed_out(h), 2));
}

TEST(reachability, another_peer_answering_at_the_childs_address_is_no_answer) {
  harness h(root_config(3));
  h.start();
  const auto [child, check] = join_unchecked(h, 2);
  h.connected(check);
  h.clear();
  h.receive(check, hello_from(3, 7002));  // a NAT's port, someone else's
  const auto told = h.only_sent<wire::reachability>(child);
  ASSERT_EQ(told.size(), 1u);
  EXPECT_FALSE(told[0].reachable);
}

TEST(reachability, peers_below_an_unreachable_child_are_still_handed_out) {
  harness h(root_config(3));
  h.start();
  const auto [child, check] = join_unchecked(h, 2);
  wire::report report;
  report.subtree_size = 2;
  report.candidates = {{id_of(11), {"10.0.0.11", 7011}, 2, 2, "", {}}};
  h.receive(child, report);
  h.closed(check);
  const auto ids = handed_out(h);
  EXPECT_FALSE(contains(ids, 2));
  EXPECT_TRUE(contains(ids, 11));
}

TEST(reachability, a_full_child_with_nothing_below_it_is_not_handed_out) {
  // A leaf by choice or by its link (consume only, a narrow downlink) could
  // only turn a joiner away; a full child with peers below it redirects.
  harness h(root_config(3));
  h.start();
  auto join_checked = [&](std::uint8_t n) {
    const auto [child, check] = join_unchecked(h, n);
    h.connected(check);
    h.receive(check, hello_from(n, static_cast<std::uint16_t>(7000 + n)));
    return child;
  };
  const link_id_t leaf = join_checked(2);
  const link_id_t full = join_checked(3);
  h.receive(leaf, wire::report{});
  wire::report peers_below;
  peers_below.subtree_size = 2;
  peers_below.candidates = {{id_of(11), {"10.0.0.11", 7011}, 2, 2, "", {}}};
  h.receive(full, peers_below);
  auto ids = handed_out(h);
  EXPECT_FALSE(contains(ids, 2));
  EXPECT_TRUE(contains(ids, 3));
  EXPECT_TRUE(contains(ids, 11));
  wire::report room_again;
  room_again.free_slots = 1;
  h.receive(leaf, room_again);
  EXPECT_TRUE(contains(handed_out(h), 2));
}

TEST(reachability, an_unreachable_child_gives_its_place_to_a_joiner_that_takes_children) {
  // Both slots held by leaves: without this, nobody could join below us.
  harness h(root_config(2));
  h.start();
  const auto [leaf, check] = join_unchecked(h, 2);
  h.closed(check);  // nobody can reach it
  h.join_peer(3);   // reachable, 8 slots: no place taken from it
  h.clear();
  const link_id_t joiner = h.join_peer(4, 3, true);  // 3 slots, may adopt
  const auto accepts = h.only_sent<wire::join_accept>(joiner);
  ASSERT_EQ(accepts.size(), 1u);
  EXPECT_EQ(accepts[0].adoptee, id_of(2));
  const auto moves = h.only_sent<wire::move>(leaf);
  ASSERT_EQ(moves.size(), 1u);
  EXPECT_EQ(moves[0].targets.at(0), (wire::endpoint{"10.0.0.4", 7004}));
}

TEST(reachability, a_consume_only_child_is_not_checked_and_a_child_gone_ends_its_check) {
  harness h(root_config(3));
  h.start();
  h.clear();
  h.join_child(5);  // listen port 0: takes no children
  EXPECT_TRUE(h.all<connect_action>().empty());
  const auto [child, check] = join_unchecked(h, 2);
  h.clear();
  h.closed(child);
  EXPECT_EQ(h.closed_reason(check), std::error_code(node_errc::reach_checked));
  h.advance(root_config().reach_check_timeout);
  EXPECT_TRUE(h.all<send_action>().empty() || h.only_sent<wire::reachability>(child).empty());
  EXPECT_EQ(h.engine().stats().get(counter::children_unreachable), 0u);
}

TEST(reachability, told_it_cannot_be_reached_a_node_offers_no_slot_until_told_otherwise) {
  harness h(relay_config());
  h.start();
  const link_id_t parent = h.attach_under_root();
  EXPECT_GT(h.engine().free_slots(), 0u);
  h.clear();
  h.receive(parent, wire::reachability{false, {"203.0.113.7", 7001}});
  EXPECT_EQ(h.engine().free_slots(), 0u);
  const auto events = h.all<event_action>();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(std::get<reachability_event>(events[0].event).reachable);
  // Said once: the same word again changes nothing.
  h.clear();
  h.receive(parent, wire::reachability{false, {"203.0.113.7", 7001}});
  EXPECT_TRUE(h.all<event_action>().empty());
  // A prober that got here anyway is told there is no slot, nor a place.
  EXPECT_EQ(h.pong_to_prober(20, 8).free_slots, 0u);
  EXPECT_EQ(h.pong_to_prober(21, 8).room_for_max_children, 0u);
  const link_id_t joiner = h.join_peer(22);
  const auto redirects = h.only_sent<wire::join_redirect>(joiner);
  ASSERT_EQ(redirects.size(), 1u);
  EXPECT_NE(redirects[0].reason.find("not reachable"), std::string::npos);
  EXPECT_EQ(h.engine().child_count(), 0u);
  // Its reports say so, and a later parent that reaches it gives the slots back.
  h.clear();
  wire::seq_t seq = 0;
  for (duration passed{}; passed < relay_config().report_interval; passed += 100ms) {
    h.advance(100ms);
    h.receive(parent, make_chunk(seq++));
  }
  const auto reports = h.only_sent<wire::report>(parent);
  ASSERT_FALSE(reports.empty());
  EXPECT_EQ(reports.back().free_slots, 0u);
  ASSERT_TRUE(h.engine().attached());
  h.receive(parent, wire::reachability{true, {"10.0.0.100", 7001}});
  EXPECT_EQ(h.engine().free_slots(), relay_config().max_children);
}

TEST(reachability, word_from_a_link_that_is_not_our_parent_changes_nothing) {
  harness h(relay_config());
  h.start();
  h.attach_under_root();
  const link_id_t stranger = h.accept("10.0.0.77");
  h.receive(stranger, hello_from(77, 7077));
  h.receive(stranger, wire::reachability{false, {"10.0.0.100", 7001}});
  EXPECT_GT(h.engine().free_slots(), 0u);
}

}  // namespace
}  // namespace treecast::core::testing
