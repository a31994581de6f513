// subtree_view: aggregates of the children's reports, health rows, and the
// pacing of this node's own report.
#include "core/subtree_view.hpp"

#include <algorithm>
#include <set>

#include "core_test_support.hpp"

namespace treecast::core {
namespace {

using namespace std::chrono_literals;
using testing::hello_from;
using testing::id_of;
using testing::recording_context;

wire::peer_health row(std::uint8_t id, std::uint32_t depth = 1) {
  wire::peer_health h;
  h.node_id = id_of(id);
  h.depth = depth;
  return h;
}

struct subtree_fixture {
  explicit subtree_fixture(bool root = true, std::uint8_t id = 100)
      : r({}, id),
        position(id_of(id), root),
        kids(r.ctx, links, renditions),
        view(r.ctx, links, kids, position, coordinate) {}

  // An inbound peer `n` (a relay) becomes a child.
  link_id_t add_child(std::uint8_t n) {
    const link_id_t id = links.accept({"10.0.0." + std::to_string(n), 5555});
    std::string refusal;
    links.admit(links.at(id), hello_from(n, 9000), refusal);
    kids.add(id, links.at(id));
    return id;
  }

  void report(link_id_t id, std::uint32_t size, std::uint32_t depth, std::uint32_t free,
              std::vector<wire::peer_health> health = {}) {
    wire::report rep;
    rep.subtree_size = size;
    rep.subtree_depth = depth;
    rep.free_slots = free;
    rep.relays = size;
    rep.chunks_missed = 2;
    rep.health = std::move(health);
    view.on_report(id, *kids.find(id), std::move(rep));
  }

  recording_context r;
  link_table links{r.ctx};
  rendition_subscriptions renditions{r.ctx, links};
  tree_position position;
  children kids;
  network_coordinate coordinate;
  subtree_view view;
};

TEST(subtree_view, counts_come_from_the_reports_or_the_child_itself) {
  subtree_fixture f;
  const link_id_t a = f.add_child(2);
  f.add_child(3);  // not reported yet: counts as itself, one hop down
  f.report(a, 5, 4, 1);
  EXPECT_EQ(f.view.size(), 1u + 5u + 1u);
  EXPECT_EQ(f.view.deepest(), 4u);
  EXPECT_EQ(f.view.count(wire::peer_role::relay), 1u + 5u + 1u);  // this node is a relay too
  EXPECT_EQ(f.view.chunks_missed(), 2u);
}

TEST(subtree_view, browsers_are_summed_up_the_tree_and_a_lying_count_is_capped) {
  subtree_fixture f;
  f.view.set_local_health({.browsers = 3});
  const link_id_t a = f.add_child(2);
  const link_id_t b = f.add_child(3);
  wire::report honest;
  honest.subtree_size = 2;
  honest.browsers = 40;
  f.view.on_report(a, *f.kids.find(a), wire::report(honest));
  EXPECT_EQ(f.view.browsers(), 43u);
  // One peer cannot serve a billion browsers: believed up to 5 000 a peer.
  wire::report liar;
  liar.subtree_size = 1;
  liar.browsers = 1'000'000'000;
  f.view.on_report(b, *f.kids.find(b), wire::report(liar));
  EXPECT_EQ(f.view.browsers(), 43u + 5000u);
}

TEST(subtree_view, a_report_says_whether_the_room_below_changed) {
  subtree_fixture f;
  const link_id_t a = f.add_child(2);
  wire::report first;
  first.free_slots = 1;
  EXPECT_TRUE(f.view.on_report(a, *f.kids.find(a), wire::report(first)));
  EXPECT_FALSE(f.view.on_report(a, *f.kids.find(a), wire::report(first)));
  first.free_slots = 0;
  EXPECT_TRUE(f.view.on_report(a, *f.kids.find(a), wire::report(first)));
}

TEST(subtree_view, an_asker_is_not_handed_the_peers_of_its_site_below_it) {
  subtree_fixture f;
  const link_id_t a = f.add_child(2);
  // Child 2 reports two peers with room of the office: 30 below the
  // office's entry 7 (the asker), 31 below another entry.
  auto in_office = [](std::uint8_t id, std::uint8_t entry) {
    wire::peer_summary p;
    p.node_id = id_of(id);
    p.address = {"10.0.0." + std::to_string(id), 7000};
    p.depth = 4;
    p.free_slots = 1;
    p.site = "office";
    p.site_entry_hops = 2;
    p.site_entry_tag = site_entry{0, id_of(entry)}.tag();
    return p;
  };
  wire::report rep;
  rep.candidates = {in_office(30, 7), in_office(31, 8)};
  f.view.on_report(a, *f.kids.find(a), std::move(rep));
  auto ids = [](const std::vector<wire::peer_summary>& sample) {
    std::set<wire::node_id_t> out;
    for (const auto& p : sample) {
      out.insert(p.node_id);
    }
    return out;
  };
  const self_view self{true, 0};
  const auto for_7 =
      ids(f.view.candidates({"office", {}}, false, sample_order::seeds_first, self, {}, id_of(7)));
  EXPECT_FALSE(for_7.count(id_of(30)));  // below the asker: a loop, and its own site
  EXPECT_TRUE(for_7.count(id_of(31)));
  const auto for_9 =
      ids(f.view.candidates({"office", {}}, false, sample_order::seeds_first, self, {}, id_of(9)));
  EXPECT_TRUE(for_9.count(id_of(30)));
  EXPECT_TRUE(for_9.count(id_of(31)));
}

TEST(subtree_view, health_rows_are_nearest_first_within_the_limit) {
  subtree_fixture f;
  const link_id_t a = f.add_child(2);
  const link_id_t b = f.add_child(3);
  f.report(a, 2, 2, 0, {row(2, 1), row(20, 2)});
  f.report(b, 2, 2, 0, {row(3, 1), row(30, 2)});
  const auto rows = f.view.health(4, {true, 0});
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].node_id, id_of(100));
  EXPECT_EQ(rows[1].node_id, id_of(2));
  EXPECT_EQ(rows[1].address.host, "10.0.0.2");  // the child's own row gets its address
  EXPECT_EQ(rows[2].node_id, id_of(3));
  EXPECT_EQ(rows[3].node_id, id_of(20));
}

TEST(subtree_view, our_own_row_says_what_our_player_plays) {
  subtree_fixture f;
  EXPECT_FALSE(f.view.health(1, {true, 0}).at(0).playing.has_value());  // a relay plays nothing
  f.view.set_local_health({.playing = wire::rendition::low});
  EXPECT_EQ(f.view.health(1, {true, 0}).at(0).playing, wire::rendition::low);
}

TEST(subtree_view, a_seed_names_more_peers_with_room_to_the_broadcaster_than_a_deeper_peer) {
  // 40 peers with room below one child: the broadcaster, every newcomer's
  // rendezvous, hears of seed_candidate_sample of them from a seed; a
  // deeper peer's parent of candidate_sample.
  auto rows_reported = [](std::uint32_t parent_depth) {
    subtree_fixture f(false);
    const link_id_t parent = f.links.accept({"10.0.0.1", 7000});
    f.position.attach(parent, {}, parent_depth, {id_of(1)}, {});
    const link_id_t a = f.add_child(2);
    wire::report rep;
    for (std::uint8_t i = 0; i < 40; ++i) {
      wire::peer_summary p;
      p.node_id = id_of(static_cast<std::uint8_t>(10 + i));
      p.address = {"10.0.1." + std::to_string(i), 7000};
      p.depth = parent_depth + 3;
      p.free_slots = 2;
      rep.candidates.push_back(p);
    }
    f.view.on_report(a, *f.kids.find(a), std::move(rep));
    f.view.start();
    f.r.ctx.now = *f.view.deadline();
    f.view.on_timer({true, 0});
    const auto sent = recording_context::sent_to(f.r.take(), parent);
    EXPECT_EQ(sent.size(), 1u);
    return sent.empty() ? 0 : std::get<wire::report>(sent[0]).candidates.size();
  };
  const node_config defaults;
  ASSERT_LT(defaults.candidate_sample, 40u);
  ASSERT_GE(defaults.seed_candidate_sample, 40u);
  EXPECT_EQ(rows_reported(0), 40u);  // a seed: all of them
  EXPECT_EQ(rows_reported(1), defaults.candidate_sample);
}

TEST(subtree_view, reports_go_up_on_time_and_sooner_after_a_change) {
  subtree_fixture f(false);
  const link_id_t parent = f.links.accept({"10.0.0.1", 7000});
  f.position.attach(parent, {}, 0, {id_of(1)}, {});
  f.view.start();
  EXPECT_EQ(f.view.deadline(), f.r.ctx.now + f.r.ctx.config.report_interval);
  f.r.ctx.now += 10ms;
  f.view.report_soon();
  EXPECT_EQ(f.view.deadline(), f.r.ctx.now);
  f.view.on_timer({true, 3});
  const auto reports =
      recording_context::only<send_action>(f.r.take());  // one report to the parent
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].link, parent);
  f.r.ctx.now += 10ms;
  f.view.report_soon();  // too soon after the last one: held back
  EXPECT_EQ(f.view.deadline(), f.r.ctx.now - 10ms + f.r.ctx.config.report_min_interval);
}

TEST(subtree_view, a_report_with_nothing_new_is_not_sent_until_the_refresh) {
  subtree_fixture f(false);
  const link_id_t parent = f.links.accept({"10.0.0.1", 7000});
  f.position.attach(parent, {}, 0, {id_of(1)}, {});
  f.view.start();
  const link_id_t child = f.add_child(2);
  f.report(child, 1, 2, 2);
  auto reports_sent = [&f] {
    f.r.ctx.now = *f.view.deadline();
    f.view.on_timer({true, 1});
    return recording_context::only<send_action>(f.r.take()).size();
  };
  EXPECT_EQ(reports_sent(), 1u);  // the first
  EXPECT_EQ(reports_sent(), 0u);  // the same again: the parent knows it
  f.report(child, 3, 3, 2);       // the subtree grew
  EXPECT_EQ(reports_sent(), 1u);
  // Nothing new for report_refresh: sent anyway, once.
  std::size_t sent = 0;
  const time_point refresh_due = f.r.ctx.now + f.r.ctx.config.report_refresh;
  while (f.r.ctx.now < refresh_due) {
    sent += reports_sent();
  }
  EXPECT_EQ(sent, 1u);
  // A new parent hears it at once.
  const link_id_t other = f.links.accept({"10.0.0.9", 7000});
  f.position.lose_parent();
  f.position.attach(other, {}, 0, {id_of(1)}, {});
  f.r.ctx.now = *f.view.deadline();
  f.view.on_timer({true, 1});
  const auto reports = recording_context::only<send_action>(f.r.take());
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].link, other);
}

TEST(subtree_view, health_rows_go_up_as_changes_and_the_parent_holds_the_whole_table) {
  // A child node with two children of its own, and its parent's view of it.
  subtree_fixture f(false);
  subtree_fixture up(true, 1);
  const link_id_t to_parent = f.links.accept({"10.0.0.1", 7000});
  f.position.attach(to_parent, {}, 0, {id_of(1)}, {});
  f.view.start();
  const link_id_t from_child = up.add_child(100);
  const link_id_t a = f.add_child(2);
  const link_id_t b = f.add_child(3);
  f.report(a, 2, 3, 0, {row(2, 2), row(20, 3)});
  f.report(b, 1, 2, 0, {row(3, 2)});
  // Sends f's report and hands it to the parent; returns what it carried.
  auto send_up = [&] {
    f.r.ctx.now = *f.view.deadline();
    f.view.on_timer({true, 0});
    const auto sent = recording_context::sent_to(f.r.take(), to_parent);
    EXPECT_LE(sent.size(), 1u);
    if (sent.empty()) {
      return wire::report{};
    }
    wire::report r = std::get<wire::report>(sent[0]);
    up.view.on_report(from_child, *up.kids.find(from_child), wire::report(r));
    return r;
  };
  auto ids_at_parent = [&] {
    std::set<wire::node_id_t> ids;
    for (const auto& h : up.view.health(100, {true, 0})) {
      ids.insert(h.node_id);
    }
    return ids;
  };
  const wire::report first = send_up();
  EXPECT_FALSE(first.health_delta);
  EXPECT_EQ(first.health.size(), 4u);  // f itself, 2, 20, 3
  EXPECT_EQ(ids_at_parent(), (std::set{id_of(1), id_of(100), id_of(2), id_of(20), id_of(3)}));

  // Peer 20 stalls, peer 3 leaves: the report says just that.
  wire::peer_health stalled = row(20, 3);
  stalled.stalls = 1;
  stalled.latency_ms = 100;
  f.report(a, 2, 3, 0, {row(2, 2), stalled});
  f.kids.remove(b);
  const wire::report second = send_up();
  EXPECT_TRUE(second.health_delta);
  ASSERT_EQ(second.health.size(), 2u);  // f's row (one child fewer) and 20's
  EXPECT_EQ(second.health_gone, std::vector{id_of(3)});
  EXPECT_EQ(ids_at_parent(), (std::set{id_of(1), id_of(100), id_of(2), id_of(20)}));
  const auto at_parent = up.view.health(100, {true, 0});
  const auto row_20 = std::find_if(at_parent.begin(), at_parent.end(),
                                   [](const auto& h) { return h.node_id == id_of(20); });
  ASSERT_NE(row_20, at_parent.end());
  EXPECT_EQ(row_20->stalls, 1u);

  // A gauge that drifts within the tolerance is not news.
  wire::peer_health drifted = stalled;
  drifted.latency_ms = 110;
  f.report(a, 2, 3, 0, {row(2, 2), drifted});
  EXPECT_TRUE(send_up().health.empty());
}

}  // namespace
}  // namespace treecast::core
