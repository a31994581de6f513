// The peer engine's transitions, driven by hand with a fake clock and a
// recording outbox: no sockets, no threads.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/errors.hpp"
#include "core/node.hpp"
#include "core/peer_claims.hpp"
#include "core_test_support.hpp"
#include "node_harness.hpp"
#include "wire/codec.hpp"

namespace treecast::core {
namespace {

using namespace std::chrono_literals;

using testing::harness;
using testing::hello_from;
using testing::id_of;
using testing::make_chunk;
using testing::only;
using testing::relay_config;
using testing::root_config;

TEST(node, root_serves_a_new_child_from_the_newest_keyframe) {
  harness h(root_config());
  h.start();
  for (wire::seq_t s = 0; s < 13; ++s) {
    h.source(make_chunk(s));
  }
  h.clear();
  const link_id_t child = h.join_child(1);
  const auto sent = h.sent_to(child);
  ASSERT_FALSE(sent.empty());
  EXPECT_TRUE(std::holds_alternative<wire::hello>(sent[0]));
  const auto accepts = only<wire::join_accept>(sent);
  ASSERT_EQ(accepts.size(), 1u);
  EXPECT_EQ(accepts[0].depth, 0u);
  EXPECT_EQ(accepts[0].path, std::vector<wire::node_id_t>{id_of(100)});
  const auto chunks = only<wire::chunk>(sent);
  ASSERT_EQ(chunks.size(), 3u);  // keyframe 10, then 11 and 12
  EXPECT_EQ(chunks[0].seq, 10u);
  EXPECT_EQ(chunks[2].seq, 12u);
  EXPECT_EQ(h.engine().child_count(), 1u);
}

TEST(node, child_resuming_is_served_from_its_sequence_number) {
  harness h(root_config());
  h.start();
  for (wire::seq_t s = 0; s < 13; ++s) {
    h.source(make_chunk(s));
  }
  h.clear();
  const link_id_t child = h.join_child(1, 0, 7);
  const auto chunks = only<wire::chunk>(h.sent_to(child));
  ASSERT_EQ(chunks.size(), 6u);
  EXPECT_EQ(chunks.front().seq, 7u);
}

TEST(node, forwards_the_same_frame_to_every_child) {
  harness h(root_config());
  h.start();
  const link_id_t a = h.join_child(1);
  const link_id_t b = h.join_child(2);
  const link_id_t c = h.join_child(3);
  h.clear();
  wire::chunk chunk = make_chunk(0);
  const wire::shared_bytes frame = chunk.frame;
  h.source(std::move(chunk));
  for (link_id_t link : {a, b, c}) {
    const auto frames = h.frames_to(link);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].get(), frame.get()) << "link " << link << " got a copy";
  }
  EXPECT_EQ(h.engine().stats().get(counter::chunks_sent), 3u);
}

TEST(node, full_node_redirects_to_its_children) {
  harness h(root_config(1));
  h.start();
  h.join_child(1, 9001);
  h.clear();
  const link_id_t late = h.join_child(2, 9002);
  const auto redirects = only<wire::join_redirect>(h.sent_to(late));
  ASSERT_EQ(redirects.size(), 1u);
  ASSERT_EQ(redirects[0].candidates.size(), 1u);
  EXPECT_EQ(redirects[0].candidates[0], (wire::endpoint{"10.0.0.1", 9001}));
  EXPECT_EQ(h.closed_reason(late), std::error_code(node_errc::join_refused));
  EXPECT_EQ(h.engine().child_count(), 1u);
  EXPECT_EQ(h.engine().stats().get(counter::children_refused), 1u);
}

TEST(node, relay_joins_through_the_rendezvous_and_a_probe) {
  harness h(relay_config());
  h.start();
  const auto query = h.only_connect();
  EXPECT_EQ(query.to, (wire::endpoint{"127.0.0.1", 7000}));
  const link_id_t parent = h.join_through_rendezvous();
  const auto joins = h.only_sent<wire::join_request>(parent);
  ASSERT_EQ(joins.size(), 1u);
  EXPECT_FALSE(joins[0].resume_from);

  h.receive(parent, wire::join_accept{0, {id_of(1)}});
  EXPECT_TRUE(h.engine().attached());
  EXPECT_EQ(h.engine().depth(), 1u);
  EXPECT_EQ(h.engine().path(), (std::vector<wire::node_id_t>{id_of(1), id_of(100)}));
  h.receive(parent, make_chunk(0));
  h.receive(parent, make_chunk(1));
  const auto delivered = h.all<deliver_action>();
  ASSERT_EQ(delivered.size(), 2u);
  EXPECT_EQ(delivered[1].chunk->seq, 1u);
}

TEST(node, joiner_picks_the_same_site_peer_over_a_nearer_one) {
  node_config c = relay_config();
  c.site = "paris";
  harness h(c);
  h.start();
  const auto probes = h.answer_query({{id_of(2), {"10.0.0.2", 7002}, 1, 2, "london", {}},
                                      {id_of(3), {"10.0.0.3", 7003}, 1, 2, "paris", {}}});
  ASSERT_EQ(probes.size(), 2u);
  // The London peer answers at once, the Paris one 40 ms later.
  h.answer_probe(probes[0].link, 2, 7002, 1, 2, {id_of(1), id_of(2)}, "london");
  h.advance(40ms);
  h.answer_probe(probes[1].link, 3, 7003, 1, 2, {id_of(1), id_of(3)}, "paris");
  EXPECT_EQ(h.only_sent<wire::join_request>(probes[1].link).size(), 1u);
  EXPECT_TRUE(h.only_sent<wire::join_request>(probes[0].link).empty());
  // The London peer is not chosen, but kept, and asked to be the warm
  // standby once the Paris one accepted (the request carries our path).
  EXPECT_FALSE(h.closed_reason(probes[0].link));
  EXPECT_TRUE(h.only_sent<wire::standby_request>(probes[0].link).empty());
  h.receive(probes[1].link, wire::join_accept{1, {id_of(1), id_of(3)}, {}, {}});
  const auto requests = h.only_sent<wire::standby_request>(probes[0].link);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].path, (std::vector<wire::node_id_t>{id_of(1), id_of(3), id_of(100)}));
}

// Joining in Paris: the London peer with room answers, the Paris one is
// full (its children could take us) and is asked first. The probe links.
std::vector<connect_action> asked_the_full_peer_of_our_site(harness& h) {
  h.start();
  const auto probes = h.answer_query({{id_of(2), {"10.0.0.2", 7002}, 1, 2, "london", {}},
                                      {id_of(3), {"10.0.0.3", 7003}, 1, 0, "paris", {}}});
  EXPECT_EQ(probes.size(), 2u);
  h.answer_probe(probes[0].link, 2, 7002, 1, 2, {id_of(1), id_of(2)}, "london");
  h.answer_probe(probes[1].link, 3, 7003, 1, 0, {id_of(1), id_of(3)}, "paris");
  EXPECT_EQ(h.only_sent<wire::join_request>(probes[1].link).size(), 1u);  // our site first
  h.clear();
  return probes;
}

node_config in_paris() {
  node_config c = relay_config();
  c.site = "paris";
  return c;
}

TEST(node, a_chosen_peer_that_turns_us_away_sends_us_to_the_rounds_runner_up_on_its_open_link) {
  // Not the peers it names, nor a new round: with no parent the stream
  // stands still, and the runner-up is probed and connected already.
  harness h(in_paris());
  const auto probes = asked_the_full_peer_of_our_site(h);
  h.receive(probes[1].link, wire::join_redirect{"full", {{"10.0.0.9", 7009}}});
  EXPECT_TRUE(h.all<connect_action>().empty());
  EXPECT_EQ(h.only_sent<wire::join_request>(probes[0].link).size(), 1u);
  EXPECT_EQ(h.engine().stats().get(counter::join_attempts), 1u);
}

TEST(node, a_chosen_peer_that_goes_away_sends_us_to_the_rounds_runner_up) {
  harness h(in_paris());
  const auto probes = asked_the_full_peer_of_our_site(h);
  h.closed(probes[1].link);
  EXPECT_TRUE(h.all<connect_action>().empty());
  EXPECT_EQ(h.only_sent<wire::join_request>(probes[0].link).size(), 1u);
}

TEST(node, a_runner_up_that_turns_us_away_too_sends_us_to_the_peers_it_names) {
  harness h(in_paris());
  const auto probes = asked_the_full_peer_of_our_site(h);
  h.receive(probes[1].link, wire::join_redirect{"full", {}});
  h.receive(probes[0].link, wire::join_redirect{"full", {{"10.0.0.9", 7009}}});
  EXPECT_EQ(h.only_connect().to, (wire::endpoint{"10.0.0.9", 7009}));
}

TEST(node, probe_round_ends_at_the_timeout_with_the_answers_it_has) {
  harness h(relay_config());
  h.start();
  const auto probes = h.answer_query(
      {{id_of(2), {"10.0.0.2", 7002}, 1, 2, "", {}}, {id_of(3), {"10.0.0.3", 7003}, 1, 2, "", {}}});
  ASSERT_EQ(probes.size(), 2u);
  h.answer_probe(probes[0].link, 2, 7002, 1, 2, {id_of(1), id_of(2)});  // the other never answers
  EXPECT_TRUE(h.only_sent<wire::join_request>(probes[0].link).empty());
  h.advance(relay_config().probe_timeout);
  EXPECT_EQ(h.only_sent<wire::join_request>(probes[0].link).size(), 1u);
}

TEST(node, candidate_with_this_node_on_its_path_is_never_chosen) {
  harness h(relay_config(), 100);
  h.start();
  // The only candidate sits below us (its path holds our id 100).
  const link_id_t probe = h.join_through_rendezvous(5, 3, {id_of(1), id_of(100), id_of(5)});
  EXPECT_TRUE(h.only_sent<wire::join_request>(probe).empty());
  EXPECT_FALSE(h.engine().attached());
  EXPECT_EQ(h.engine().stats().get(counter::loops_refused), 1u);
}

TEST(node, lost_parent_is_replaced_by_the_grandparent_from_the_next_missing_chunk) {
  harness h(relay_config());
  h.start();
  // Parent 5 at depth 1 (at 10.0.0.5:7005); the broadcaster 1 is at 127.0.0.1:7000.
  link_id_t parent = h.answer_query({{id_of(5), {"10.0.0.5", 7005}, 1, 2, "", {}}}).at(0).link;
  h.answer_probe(parent, 5, 7005, 1, 2, {id_of(1), id_of(5)});
  h.receive(parent, wire::join_accept{1, {id_of(1), id_of(5)}, {{"127.0.0.1", 7000}}, {}});
  ASSERT_TRUE(h.engine().attached());
  for (wire::seq_t s = 0; s < 4; ++s) {
    h.receive(parent, make_chunk(s));
  }
  h.clear();
  h.closed(parent);
  EXPECT_FALSE(h.engine().attached());
  // No rendezvous query: the grandparent is probed at once.
  const auto probe = h.only_connect();
  EXPECT_EQ(probe.to, (wire::endpoint{"127.0.0.1", 7000}));
  h.clear();
  h.connected(probe.link);
  h.answer_probe(probe.link, 1, 7000, 0, 1, {id_of(1)});
  const auto requests = h.only_sent<wire::join_request>(probe.link);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].resume_from, 4u);
  h.receive(probe.link, wire::join_accept{0, {id_of(1)}, {}, {}});
  EXPECT_EQ(h.engine().depth(), 1u);
  h.receive(probe.link, make_chunk(4));
  EXPECT_EQ(h.engine().stats().get(counter::repairs), 1u);
  EXPECT_EQ(h.engine().stats().get(counter::chunks_missed), 0u);
  EXPECT_EQ(h.engine().repair_times().size(), 1u);
}

TEST(node, repair_skips_candidates_below_the_lost_parent) {
  harness h(relay_config(), 100);
  h.start();
  const link_id_t parent =
      h.answer_query({{id_of(5), {"10.0.0.5", 7005}, 1, 2, "", {}}}).at(0).link;
  h.answer_probe(parent, 5, 7005, 1, 2, {id_of(1), id_of(5)});
  // Our parent names a backup that hangs below it (a sibling of ours).
  h.receive(parent, wire::join_accept{
                        1, {id_of(1), id_of(5)}, {{"127.0.0.1", 7000}}, {{"10.0.0.6", 7006}}});
  h.clear();
  h.closed(parent);
  const auto probes = h.all<connect_action>();
  ASSERT_EQ(probes.size(), 2u);  // grandparent and the backup, in parallel
  for (const auto& p : probes) {
    h.connected(p.link);
  }
  // The sibling answers first, with room, but its path holds the lost parent 5.
  h.answer_probe(probes[1].link, 6, 7006, 2, 2, {id_of(1), id_of(5), id_of(6)});
  h.answer_probe(probes[0].link, 1, 7000, 0, 1, {id_of(1)});
  EXPECT_TRUE(h.only_sent<wire::join_request>(probes[1].link).empty());
  EXPECT_EQ(h.only_sent<wire::join_request>(probes[0].link).size(), 1u);
}

TEST(node, leaving_parent_keeps_feeding_until_the_new_parent_accepts) {
  harness h(relay_config());
  h.start();
  const link_id_t old_parent = h.attach_under_root();
  h.receive(old_parent, make_chunk(0));
  h.clear();
  h.receive(old_parent, wire::leave{"leaving", {{"127.0.0.9", 7009}}});
  EXPECT_FALSE(h.closed_reason(old_parent));  // not yet: make-before-break
  const auto probe = h.only_connect();
  EXPECT_EQ(probe.to, (wire::endpoint{"127.0.0.9", 7009}));
  h.receive(old_parent, make_chunk(1));  // still flowing meanwhile
  EXPECT_EQ(h.all<deliver_action>().size(), 1u);
  h.connected(probe.link);
  h.answer_probe(probe.link, 9, 7009, 0, 2, {id_of(9)});
  EXPECT_EQ(h.only_sent<wire::join_request>(probe.link).at(0).resume_from, 2u);
  h.receive(probe.link, wire::join_accept{0, {id_of(9)}});
  EXPECT_EQ(h.closed_reason(old_parent), std::error_code(node_errc::parent_replaced));
  EXPECT_TRUE(h.engine().attached());
}

TEST(node, leave_hands_children_to_the_parent_then_stops) {
  harness h(relay_config());
  h.start();
  const link_id_t parent = h.attach_under_root();
  const link_id_t child = h.join_child(7, 9007);
  h.clear();
  h.leave();
  const auto leaves = h.only_sent<wire::leave>(child);
  ASSERT_EQ(leaves.size(), 1u);
  ASSERT_FALSE(leaves[0].handoff.empty());
  EXPECT_EQ(leaves[0].handoff[0], (wire::endpoint{"127.0.0.1", 7000}));
  EXPECT_FALSE(h.engine().stopped());
  EXPECT_EQ(h.engine().free_slots(), 0u);  // takes no one new while leaving
  EXPECT_FALSE(h.closed_reason(parent));   // still fed, to feed the child until it moves
  h.closed(child);                         // the child moved away
  EXPECT_TRUE(h.engine().stopped());
}

TEST(node, starved_parent_is_replaced) {
  harness h(relay_config());
  h.start();
  const link_id_t parent = h.attach_under_root();
  h.receive(parent, make_chunk(0));
  h.clear();
  for (int i = 0; i < 14; ++i) {  // heartbeats but no chunk for 3.5 s
    h.advance(250ms);
    h.receive(parent, wire::heartbeat{});
  }
  EXPECT_EQ(h.closed_reason(parent), std::error_code(node_errc::starved));
}

TEST(node, redirect_makes_the_joiner_probe_the_candidates) {
  harness h(relay_config());
  h.start();
  const link_id_t parent = h.join_through_rendezvous();
  h.clear();
  h.receive(parent, wire::join_redirect{"full", {{"127.0.0.2", 7100}}});
  EXPECT_EQ(h.closed_reason(parent), std::error_code(node_errc::join_refused));
  EXPECT_EQ(h.only_connect().to, (wire::endpoint{"127.0.0.2", 7100}));
  EXPECT_EQ(h.engine().stats().get(counter::join_redirects), 1u);
}

TEST(node, joiner_gives_up_after_the_bounded_attempts) {
  node_config c = relay_config();
  c.max_join_attempts = 3;
  harness h(c);
  h.start();
  for (int attempt = 0; attempt < 3; ++attempt) {
    const link_id_t query = h.only_connect().link;
    h.clear();
    h.closed(query);  // rendezvous unreachable
    if (attempt < 2) {
      EXPECT_TRUE(h.all<give_up_action>().empty());
      h.advance(c.reconnect_max);
    }
  }
  const auto gave_up = h.all<give_up_action>();
  ASSERT_EQ(gave_up.size(), 1u);
  EXPECT_NE(gave_up[0].reason.find("rendezvous unreachable"), std::string::npos);
  EXPECT_FALSE(h.engine().next_deadline() && h.engine().next_deadline() <= h.now());
}

TEST(node, path_update_with_this_node_inside_detaches) {
  harness h(relay_config(), 100);
  h.start();
  const link_id_t parent = h.attach_under_root();
  const link_id_t child = h.join_child(7);
  h.clear();
  h.receive(parent, wire::path_update{2, {id_of(1), id_of(9), id_of(4)}});
  EXPECT_EQ(h.engine().depth(), 3u);
  const auto updates = h.only_sent<wire::path_update>(child);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].depth, 3u);
  EXPECT_EQ(updates[0].path.back(), id_of(100));

  h.receive(parent, wire::path_update{3, {id_of(1), id_of(100), id_of(7), id_of(4)}});
  EXPECT_EQ(h.closed_reason(parent), std::error_code(node_errc::loop_detected));
  EXPECT_FALSE(h.engine().attached());
  EXPECT_EQ(h.engine().child_count(), 1u);  // children keep their link meanwhile
}

TEST(node, rendezvous_hands_out_peers_with_room_seeds_first_then_full_seeds_as_many_as_asked) {
  harness h(root_config(2));
  h.start();
  const link_id_t seed_a = h.join_child(1, 9001);
  const link_id_t seed_b = h.join_child(2, 9002);
  wire::report report_a;
  report_a.subtree_size = 3;
  report_a.free_slots = 0;
  report_a.candidates = {{id_of(11), {"10.0.0.11", 9011}, 2, 4, "", {}},
                         {id_of(12), {"10.0.0.12", 9012}, 2, 0, "", {}}};
  h.receive(seed_a, report_a);
  h.receive(seed_b, wire::report{1, 1, {}, 5});
  EXPECT_EQ(h.engine().subtree_size(), 5u);

  const link_id_t asker = h.accept("10.0.0.99");
  h.receive(asker, hello_from(50));
  h.clear();
  h.receive(asker, wire::candidates_request{});
  const auto answers = h.only_sent<wire::candidates>(asker);
  ASSERT_EQ(answers.size(), 1u);
  const auto& peers = answers[0].peers;
  // Root is full (2 of 2): seed 2 (room) first, then 11 (room), then the
  // full seed 1 (it can only send a joiner on); 12 is full and deep.
  ASSERT_EQ(peers.size(), 3u);
  EXPECT_EQ(peers[0].node_id, id_of(2));
  EXPECT_EQ(peers[1].node_id, id_of(11));
  EXPECT_EQ(peers[1].address, (wire::endpoint{"10.0.0.11", 9011}));
  EXPECT_EQ(peers[2].node_id, id_of(1));

  // An asker that probes two at most gets the first two, nothing more.
  const link_id_t frugal = h.accept("10.0.0.98");
  h.receive(frugal, hello_from(51));
  h.clear();
  wire::candidates_request two;
  two.max_peers = 2;
  h.receive(frugal, two);
  const auto short_answers = h.only_sent<wire::candidates>(frugal);
  ASSERT_EQ(short_answers.size(), 1u);
  ASSERT_EQ(short_answers[0].peers.size(), 2u);
  EXPECT_EQ(short_answers[0].peers[0].node_id, id_of(2));
  EXPECT_EQ(short_answers[0].peers[1].node_id, id_of(11));
}

TEST(node, child_reports_its_subtree_to_its_parent) {
  harness h(relay_config());
  h.start();
  const link_id_t parent = h.attach_under_root();
  const link_id_t child = h.join_child(7, 9007);
  h.receive(child, wire::report{4, 5, {}, 1});
  h.clear();
  h.advance(relay_config().report_interval);
  const auto reports = h.only_sent<wire::report>(parent);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].subtree_size, 5u);
  EXPECT_EQ(reports[0].subtree_depth, 5u);
  EXPECT_EQ(reports[0].free_slots, relay_config().max_children - 1);
  ASSERT_EQ(reports[0].candidates.size(), 1u);
  EXPECT_EQ(reports[0].candidates[0].node_id, id_of(7));
  EXPECT_EQ(reports[0].candidates[0].free_slots, 1u);
}

TEST(node, a_full_parent_reports_the_places_it_would_give_a_strong_joiner_and_hands_them_out) {
  node_config c = relay_config();
  c.max_children = 2;
  harness h(c);
  h.start();
  const link_id_t parent = h.attach_under_root();
  h.join_peer(7, 2);  // a viewer: it gives way to a joiner of 4 slots or more
  const link_id_t relay = h.join_peer(8, 8);
  // Below the relay: 30, full, would give such a joiner a place; 31 has a slot.
  wire::peer_summary full{id_of(30), {"10.0.0.30", 7030}, 4, 0, "", {}};
  full.room_for_max_children = 4;
  wire::report below;
  below.subtree_size = 3;
  below.candidates = {full, {id_of(31), {"10.0.0.31", 7031}, 4, 1, "", {}}};
  h.receive(relay, below);
  h.clear();
  for (int step = 0; step < 5; ++step) {  // a report interval, the parent heard
    h.advance(c.report_interval / 5);
    h.heard(parent);
  }
  const auto reports = h.only_sent<wire::report>(parent);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].room_for_max_children, 4u);
  auto named = [](const std::vector<wire::peer_summary>& peers, std::uint8_t id) {
    return std::find_if(peers.begin(), peers.end(),
                        [&](const wire::peer_summary& p) { return p.node_id == id_of(id); });
  };
  const auto climbed = named(reports[0].candidates, 30);
  ASSERT_NE(climbed, reports[0].candidates.end());  // full, yet it climbs
  EXPECT_EQ(climbed->room_for_max_children, 4u);

  // A relay asking is handed those places, as slots; a viewer is not.
  auto ask = [&](std::uint8_t n, std::uint32_t max_children) {
    const link_id_t asker = h.accept("10.0.0." + std::to_string(n));
    wire::hello hello = hello_from(n);
    hello.max_children = max_children;
    h.receive(asker, hello);
    h.clear();
    h.receive(asker, wire::candidates_request{});
    return h.only_sent<wire::candidates>(asker).at(0).peers;
  };
  const auto for_relay = ask(50, 8);
  ASSERT_NE(named(for_relay, 30), for_relay.end());
  EXPECT_EQ(named(for_relay, 30)->free_slots, 1u);
  EXPECT_NE(named(for_relay, 100), for_relay.end());  // ourselves: the viewer's place
  const auto for_viewer = ask(51, 2);
  EXPECT_EQ(named(for_viewer, 30), for_viewer.end());
  EXPECT_EQ(named(for_viewer, 100), for_viewer.end());
  EXPECT_NE(named(for_viewer, 31), for_viewer.end());
}

TEST(node, malformed_frame_closes_only_that_link) {
  harness h(root_config());
  h.start();
  const link_id_t bad = h.join_child(1);
  const link_id_t good = h.join_child(2);
  h.clear();
  h.receive_raw(bad, {0, 0, 0, 3, 0xff, 0xff, 0xff});
  ASSERT_TRUE(h.closed_reason(bad));
  EXPECT_EQ(h.closed_reason(bad)->category().name(), std::string("wire"));
  EXPECT_FALSE(h.closed_reason(good));
  EXPECT_EQ(h.engine().stats().get(counter::protocol_errors), 1u);
  h.source(make_chunk(0));
  EXPECT_EQ(h.frames_to(good).size(), 1u);
  EXPECT_EQ(h.frames_to(bad).size(), 0u);
  EXPECT_EQ(h.engine().child_count(), 1u);
}

TEST(node, message_before_hello_is_refused) {
  harness h(root_config());
  h.start();
  const link_id_t link = h.accept();
  h.receive(link, wire::join_request{});
  EXPECT_EQ(h.closed_reason(link), std::error_code(node_errc::hello_expected));
  EXPECT_EQ(h.engine().child_count(), 0u);
}

TEST(node, chunk_from_a_child_is_refused) {
  harness h(root_config());
  h.start();
  const link_id_t child = h.join_child(1);
  h.receive(child, make_chunk(0));
  EXPECT_EQ(h.closed_reason(child), std::error_code(node_errc::chunk_not_from_parent));
  EXPECT_EQ(h.engine().window().size(), 0u);
}

TEST(node, duplicate_chunk_is_dropped_and_not_forwarded) {
  harness h(relay_config());
  h.start();
  const link_id_t parent = h.attach_under_root();
  h.receive(parent, make_chunk(0));
  h.clear();
  h.receive(parent, make_chunk(0));
  EXPECT_TRUE(h.all<deliver_action>().empty());
  EXPECT_EQ(h.engine().stats().get(counter::chunks_duplicate), 1u);
}

TEST(node, join_accept_with_this_node_on_the_path_is_a_loop) {
  harness h(relay_config(), 100);
  h.start();
  const link_id_t parent = h.join_through_rendezvous();
  h.receive(parent, wire::join_accept{2, {id_of(1), id_of(100), id_of(5)}});
  EXPECT_EQ(h.closed_reason(parent), std::error_code(node_errc::loop_detected));
  EXPECT_FALSE(h.engine().attached());
}

TEST(node, silent_peer_is_dropped_after_the_missed_heartbeats) {
  harness h(root_config());
  h.start();
  const link_id_t quiet = h.join_child(1);
  const link_id_t chatty = h.join_child(2);
  for (int i = 0; i < 5; ++i) {
    h.advance(250ms);
    h.receive(chatty, wire::heartbeat{});
  }
  EXPECT_TRUE(h.closed_reason(quiet));
  EXPECT_EQ(*h.closed_reason(quiet), std::error_code(node_errc::heartbeat_timeout));
  EXPECT_FALSE(h.closed_reason(chatty));
  EXPECT_FALSE(only<wire::heartbeat>(h.sent_to(chatty)).empty());
}

TEST(node, a_parent_sending_a_long_frame_is_not_silent) {
  harness h(relay_config());
  h.start();
  const link_id_t parent = h.attach_under_root();
  h.receive(parent, make_chunk(0));
  h.clear();
  // A large chunk trickles in over 2 s: no whole frame, but bytes all along.
  for (int i = 0; i < 8; ++i) {
    h.advance(250ms);
    h.heard(parent);
  }
  EXPECT_FALSE(h.closed_reason(parent));
  EXPECT_TRUE(h.engine().attached());
  // Then nothing at all: silence.
  for (int i = 0; i < 5; ++i) {
    h.advance(250ms);
  }
  EXPECT_EQ(h.closed_reason(parent), std::error_code(node_errc::heartbeat_timeout));
}

TEST(node, deadline_follows_heartbeats_and_reconnects) {
  harness h(relay_config());
  EXPECT_FALSE(h.engine().next_deadline());
  h.start();
  ASSERT_TRUE(h.engine().next_deadline());
  // The links' sweep: twice a heartbeat interval.
  EXPECT_EQ(*h.engine().next_deadline(), h.now() + relay_config().heartbeat_interval / 2);
  const link_id_t query = h.only_connect().link;
  h.closed(query);
  EXPECT_EQ(*h.engine().next_deadline(), h.now() + relay_config().reconnect_min);
}

TEST(node, a_child_hears_from_its_parent_a_child_heartbeat_interval_after_the_last_chunk) {
  // What parent_silence_misses counts on: the stream pauses, and the
  // heartbeat comes child_heartbeat_interval after the last chunk, not a
  // sweep later.
  const node_config c = root_config();
  harness h(c);
  h.start();
  const link_id_t child = h.join_child(2);
  h.advance(5ms);
  h.source(make_chunk(0));
  ASSERT_EQ(h.only_sent<wire::chunk>(child).size(), 1u);
  const time_point sent = h.now();
  h.clear();
  for (int ms = 0; ms < 1000 && h.only_sent<wire::heartbeat>(child).empty(); ++ms) {
    h.advance(1ms);
  }
  EXPECT_EQ(h.now() - sent, c.child_heartbeat_interval);
}

TEST(node, a_child_fed_the_stream_is_sent_no_heartbeat) {
  const node_config c = root_config();
  harness h(c);
  h.start();
  const link_id_t child = h.join_child(2);
  h.clear();
  for (wire::seq_t s = 0; s < 30; ++s) {  // a second of chunks, one a frame
    h.source(make_chunk(s));
    h.advance(33ms);
  }
  EXPECT_EQ(h.only_sent<wire::chunk>(child).size(), 30u);
  EXPECT_TRUE(h.only_sent<wire::heartbeat>(child).empty());
}

TEST(node, config_validation_names_the_problem) {
  node_config c = relay_config();
  EXPECT_TRUE(c.validate().empty());
  c.rendezvous.reset();
  EXPECT_NE(c.validate().find("rendezvous"), std::string::npos);
  node_config r = root_config();
  r.window_span = 100ms;
  EXPECT_NE(r.validate().find("window"), std::string::npos);
}

}  // namespace
}  // namespace treecast::core

namespace treecast::core {
namespace {

// Accepts chunks whose signature is "good:" + body.
class fake_verifier final : public chunk_verifier {
 public:
  bool verify(std::string_view body, std::string_view signature) const override {
    return signature == "good:" + std::string(body);
  }
};

// A stream id whose key starts with the root's id (id_of(1)), as a real
// stream key names its broadcaster.
std::string stream_named(const std::string& name) {
  const wire::node_id_t root = id_of(1);
  return std::string(root.begin(), root.end()) + name;
}

wire::chunk signed_chunk(wire::seq_t seq, bool good) {
  wire::chunk c;
  c.stream_id = stream_named("stream-A");
  c.seq = seq;
  c.capture_time_us = seq * 200'000;
  c.flags = seq % 5 == 0 ? wire::chunk_flag_keyframe : 0;
  c.payload = "payload";
  c.body = wire::encode_chunk_body(c, c);
  c.signature = good ? "good:" + c.body : "forged";
  wire::seal_chunk(c);
  return c;
}

// A relay that checks chunks of `stream` with the fake verifier.
node_config checking_relay(const std::string& stream) {
  node_config c = relay_config();
  c.stream_id = stream;
  c.verifier = std::make_shared<fake_verifier>();
  return c;
}

TEST(node_security, forged_chunk_drops_and_bans_its_sender) {
  harness h(checking_relay(stream_named("stream-A")));
  h.start();
  const link_id_t parent = h.attach_under_root();
  const link_id_t child = h.join_child(7);
  h.receive(parent, signed_chunk(0, true));
  EXPECT_EQ(h.engine().window().size(), 1u);
  h.clear();
  h.receive(parent, signed_chunk(1, false));
  EXPECT_EQ(h.closed_reason(parent), std::error_code(node_errc::bad_signature));
  EXPECT_EQ(h.engine().stats().get(counter::chunks_forged), 1u);
  EXPECT_EQ(h.engine().window().size(), 1u);             // not stored
  EXPECT_TRUE(h.only_sent<wire::chunk>(child).empty());  // not forwarded
  EXPECT_TRUE(h.all<deliver_action>().empty());

  // The banned peer is not chosen again, even as the only candidate.
  const link_id_t probe = h.answer_query({{id_of(1), {"", 7000}, 0, 3, "", {}}}).at(0).link;
  h.answer_probe(probe, 1, 7000, 0, 3, {id_of(1)});
  EXPECT_TRUE(h.only_sent<wire::join_request>(probe).empty());
  EXPECT_FALSE(h.engine().attached());
}

TEST(node_security, chunk_of_another_stream_is_refused) {
  harness h(checking_relay(stream_named("stream-B")));
  h.start();
  const link_id_t parent = h.attach_under_root();
  h.receive(parent, signed_chunk(0, true));  // well signed, but stream-A
  EXPECT_EQ(h.closed_reason(parent), std::error_code(node_errc::bad_signature));
  EXPECT_EQ(h.engine().window().size(), 0u);
}

}  // namespace
}  // namespace treecast::core

namespace treecast::core {
namespace {

// Admits the token "ok" only.
class fake_admission final : public admission_policy {
 public:
  std::optional<std::string> check(std::string_view token, wire::peer_role,
                                   std::optional<std::int64_t>) const override {
    if (token == "ok") {
      return std::nullopt;
    }
    return token.empty() ? "no invite token" : "invite token expired";
  }
};

TEST(node_security, peer_without_a_valid_token_is_told_why_and_dropped) {
  node_config c = root_config();
  c.admission = std::make_shared<fake_admission>();
  harness h(c);
  h.start();
  const link_id_t stranger = h.accept();
  wire::hello hello = hello_from(9);
  hello.token = "stale";
  h.receive(stranger, hello);
  const auto leaves = h.only_sent<wire::leave>(stranger);
  ASSERT_EQ(leaves.size(), 1u);
  EXPECT_NE(leaves[0].reason.find("invite token expired"), std::string::npos);
  EXPECT_EQ(h.closed_reason(stranger), std::error_code(node_errc::unauthorized));
  EXPECT_EQ(h.engine().stats().get(counter::peers_unauthorized), 1u);

  const link_id_t invited = h.accept();
  hello.token = "ok";
  h.receive(invited, hello);
  h.receive(invited, wire::join_request{});
  EXPECT_EQ(h.engine().child_count(), 1u);
}

}  // namespace
}  // namespace treecast::core

namespace treecast::core {
namespace {

TEST(node_security, joins_beyond_the_rate_are_told_to_come_back_later) {
  node_config c = root_config(100);
  c.max_joins_per_second = 10;  // bursts of 20
  harness h(c);
  h.start();
  int answered = 0;
  int refused = 0;
  for (int i = 0; i < 40; ++i) {
    const link_id_t asker = h.accept();
    h.receive(asker, hello_from(static_cast<std::uint8_t>(i)));
    h.receive(asker, wire::candidates_request{});
    answered += static_cast<int>(h.only_sent<wire::candidates>(asker).size());
    refused += h.closed_reason(asker) == std::error_code(node_errc::rate_limited) ? 1 : 0;
  }
  EXPECT_EQ(answered, 20);
  EXPECT_EQ(refused, 20);
  EXPECT_EQ(h.engine().stats().get(counter::joins_rate_limited), 20u);
  h.advance(std::chrono::seconds(1));  // ten more tokens
  const link_id_t later = h.accept();
  h.receive(later, hello_from(99));
  h.receive(later, wire::join_request{});
  EXPECT_EQ(h.only_sent<wire::join_accept>(later).size(), 1u);
}

// ------------------------------------------------------- engine decisions

TEST(node_engine, a_child_that_stops_reading_is_dropped_by_the_engine) {
  node_config config = root_config();
  config.max_pending_bytes = 64 * 1024;
  harness h(config);
  h.start();
  const link_id_t reader = h.join_child(7, 9007);
  const link_id_t stalled = h.join_child(8, 9008);
  h.stop_reading(stalled);  // the other child keeps up
  h.clear();
  wire::seq_t seq = 0;
  while (!h.closed_reason(stalled) && seq < 1000) {
    wire::chunk c = make_chunk(seq++);
    c.payload.assign(4096, 'x');
    wire::seal_chunk(c);
    h.source(std::move(c));
  }
  EXPECT_EQ(h.closed_reason(stalled), std::error_code(node_errc::send_queue_full));
  EXPECT_TRUE(h.all<close_action>().back().abort);
  EXPECT_FALSE(h.closed_reason(reader));
  EXPECT_EQ(h.engine().child_count(), 1u);
  EXPECT_LE(seq * 4096, 2 * config.max_pending_bytes);  // dropped near the bound, not later
}

TEST(node_engine, attach_loss_and_repair_are_reported_as_events) {
  harness h(relay_config());
  h.start();
  const link_id_t parent = h.attach_under_root();
  ASSERT_EQ(h.all<event_action>().size(), 1u);
  const auto attached = std::get<parent_changed_event>(h.all<event_action>()[0].event);
  EXPECT_EQ(attached.depth, 1u);
  h.receive(parent, make_chunk(0));
  h.clear();
  h.closed(parent);
  const auto lost = h.all<event_action>();
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<repair_started_event>(lost[0].event));
  // No ancestor but the lost parent itself: the rendezvous hands out peer 2.
  const link_id_t next = h.join_through_rendezvous(2, 0, {id_of(2)});
  h.clear();
  h.receive(next, wire::join_accept{0, {id_of(2)}, {}, {}});
  h.advance(40ms);
  h.receive(next, make_chunk(1));
  const auto events = h.all<event_action>();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<parent_changed_event>(events[0].event));
  EXPECT_EQ(std::get<repair_finished_event>(events[1].event).took, 40ms);
}

TEST(node_engine, a_starved_parent_is_reported_as_a_late_chunk) {
  harness h(relay_config());
  h.start();
  const link_id_t parent = h.attach_under_root();
  h.receive(parent, make_chunk(0));
  h.clear();
  for (int i = 0; i < 14 && !h.closed_reason(parent); ++i) {
    h.advance(250ms);
    h.receive(parent, wire::heartbeat{});
  }
  std::vector<chunk_late_event> late;
  for (const auto& e : h.all<event_action>()) {
    if (const auto* x = std::get_if<chunk_late_event>(&e.event)) {
      late.push_back(*x);
    }
  }
  ASSERT_EQ(late.size(), 1u);
  EXPECT_GT(late[0].silent_for, h.engine().config().starvation_timeout);
}

// ---------------------------------------------------- hostile insiders

TEST(node_hostile, a_parent_that_never_sends_a_chunk_is_left_and_not_chosen_again) {
  harness h(relay_config());
  h.start();
  const link_id_t parent = h.attach_under_root();  // it accepts us, answers heartbeats, no stream
  for (int i = 0; i < 14 && !h.closed_reason(parent); ++i) {
    h.advance(250ms);
    h.receive(parent, wire::heartbeat{});
  }
  EXPECT_EQ(h.closed_reason(parent), std::error_code(node_errc::starved));
  // It comes back under another id at the same address: not chosen.
  const auto connects = h.all<connect_action>();
  ASSERT_EQ(connects.size(), 1u);  // the rendezvous query
  const link_id_t query = connects[0].link;
  h.clear();
  h.connected(query);
  h.receive(query, hello_from(1, 7000));
  h.receive(query, wire::candidates{{{id_of(44), {"", 7000}, 0, 3, "", {}}}});
  const link_id_t probe = h.only_connect().link;
  h.connected(probe);
  h.answer_probe(probe, 44, 7000, 0, 3, {id_of(44)});
  EXPECT_TRUE(h.only_sent<wire::join_request>(probe).empty());
  EXPECT_FALSE(h.engine().attached());
}

TEST(node_hostile, a_busy_rendezvous_is_asked_again_later_without_giving_up) {
  node_config config = relay_config();
  config.max_join_attempts = 2;
  harness h(config);
  h.start();
  for (int round = 0; round < 5; ++round) {  // more "busy" answers than attempts allowed
    const link_id_t query = h.only_connect().link;
    h.clear();
    h.connected(query);
    h.receive(query, hello_from(1, 7000));
    h.receive(query, wire::leave{"busy: too many joins, try again shortly", {}});
    EXPECT_TRUE(h.all<give_up_action>().empty());
    h.advance(config.reconnect_max * 3 / 2 + 1ms);  // the longest jittered backoff
  }
  EXPECT_EQ(h.all<connect_action>().size(), 1u);  // asking again
  EXPECT_EQ(h.engine().stats().get(counter::join_attempts), 6u);
}

TEST(node_hostile, a_refusing_rendezvous_ends_the_join_naming_why) {
  harness h(relay_config());
  h.start();
  const link_id_t query = h.only_connect().link;
  h.connected(query);
  h.receive(query, hello_from(1, 7000));
  h.receive(query, wire::leave{"refused: invite token expired", {}});
  const auto gave_up = h.all<give_up_action>();
  ASSERT_EQ(gave_up.size(), 1u);
  EXPECT_NE(gave_up[0].reason.find("invite token expired"), std::string::npos);
}

TEST(node_hostile, a_replayed_old_chunk_is_refused_once_the_wall_clock_is_known) {
  harness h(relay_config());
  h.start();
  h.engine().on_wall_clock(3'600'000'000, h.now());  // Unix 3600 s
  const link_id_t parent = h.attach_under_root();
  wire::chunk live = make_chunk(1);
  live.capture_time_us = 3'599'000'000;  // a second ago
  wire::seal_chunk(live);
  h.receive(parent, live);
  EXPECT_EQ(h.engine().window().size(), 1u);
  wire::chunk old = make_chunk(2);
  old.capture_time_us = 0;  // an hour ago
  wire::seal_chunk(old);
  h.receive(parent, old);
  EXPECT_EQ(h.closed_reason(parent), std::error_code(node_errc::stale_chunk));
  EXPECT_EQ(h.engine().window().size(), 1u);
  EXPECT_EQ(h.engine().stats().get(counter::chunks_stale), 1u);
}

// Admits tokens "member" always and "newcomer" while no wall clock is asked.
class expiring_invites final : public admission_policy {
 public:
  std::optional<std::string> check(std::string_view token, wire::peer_role,
                                   std::optional<std::int64_t> unix_s) const override {
    if (token == "member" || (token == "newcomer" && !unix_s)) {
      return std::nullopt;
    }
    return "invite token expired";
  }
};

TEST(node_hostile, an_expired_invite_keeps_a_member_but_admits_no_newcomer) {
  node_config config = root_config();
  config.admission = std::make_shared<expiring_invites>();
  harness h(config);
  h.start();
  h.source(make_chunk(0));
  auto join = [&](std::uint8_t n, std::optional<wire::seq_t> resume) {
    const link_id_t link = h.accept();
    wire::hello hello = hello_from(n);
    hello.token = "newcomer";
    h.receive(link, hello);
    h.receive(link, wire::join_request{resume});
    return link;
  };
  const link_id_t newcomer = join(7, std::nullopt);
  EXPECT_EQ(h.closed_reason(newcomer), std::error_code(node_errc::unauthorized));
  const auto told = h.only_sent<wire::leave>(newcomer);
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0].reason, "refused: invite token expired");
  const link_id_t member = join(8, 1);  // resuming after a repair
  EXPECT_FALSE(h.closed_reason(member));
  EXPECT_EQ(h.engine().child_count(), 1u);
}

TEST(node_hostile, a_claim_to_be_the_root_without_its_signature_is_not_believed) {
  node_config config = relay_config();
  config.verifier = std::make_shared<fake_verifier>();
  harness h(config);
  h.start();
  const link_id_t probe =
      h.answer_query({{id_of(9), {"10.0.0.9", 7009}, 0, 50, "", {}}}).at(0).link;
  h.receive(probe, hello_from(9, 7009));
  const std::uint64_t nonce = h.only_sent<wire::ping>(probe).at(0).nonce;
  h.receive(probe, wire::pong{nonce, true, 0, 50, {id_of(9)}, "forged"});
  h.answer_uplink_timing(probe);
  EXPECT_TRUE(h.only_sent<wire::join_request>(probe).empty());
  EXPECT_EQ(h.engine().stats().get(counter::claims_refused), 1u);
}

TEST(node_hostile, links_beyond_the_bounds_are_told_busy_and_closed) {
  node_config config = root_config();
  config.max_links = 3;
  config.max_unadmitted_links = 2;
  harness h(config);
  h.start();
  const link_id_t a = h.accept();
  const link_id_t b = h.accept();
  const link_id_t c = h.accept();  // a third before anyone said hello
  EXPECT_FALSE(h.closed_reason(a));
  EXPECT_FALSE(h.closed_reason(b));
  EXPECT_EQ(h.closed_reason(c), std::error_code(node_errc::too_many_links));
  EXPECT_EQ(h.only_sent<wire::leave>(c).at(0).reason, "busy: too many links, try again shortly");
  h.receive(a, hello_from(2));
  h.receive(b, hello_from(3));
  const link_id_t d = h.accept();
  EXPECT_FALSE(h.closed_reason(d));
  const link_id_t e = h.accept();  // a fourth link
  EXPECT_EQ(h.closed_reason(e), std::error_code(node_errc::too_many_links));
  EXPECT_EQ(h.engine().stats().get(counter::links_refused), 2u);
  h.receive(a, wire::join_request{});  // children do not count against the bound
  ASSERT_EQ(h.engine().child_count(), 1u);
  EXPECT_FALSE(h.closed_reason(h.accept()));
}

TEST(node_hostile, a_link_that_never_joins_is_closed) {
  harness h(root_config());
  h.start();
  const link_id_t idle = h.accept();
  h.receive(idle, hello_from(2));
  const link_id_t child = h.join_child(3);
  for (int i = 0; i < 48 && !h.closed_reason(idle); ++i) {
    h.advance(250ms);
    h.receive(idle, wire::ping{static_cast<std::uint64_t>(i)});  // talks, never joins
    h.receive(child, wire::heartbeat{});
  }
  EXPECT_EQ(h.closed_reason(idle), std::error_code(node_errc::never_joined));
  EXPECT_FALSE(h.closed_reason(child));
}

TEST(node_hostile, a_peer_flooding_messages_is_dropped) {
  harness h(root_config());
  h.start();
  const link_id_t flood = h.accept();
  h.receive(flood, hello_from(2));
  for (int i = 0; i < 1000 && !h.closed_reason(flood); ++i) {
    h.receive(flood, wire::ping{static_cast<std::uint64_t>(i)});
  }
  EXPECT_EQ(h.closed_reason(flood), std::error_code(node_errc::flooding));
  EXPECT_LE(h.only_sent<wire::pong>(flood).size(), 201u);
}

TEST(node_hostile, children_per_address_are_bounded_when_asked) {
  node_config config = root_config(8);
  config.max_children_per_address = 2;
  harness h(config);
  h.start();
  std::vector<link_id_t> sybils;
  for (std::uint8_t n = 10; n < 14; ++n) {
    const link_id_t link = h.accept("10.0.0.66");
    h.receive(link, hello_from(n));
    h.receive(link, wire::join_request{});
    sybils.push_back(link);
  }
  EXPECT_EQ(h.engine().child_count(), 2u);
  EXPECT_EQ(h.only_sent<wire::join_redirect>(sybils[2]).at(0).reason,
            "enough children from your address");
  h.join_child(20);  // another address still gets in
  EXPECT_EQ(h.engine().child_count(), 3u);
}

TEST(node_hostile, a_childs_implausible_report_is_clamped) {
  harness h(root_config());
  h.start();
  const link_id_t child = h.join_child(7, 9007);
  wire::report lie;
  lie.subtree_size = 1'000'000;
  lie.viewers = 4'000'000'000u;
  lie.chunks_missed = 123'456'789;
  lie.subtree_depth = 2;
  h.receive(child, lie);
  EXPECT_LE(h.engine().subtree_size(), 1u + 65u);
  EXPECT_LE(h.engine().subtree_viewers(), 1u + 65u);
  EXPECT_LE(h.engine().subtree_chunks_missed(), 100u * 65u);
  EXPECT_EQ(h.engine().stats().get(counter::reports_clamped), 1u);
  // Repeating the lie at once gains nothing: growth is bounded per second.
  lie.subtree_size = 4'294'967'295u;
  for (int i = 0; i < 40; ++i) {
    h.receive(child, lie);
  }
  EXPECT_LE(h.engine().subtree_size(), 1u + 65u);
  // Kept up for long, it saturates rather than wrapping the sum.
  for (int i = 0; i < 200; ++i) {
    h.advance(250ms);
    h.receive(child, lie);
  }
  EXPECT_EQ(h.engine().subtree_size(), 4'294'967'295u);
}

TEST(node_hostile,
     a_child_that_moved_in_with_its_subtree_is_believed_as_it_grows_not_called_a_liar) {
  harness h(root_config());
  h.start();
  const link_id_t child = h.join_child(7, 9007);  // a relay that rose, 500 peers below it
  wire::report moved;
  moved.subtree_size = 500;
  moved.viewers = 450;
  moved.relays = 50;
  moved.chunks_missed = 20'000;
  moved.subtree_depth = 4;
  h.receive(child, moved);
  EXPECT_LE(h.engine().subtree_size(), 1u + 65u);
  EXPECT_EQ(h.engine().stats().get(counter::reports_clamped), 0u);
  for (int i = 0; i < 4; ++i) {
    h.advance(1s);
    h.receive(child, moved);
  }
  EXPECT_EQ(h.engine().subtree_size(), 501u);
  EXPECT_EQ(h.engine().stats().get(counter::reports_clamped), 0u);
}

TEST(node_hostile, a_subtree_gaining_a_moved_in_subtree_or_racing_a_move_is_not_called_a_liar) {
  harness h(root_config());
  h.start();
  const link_id_t child = h.join_child(7, 9007);
  wire::report r;
  r.subtree_size = 3;
  r.viewers = 3;
  r.subtree_depth = 2;
  h.receive(child, r);
  h.advance(100ms);     // reports come quickly while slots change
  r.subtree_size = 43;  // a relay with 40 below it moved in under our child
  r.viewers = 40;
  r.relays = 3;
  h.receive(child, r);
  EXPECT_LT(h.engine().subtree_size(), 44u);  // still clamped to the growth bound
  h.advance(100ms);
  r.subtree_depth = 0;  // written before the child heard where it is now
  h.receive(child, r);
  EXPECT_EQ(h.engine().stats().get(counter::reports_clamped), 0u);
  for (int i = 0; i < 3; ++i) {
    h.advance(1s);
    h.receive(child, r);
  }
  EXPECT_EQ(h.engine().subtree_size(), 44u);  // believed as it keeps claiming it
  EXPECT_EQ(h.engine().stats().get(counter::reports_clamped), 0u);
}

TEST(node_hostile, one_usable_answer_does_not_wait_for_a_silent_candidate) {
  harness h(relay_config());
  h.start();
  const auto probes = h.answer_query(
      {{id_of(2), {"10.0.0.2", 7002}, 1, 2, "", {}}, {id_of(3), {"10.0.0.3", 7003}, 1, 2, "", {}}});
  h.advance(10ms);
  h.answer_probe(probes[0].link, 2, 7002, 1, 2,
                 {id_of(1), id_of(2)});  // the other accepts TCP only
  h.advance(50ms);                       // far less than the 1 s probe timeout
  EXPECT_EQ(h.only_sent<wire::join_request>(probes[0].link).size(), 1u);
}

TEST(node_hostile, a_rendezvous_that_breaks_the_protocol_fails_the_round) {
  harness h(relay_config());
  h.start();
  const link_id_t query = h.only_connect().link;
  h.connected(query);
  h.receive_raw(query, {0, 0, 0, 2, 0xff, 0xff});  // garbage
  EXPECT_TRUE(h.engine().next_deadline());
  h.clear();
  h.advance(relay_config().reconnect_min);
  EXPECT_EQ(h.all<connect_action>().size(), 1u);  // asked again
}

}  // namespace
}  // namespace treecast::core
