// The warm standby, both sides: a child keeps a standby parent (the join
// round's runner-up, or an ancestor), notices a parent falling behind it
// from the stream, and switches to it with one message; a holder announces
// what it has and accepts the switch as a join.
#include <gtest/gtest.h>

#include <initializer_list>
#include <map>

#include "core/errors.hpp"
#include "node_harness.hpp"

namespace treecast::core {
namespace {

using namespace std::chrono_literals;
using testing::harness;
using testing::hello_from;
using testing::id_of;
using testing::make_chunk;
using testing::make_frame_chunk;
using testing::only;
using testing::relay_config;
using testing::root_config;

// A relay (id 100) that joined parent 5 (depth 1) and holds peer 6 (depth
// 1, another branch) as its warm standby, with `chunks` chunks from its
// parent. One standby only, unless `second`: then the ancestor above the
// parent (the broadcaster) was asked to be the second (second_ask).
struct attached_with_standby {
  explicit attached_with_standby(node_config config = relay_config(), wire::seq_t chunks = 4,
                                 bool second = false)
      : h(with_second(config, second)) {
    h.start();
    const auto probes = h.answer_query({{id_of(5), {"10.0.0.5", 7005}, 1, 2, "", {}},
                                        {id_of(6), {"10.0.0.6", 7006}, 1, 2, "", {}}});
    parent = probes.at(0).link;
    standby = probes.at(1).link;
    h.answer_probe(parent, 5, 7005, 1, 2, {id_of(1), id_of(5)});
    h.advance(5ms);
    h.answer_probe(standby, 6, 7006, 1, 2, {id_of(1), id_of(6)});
    h.receive(parent, wire::join_accept{1, {id_of(1), id_of(5)}, {{"127.0.0.1", 7000}}, {}});
    h.receive(standby, wire::standby_offer{1, {id_of(1), id_of(6)}, 2});
    const auto asked = h.all<connect_action>();
    if (!asked.empty()) {
      second_ask = asked.back();
    }
    for (wire::seq_t s = 0; s < chunks; ++s) {
      h.receive(parent, make_chunk(s));
      h.receive(standby, wire::have{s, 2});  // the standby hears them as we do
    }
    h.clear();
  }

  static node_config with_second(node_config config, bool second) {
    config.second_standby = second;
    return config;
  }

  harness h;
  link_id_t parent = 0;
  link_id_t standby = 0;
  std::optional<connect_action> second_ask;
};

// Peer `n`, child of `parent`, asks the node under test (id 100, the
// broadcaster) to hold it as a standby child; its link.
link_id_t ask_standby(harness& h, std::uint8_t n, std::uint8_t parent) {
  const link_id_t link = h.accept();
  h.receive(link, hello_from(n, static_cast<std::uint16_t>(9000 + n)));
  h.receive(link, wire::standby_request{{id_of(100), id_of(parent), id_of(n)}});
  return link;
}

// The broadcaster, started, with chunks 0..5 in its window.
void start_with_chunks(harness& h) {
  h.start();
  for (wire::seq_t s = 0; s < 6; ++s) {
    h.source(make_chunk(s));
  }
}

TEST(warm_standby, the_join_rounds_runner_up_becomes_the_standby) {
  attached_with_standby t;
  EXPECT_TRUE(t.h.engine().attached());
  EXPECT_FALSE(t.h.closed_reason(t.standby));
  EXPECT_EQ(t.h.engine().depth(), 2u);
}

TEST(warm_standby, a_crashed_parent_is_replaced_with_one_message_on_the_standby_link) {
  attached_with_standby t;
  t.h.closed(t.parent);
  // No connect, no probe: the JoinRequest goes on the standby link at once.
  EXPECT_TRUE(t.h.all<connect_action>().empty());
  const auto requests = t.h.only_sent<wire::join_request>(t.standby);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].resume_from, 4u);
  t.h.receive(t.standby, wire::join_accept{1, {id_of(1), id_of(6)}, {{"127.0.0.1", 7000}}, {}});
  t.h.receive(t.standby, make_chunk(4));
  EXPECT_TRUE(t.h.engine().attached());
  EXPECT_EQ(t.h.engine().stats().get(counter::standby_promotions), 1u);
  EXPECT_EQ(t.h.engine().stats().get(counter::repairs), 1u);
  EXPECT_EQ(t.h.engine().stats().get(counter::chunks_missed), 0u);
}

TEST(warm_standby, a_standby_silent_since_the_switch_began_is_passed_over_for_a_repair_round) {
  attached_with_standby t;
  t.h.closed(t.parent);
  ASSERT_EQ(t.h.only_sent<wire::join_request>(t.standby).size(), 1u);
  // Frozen with the parent: no answer, no byte. Within twice its RTT plus
  // the grace, it is still waited for...
  t.h.advance(90ms);
  EXPECT_TRUE(t.h.all<connect_action>().empty());
  EXPECT_FALSE(t.h.closed_reason(t.standby));
  // ...then the repair targets are probed, not after the heartbeat timeout.
  t.h.advance(30ms);
  EXPECT_TRUE(t.h.closed_reason(t.standby));
  const auto connects = t.h.all<connect_action>();
  ASSERT_FALSE(connects.empty());
  EXPECT_EQ(connects[0].to, (wire::endpoint{"127.0.0.1", 7000}));
}

TEST(warm_standby, a_standby_still_heard_is_waited_for_however_late_its_answer) {
  attached_with_standby t;
  t.h.closed(t.parent);
  ASSERT_EQ(t.h.only_sent<wire::join_request>(t.standby).size(), 1u);
  for (int step = 0; step < 10; ++step) {
    t.h.advance(60ms);
    t.h.receive(t.standby, wire::heartbeat{});
  }
  EXPECT_TRUE(t.h.all<connect_action>().empty());
  t.h.receive(t.standby, wire::join_accept{1, {id_of(1), id_of(6)}, {{"127.0.0.1", 7000}}, {}});
  t.h.receive(t.standby, make_chunk(4));
  EXPECT_TRUE(t.h.engine().attached());
  EXPECT_EQ(t.h.engine().stats().get(counter::standby_promotions), 1u);
}

TEST(warm_standby, a_parent_silent_behind_the_standby_is_left_within_a_chunk) {
  attached_with_standby t;
  // The standby has chunk 4; the parent sends nothing at all.
  t.h.receive(t.standby, wire::have{4, 2});
  t.h.advance(90ms);
  EXPECT_TRUE(t.h.only_sent<wire::join_request>(t.standby).empty());  // within the tolerance
  t.h.advance(20ms);
  const auto requests = t.h.only_sent<wire::join_request>(t.standby);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].resume_from, 4u);
  EXPECT_EQ(t.h.engine().stats().get(counter::parents_behind), 1u);
  // Make-before-break: the old parent's chunks still count meanwhile.
  EXPECT_FALSE(t.h.closed_reason(t.parent));
  t.h.receive(t.parent, make_chunk(4));
  EXPECT_EQ(t.h.all<deliver_action>().size(), 1u);
  t.h.receive(t.standby, wire::join_accept{1, {id_of(1), id_of(6)}, {{"127.0.0.1", 7000}}, {}});
  EXPECT_EQ(t.h.closed_reason(t.parent), std::error_code(node_errc::parent_replaced));
}

TEST(warm_standby, a_parent_leaving_is_replaced_by_the_standby_before_the_peers_it_names) {
  attached_with_standby t;
  t.h.receive(t.parent, wire::leave{"leaving; join one of these", {{"10.0.0.9", 7009}}});
  // No probe of the named peers (under churn some had died): one JoinRequest
  // on the standby link, and the leaving parent feeds us meanwhile.
  EXPECT_TRUE(t.h.all<connect_action>().empty());
  const auto requests = t.h.only_sent<wire::join_request>(t.standby);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].resume_from, 4u);
  EXPECT_FALSE(t.h.closed_reason(t.parent));
  t.h.receive(t.parent, make_chunk(4));
  EXPECT_EQ(t.h.all<deliver_action>().size(), 1u);
  t.h.receive(t.standby, wire::join_accept{1, {id_of(1), id_of(6)}, {{"127.0.0.1", 7000}}, {}});
  EXPECT_TRUE(t.h.engine().attached());
  EXPECT_EQ(t.h.engine().stats().get(counter::standby_promotions), 1u);
  EXPECT_EQ(t.h.closed_reason(t.parent), std::error_code(node_errc::parent_replaced));
}

TEST(warm_standby, a_parent_leaving_while_the_standby_refuses_sends_us_to_the_peers_it_names) {
  attached_with_standby t;
  t.h.receive(t.parent, wire::leave{"leaving; join one of these", {{"10.0.0.9", 7009}}});
  ASSERT_EQ(t.h.only_sent<wire::join_request>(t.standby).size(), 1u);
  t.h.receive(t.standby, wire::join_redirect{"full", {}});
  bool named_peer_probed = false;
  for (const auto& c : t.h.all<connect_action>()) {
    named_peer_probed = named_peer_probed || c.to.port == 7009;
  }
  EXPECT_TRUE(named_peer_probed);
}

TEST(warm_standby, the_left_parent_leaving_too_does_not_restart_the_switch) {
  attached_with_standby t;
  t.h.receive(t.standby, wire::have{4, 2});
  t.h.advance(200ms);
  ASSERT_EQ(t.h.only_sent<wire::join_request>(t.standby).size(), 1u);
  t.h.clear();
  // The old parent saw its own upstream fail and hands its children on: we
  // are already on our way to the standby, so no new round starts.
  t.h.receive(t.parent, wire::leave{"leaving; join one of these", {{"10.0.0.9", 7009}}});
  EXPECT_TRUE(t.h.all<connect_action>().empty());
  t.h.receive(t.standby, wire::join_accept{1, {id_of(1), id_of(6)}, {{"127.0.0.1", 7000}}, {}});
  EXPECT_TRUE(t.h.engine().attached());
  EXPECT_EQ(t.h.engine().depth(), 2u);
}

TEST(warm_standby, a_late_chunk_is_fetched_from_the_standby_and_the_parent_kept) {
  attached_with_standby t;
  t.h.receive(t.standby, wire::have{4, 2});
  t.h.advance(40ms);
  EXPECT_TRUE(t.h.only_sent<wire::fetch>(t.standby).empty());  // within the gap fill tolerance
  t.h.advance(15ms);
  const auto fetches = t.h.only_sent<wire::fetch>(t.standby);
  ASSERT_EQ(fetches.size(), 1u);
  EXPECT_EQ(fetches[0].from_seq, 4u);
  EXPECT_EQ(fetches[0].count, 1u);
  EXPECT_EQ(t.h.engine().stats().get(counter::gap_fills), 1u);
  // The standby's copy plays; the parent's, late, is a duplicate, and the
  // parent, alive after all, is kept.
  t.h.receive(t.standby, make_chunk(4));
  EXPECT_EQ(t.h.all<deliver_action>().size(), 1u);
  EXPECT_FALSE(t.h.closed_reason(t.standby));
  t.h.advance(40ms);
  t.h.receive(t.parent, make_chunk(4));
  t.h.advance(200ms);
  t.h.receive(t.parent, make_chunk(5));
  EXPECT_TRUE(t.h.only_sent<wire::join_request>(t.standby).empty());
  EXPECT_EQ(t.h.engine().stats().get(counter::parents_behind), 0u);
  EXPECT_EQ(t.h.only_sent<wire::fetch>(t.standby).size(), 1u);  // each chunk fetched once
  EXPECT_EQ(t.h.engine().stats().get(counter::chunks_missed), 0u);
}

TEST(warm_standby, a_frozen_parent_is_gap_filled_then_replaced_from_the_next_chunk) {
  attached_with_standby t;
  t.h.receive(t.standby, wire::have{4, 2});
  t.h.advance(55ms);
  ASSERT_EQ(t.h.only_sent<wire::fetch>(t.standby).size(), 1u);
  t.h.receive(t.standby, make_chunk(4));
  t.h.advance(100ms);
  const auto requests = t.h.only_sent<wire::join_request>(t.standby);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].resume_from, 5u);  // chunk 4 it had already
}

TEST(warm_standby, a_fetched_chunk_arriving_after_the_switch_began_still_counts) {
  attached_with_standby t;
  t.h.receive(t.standby, wire::have{4, 2});
  t.h.advance(155ms);  // fetched at 50 ms, switching at 150 ms, chunk 4 not here yet
  ASSERT_EQ(t.h.only_sent<wire::join_request>(t.standby).size(), 1u);
  t.h.receive(t.standby, make_chunk(4));
  EXPECT_FALSE(t.h.closed_reason(t.standby));
  EXPECT_EQ(t.h.all<deliver_action>().size(), 1u);
}

TEST(warm_standby, a_gap_fill_fetches_from_the_parents_last_chunk_and_a_switch_resumes_there) {
  // The parent's chunk 3 never came; the standby, held since, announced 4.
  attached_with_standby t(relay_config(), 0);
  for (wire::seq_t s = 0; s < 3; ++s) {
    t.h.receive(t.parent, make_chunk(s));
    t.h.receive(t.standby, wire::have{s, 2});
  }
  t.h.advance(200ms);
  t.h.receive(t.standby, wire::have{4, 2});
  t.h.advance(55ms);
  const auto fetches = t.h.only_sent<wire::fetch>(t.standby);
  ASSERT_EQ(fetches.size(), 1u);
  EXPECT_EQ(fetches[0].from_seq, 3u);
  EXPECT_EQ(fetches[0].count, 2u);
  // Only chunk 4 came before the switch: the standby resumes us from 3.
  t.h.receive(t.standby, make_chunk(4));
  t.h.advance(100ms);
  const auto requests = t.h.only_sent<wire::join_request>(t.standby);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].resume_from, 3u);
  t.h.receive(t.standby, make_chunk(3));
  EXPECT_EQ(t.h.engine().stats().get(counter::chunks_missed), 0u);
}

TEST(warm_standby, a_gap_wider_than_one_fetch_is_fetched_oldest_first_in_turn) {
  // The parent froze after chunk 3; the standby announced ten more at once
  // (a standby taken moments ago, its Haves caught up): more than a Fetch
  // carries. None may be skipped: they play in order.
  attached_with_standby t;
  for (wire::seq_t s = 4; s < 14; ++s) {
    t.h.receive(t.standby, wire::have{s, 2});
  }
  t.h.advance(55ms);
  const auto first = t.h.only_sent<wire::fetch>(t.standby);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].from_seq, 4u);
  EXPECT_EQ(first[0].count, wire::max_fetch_chunks);
  t.h.clear();
  for (wire::seq_t s = 4; s < 4 + wire::max_fetch_chunks; ++s) {
    t.h.receive(t.standby, make_chunk(s));
  }
  t.h.advance(1ms);
  const auto rest = t.h.only_sent<wire::fetch>(t.standby);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].from_seq, 4u + wire::max_fetch_chunks);
  EXPECT_EQ(rest[0].count, 14u - 4u - wire::max_fetch_chunks);
  t.h.receive(t.standby, make_chunk(12));
  t.h.receive(t.standby, make_chunk(13));
  EXPECT_EQ(t.h.all<deliver_action>().size(), 10u);
  EXPECT_EQ(t.h.engine().stats().get(counter::chunks_missed), 0u);
}

// Chunks [from, until) from the parent `gap` apart, the standby's Have with
// each: chunks of a frame each (33 ms of capture), or of 200 ms.
void parent_sends(attached_with_standby& t, wire::seq_t from, wire::seq_t until,
                  std::chrono::milliseconds gap, bool frames = true) {
  for (wire::seq_t s = from; s < until; ++s) {
    t.h.advance(gap);
    t.h.receive(t.parent, frames ? make_frame_chunk(s) : make_chunk(s));
    t.h.receive(t.standby, wire::have{s, 2});
  }
}

// Chunks 0-9 from the parent a frame (33 ms) apart, the standby's Have with
// each; the next sequence number.
wire::seq_t parent_at_frame_pace(attached_with_standby& t) {
  parent_sends(t, 0, 10, 33ms);
  t.h.clear();
  return 10;
}

// The parent's late chunk `next` now, then `more` a frame (33 ms) apart;
// the next sequence number.
wire::seq_t parent_back_on_pace(attached_with_standby& t, wire::seq_t next, int more) {
  t.h.receive(t.parent, make_frame_chunk(next++));
  for (int i = 0; i < more; ++i) {
    t.h.advance(33ms);
    t.h.receive(t.parent, make_frame_chunk(next++));
  }
  return next;
}

// The parent streams on a frame apart from `next` for `span`; the standby
// says nothing. The next sequence number.
wire::seq_t only_the_parent_streams(attached_with_standby& t, wire::seq_t next, duration span) {
  for (duration sent{}; sent + 33ms <= span; sent += 33ms) {
    t.h.advance(33ms);
    t.h.receive(t.parent, make_frame_chunk(next++));
  }
  return next;
}

TEST(warm_standby, a_standby_silent_while_the_parent_streams_is_dropped_and_another_asked) {
  // Frozen or gone, it could not replace the parent: found out now, not
  // when the parent fails too. Its beat is the child heartbeat (its chunks'
  // Haves come closer), two of them and two round trips (5 ms here).
  attached_with_standby t(relay_config(), 0);
  const wire::seq_t next = parent_at_frame_pace(t);
  only_the_parent_streams(t, next, 198ms);
  t.h.advance(11ms);
  EXPECT_FALSE(t.h.closed_reason(t.standby));
  t.h.advance(1ms);
  EXPECT_EQ(t.h.closed_reason(t.standby), std::error_code(node_errc::standby_silent));
  EXPECT_EQ(t.h.engine().stats().get(counter::standbys_silent), 1u);
  EXPECT_EQ(t.h.only_connect().to, (wire::endpoint{"127.0.0.1", 7000}));  // the ancestor
}

TEST(warm_standby, a_standby_heartbeating_without_haves_is_kept) {
  // Its own stream stopped above it: alive, it is back within its switch.
  attached_with_standby t(relay_config(), 0);
  wire::seq_t next = parent_at_frame_pace(t);
  for (int i = 0; i < 10; ++i) {
    next = only_the_parent_streams(t, next, 99ms);
    t.h.receive(t.standby, wire::heartbeat{});
  }
  EXPECT_FALSE(t.h.closed_reason(t.standby));
  EXPECT_TRUE(t.h.all<connect_action>().empty());
}

TEST(warm_standby, a_standby_that_fell_silent_is_not_asked_again_soon) {
  attached_with_standby t(relay_config(), 0);
  wire::seq_t next = parent_at_frame_pace(t);
  next = only_the_parent_streams(t, next, 231ms);
  // The ancestor asked next offers, then falls silent as well.
  const auto ancestor = t.h.only_connect();
  t.h.connected(ancestor.link);
  t.h.receive(ancestor.link, hello_from(1, 7000));
  t.h.receive(ancestor.link, wire::standby_offer{1, {id_of(1)}, 2});
  EXPECT_FALSE(t.h.closed_reason(ancestor.link));
  t.h.clear();
  next = only_the_parent_streams(t, next, 231ms);
  EXPECT_EQ(t.h.closed_reason(ancestor.link), std::error_code(node_errc::standby_silent));
  // Neither is asked again while the memory lasts, though rounds go on.
  only_the_parent_streams(t, next, 10s);
  EXPECT_TRUE(t.h.all<connect_action>().empty());
}

TEST(warm_standby, a_peer_asked_that_never_answers_is_given_up_and_the_next_asked) {
  // A frozen process accepts and says nothing; a vanished host drops the
  // SYN until the runtime's 3 s connect timeout. A node waiting on either
  // has no standby when its parent fails meanwhile.
  attached_with_standby t(relay_config(), 0);
  wire::seq_t next = parent_at_frame_pace(t);
  next = only_the_parent_streams(t, next, 231ms);  // the standby falls silent
  const auto ancestor = t.h.only_connect();
  t.h.connected(ancestor.link);
  t.h.receive(ancestor.link, hello_from(1, 7000));
  t.h.clear();
  const wire::endpoint frozen{"10.0.0.9", 7009};
  const wire::endpoint alive{"10.0.0.10", 7010};
  t.h.receive(ancestor.link, wire::join_redirect{"full", {frozen, alive}});
  const auto asked = t.h.only_connect();
  EXPECT_EQ(asked.to, frozen);
  t.h.clear();
  next = only_the_parent_streams(t, next, 990ms);  // its link never comes up
  EXPECT_FALSE(t.h.closed_reason(asked.link));
  only_the_parent_streams(t, next, 33ms);
  EXPECT_EQ(t.h.closed_reason(asked.link), std::error_code(node_errc::standby_silent));
  EXPECT_EQ(t.h.only_connect().to, alive);
}

TEST(warm_standby, a_second_asked_that_never_answers_is_given_up_the_first_kept) {
  attached_with_standby t(relay_config(), 0, true);
  ASSERT_TRUE(t.second_ask);
  t.h.connected(t.second_ask->link);
  t.h.receive(t.second_ask->link, hello_from(1, 7000));
  EXPECT_EQ(t.h.only_sent<wire::standby_request>(t.second_ask->link).size(), 1u);
  parent_sends(t, 0, 30, 33ms);  // 990 ms: the ancestor says nothing
  EXPECT_FALSE(t.h.closed_reason(t.second_ask->link));
  parent_sends(t, 30, 31, 33ms);
  EXPECT_EQ(t.h.closed_reason(t.second_ask->link), std::error_code(node_errc::standby_silent));
  EXPECT_FALSE(t.h.closed_reason(t.standby));
}

TEST(warm_standby, a_parent_late_by_its_own_pace_has_the_next_chunks_fetched_before_any_have) {
  attached_with_standby t(relay_config(), 0);
  const wire::seq_t next = parent_at_frame_pace(t);
  t.h.advance(47ms);  // due at 33 ms, plus the 15 ms tolerance
  EXPECT_TRUE(t.h.only_sent<wire::fetch>(t.standby).empty());
  t.h.advance(1ms);
  const auto fetches = t.h.only_sent<wire::fetch>(t.standby);
  ASSERT_EQ(fetches.size(), 1u);
  EXPECT_EQ(fetches[0].from_seq, next);
  EXPECT_EQ(fetches[0].count, 5u);  // until the switch (100 ms) at 33 ms a chunk, and one
  EXPECT_EQ(t.h.engine().stats().get(counter::paced_fetches), 1u);
  // The standby sends them as it gets them: each is taken as fetched.
  t.h.receive(t.standby, make_frame_chunk(next));
  t.h.receive(t.standby, make_frame_chunk(next + 1));
  EXPECT_FALSE(t.h.closed_reason(t.standby));
  EXPECT_EQ(t.h.all<deliver_action>().size(), 2u);
  // Once per silence: no second paced fetch while the parent stays quiet.
  t.h.advance(30ms);
  EXPECT_EQ(t.h.engine().stats().get(counter::paced_fetches), 1u);
}

TEST(warm_standby, a_fetched_chunk_counts_against_the_parent_with_or_without_its_have) {
  for (const bool have_too : {true, false}) {  // Haves may be late, or sparse
    SCOPED_TRACE(have_too ? "the fetched chunk, then its Have" : "no Have");
    attached_with_standby t(relay_config(), 0);
    const wire::seq_t next = parent_at_frame_pace(t);
    t.h.advance(49ms);
    ASSERT_EQ(t.h.only_sent<wire::fetch>(t.standby).size(), 1u);
    t.h.receive(t.standby, make_frame_chunk(next));
    if (have_too) {
      t.h.receive(t.standby, wire::have{next, 2});
    }
    // Due 33 ms after the parent's last chunk, by its pace: 100 ms past
    // that, the switch.
    t.h.advance(83ms);
    EXPECT_TRUE(t.h.only_sent<wire::join_request>(t.standby).empty());
    t.h.advance(2ms);
    EXPECT_EQ(t.h.only_sent<wire::join_request>(t.standby).size(), 1u);
    EXPECT_EQ(t.h.engine().stats().get(counter::parents_behind), 1u);
  }
}

TEST(warm_standby, a_chunk_fetched_during_the_switch_ends_the_repair) {
  attached_with_standby t(relay_config(), 0);
  const wire::seq_t next = parent_at_frame_pace(t);
  t.h.advance(49ms);
  ASSERT_EQ(t.h.only_sent<wire::fetch>(t.standby).size(), 1u);
  t.h.receive(t.standby, wire::have{next, 2});  // its chunk is on the way
  t.h.advance(101ms);                           // the Have 100 ms ahead
  ASSERT_EQ(t.h.only_sent<wire::join_request>(t.standby).size(), 1u);
  t.h.clear();
  // The stream flows again with the fetched chunk, before the standby has
  // even accepted us: the picture goes on from there.
  t.h.advance(20ms);
  t.h.receive(t.standby, make_frame_chunk(next));
  const auto events = t.h.all<event_action>();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<repair_finished_event>(events[0].event).took, 20ms);
  t.h.clear();
  // Once: the new parent's first chunk ends nothing more.
  t.h.receive(t.standby, wire::join_accept{1, {id_of(1), id_of(6)}, {}, {}});
  t.h.receive(t.standby, make_frame_chunk(next + 1));
  for (const auto& e : t.h.all<event_action>()) {
    EXPECT_FALSE(std::holds_alternative<repair_finished_event>(e.event));
  }
  EXPECT_EQ(t.h.engine().stats().get(counter::repairs), 1u);
}

TEST(warm_standby, a_fetched_chunk_the_parent_then_sends_is_no_proof_against_it) {
  attached_with_standby t(relay_config(), 0);
  const wire::seq_t next = parent_at_frame_pace(t);
  t.h.advance(49ms);
  ASSERT_EQ(t.h.only_sent<wire::fetch>(t.standby).size(), 1u);
  t.h.receive(t.standby, make_frame_chunk(next));
  t.h.advance(10ms);
  parent_back_on_pace(t, next, 4);  // late, not gone
  EXPECT_TRUE(t.h.only_sent<wire::join_request>(t.standby).empty());
  EXPECT_EQ(t.h.engine().stats().get(counter::parents_behind), 0u);
}

TEST(warm_standby, a_parent_back_on_pace_is_kept_and_fetched_for_again_only_when_late_again) {
  attached_with_standby t(relay_config(), 0);
  wire::seq_t next = parent_at_frame_pace(t);
  t.h.advance(80ms);
  ASSERT_EQ(t.h.only_sent<wire::fetch>(t.standby).size(), 1u);
  t.h.receive(t.standby, wire::heartbeat{});  // it lives
  next = parent_back_on_pace(t, next, 5);     // a hiccup, not a failure
  t.h.receive(t.standby, wire::heartbeat{});
  EXPECT_EQ(t.h.engine().stats().get(counter::paced_fetches), 1u);
  EXPECT_TRUE(t.h.only_sent<wire::join_request>(t.standby).empty());
  t.h.advance(80ms);
  EXPECT_EQ(t.h.engine().stats().get(counter::paced_fetches), 2u);
}

TEST(warm_standby, a_parent_of_long_chunks_is_given_tolerances_as_long) {
  // 200 ms chunks (each long on every hop's uplink): the paced fetch waits
  // a fifth of the interval, the switch three quarters, not the 15 and
  // 100 ms of a chunk per frame.
  attached_with_standby t(relay_config(), 0);
  const wire::seq_t s = 10;
  parent_sends(t, 0, s, 200ms, false);
  t.h.clear();
  t.h.advance(239ms);  // due at 200 ms, plus 40
  EXPECT_TRUE(t.h.only_sent<wire::fetch>(t.standby).empty());
  t.h.advance(1ms);
  ASSERT_EQ(t.h.only_sent<wire::fetch>(t.standby).size(), 1u);
  // The standby has chunk 10 as the parent's copy was due: replaced 150 ms
  // later.
  t.h.receive(t.standby, wire::have{s, 2});
  t.h.advance(149ms);
  EXPECT_TRUE(t.h.only_sent<wire::join_request>(t.standby).empty());
  t.h.advance(2ms);
  EXPECT_EQ(t.h.only_sent<wire::join_request>(t.standby).size(), 1u);
}

// The parent's upstream-late notices (upstream_late.hpp): a Heartbeat
// saying so every `every`, from `from` to `until` after now, in 10 ms steps;
// whether a JoinRequest went to the standby by then.
bool switched_while_told(attached_with_standby& t, link_id_t from_link,
                         std::chrono::milliseconds from, std::chrono::milliseconds until,
                         std::chrono::milliseconds every = 50ms) {
  for (auto at = 0ms; at < until; at += 10ms) {
    if (at >= from && (at - from) % every == 0ms) {
      t.h.receive(from_link, wire::heartbeat{true});
    }
    if (at % 100ms == 0ms) {
      t.h.receive(t.standby, wire::heartbeat{});  // alive, its newest chunk announced
    }
    t.h.advance(10ms);
  }
  return !t.h.only_sent<wire::join_request>(t.standby).empty();
}

// Upstream-late notices the node under test sent to `link` so far.
std::size_t upstream_late_notices_to(const attached_with_standby& t, link_id_t link) {
  std::size_t n = 0;
  for (const auto& hb : t.h.only_sent<wire::heartbeat>(link)) {
    n += hb.upstream_late;
  }
  return n;
}

TEST(warm_standby,
     a_parent_that_says_the_stream_stopped_above_it_is_kept_while_the_standby_fills_in) {
  attached_with_standby t(relay_config(), 0);
  const wire::seq_t next = parent_at_frame_pace(t);
  // The parent goes quiet but says, every 50 ms, that its own parent is
  // late. Without that it would be left 134 ms on (the test above).
  EXPECT_FALSE(switched_while_told(t, t.parent, 20ms, 60ms));
  // The chunks the standby has are still fetched: the picture goes on.
  ASSERT_EQ(t.h.only_sent<wire::fetch>(t.standby).size(), 1u);
  t.h.receive(t.standby, make_frame_chunk(next));
  t.h.receive(t.standby, wire::have{next, 2});
  EXPECT_FALSE(switched_while_told(t, t.parent, 0ms, 450ms));
  EXPECT_EQ(t.h.engine().stats().get(counter::parents_behind), 0u);
  EXPECT_EQ(t.h.engine().stats().get(counter::parents_held), 1u);  // once an episode
  // 500 ms after the first notice the usual rule holds again, however many
  // more come: a parent that says so for ever is a liar.
  EXPECT_TRUE(switched_while_told(t, t.parent, 0ms, 20ms));
  EXPECT_EQ(t.h.engine().stats().get(counter::parents_behind), 1u);
}

TEST(warm_standby, the_hold_ends_soon_after_the_notices_stop) {
  attached_with_standby t(relay_config(), 0);
  const wire::seq_t next = parent_at_frame_pace(t);
  t.h.advance(20ms);
  t.h.receive(t.parent, wire::heartbeat{true});
  t.h.advance(29ms);  // the paced fetch
  t.h.receive(t.standby, make_frame_chunk(next));
  t.h.advance(21ms);
  t.h.receive(t.parent, wire::heartbeat{true});  // the last notice, at 70 ms
  // Without it the parent would be left at 134 ms; it holds until 190.
  for (int step = 0; step < 11; ++step) {
    t.h.advance(10ms);
  }
  EXPECT_TRUE(t.h.only_sent<wire::join_request>(t.standby).empty());
  t.h.advance(10ms);
  EXPECT_EQ(t.h.only_sent<wire::join_request>(t.standby).size(), 1u);
}

TEST(warm_standby, only_the_parents_notice_holds) {
  attached_with_standby t(relay_config(), 0);
  const wire::seq_t next = parent_at_frame_pace(t);
  t.h.advance(49ms);
  t.h.receive(t.standby, make_frame_chunk(next));
  t.h.receive(t.standby, wire::heartbeat{true});  // the standby's says nothing of the parent
  t.h.advance(83ms);
  EXPECT_TRUE(t.h.only_sent<wire::join_request>(t.standby).empty());
  t.h.advance(2ms);
  EXPECT_EQ(t.h.only_sent<wire::join_request>(t.standby).size(), 1u);
}

TEST(warm_standby, a_node_whose_parent_is_late_by_its_pace_tells_its_children_while_it_lasts) {
  attached_with_standby t(relay_config(), 0);
  const link_id_t child = t.h.join_child(7);
  wire::seq_t next = parent_at_frame_pace(t);
  t.h.advance(33ms);
  t.h.receive(t.standby, wire::have{next, 2});  // the standby has the stream: we switch soon
  // Half way to the switch: due at 33 ms, plus half the 100 ms tolerance.
  t.h.advance(49ms);
  EXPECT_EQ(upstream_late_notices_to(t, child), 0u);
  t.h.advance(1ms);
  EXPECT_EQ(upstream_late_notices_to(t, child), 1u);
  t.h.advance(40ms);
  EXPECT_EQ(upstream_late_notices_to(t, child), 1u);  // one every 50 ms
  // The parent back on pace before the switch: no more.
  next = parent_back_on_pace(t, next, 6);
  EXPECT_EQ(upstream_late_notices_to(t, child), 1u);
  EXPECT_TRUE(t.h.only_sent<wire::join_request>(t.standby).empty());
  EXPECT_EQ(t.h.engine().stats().get(counter::upstream_late_notices), 1u);
}

TEST(warm_standby, a_node_whose_standby_waits_for_the_stream_too_tells_nobody) {
  // No switch is coming (the standby has nothing the parent has not sent):
  // the children had better switch to their own standbys by the usual rule.
  attached_with_standby t(relay_config(), 0);
  const link_id_t child = t.h.join_child(7);
  parent_at_frame_pace(t);
  for (int step = 0; step < 20; ++step) {
    t.h.advance(10ms);
  }
  EXPECT_EQ(upstream_late_notices_to(t, child), 0u);
}

TEST(warm_standby, a_node_replacing_its_lost_parent_tells_its_children_at_once) {
  attached_with_standby t;
  const link_id_t child = t.h.join_child(7);
  t.h.clear();
  t.h.closed(t.parent);
  ASSERT_EQ(t.h.only_sent<wire::join_request>(t.standby).size(), 1u);
  ASSERT_TRUE(t.h.engine().next_deadline());
  EXPECT_EQ(*t.h.engine().next_deadline(), t.h.now());
  t.h.advance(0ms);
  EXPECT_EQ(upstream_late_notices_to(t, child), 1u);
  // Attached again and fed: no more.
  t.h.receive(t.standby, wire::join_accept{1, {id_of(1), id_of(6)}, {{"127.0.0.1", 7000}}, {}});
  t.h.receive(t.standby, make_chunk(4));
  t.h.advance(60ms);
  EXPECT_EQ(upstream_late_notices_to(t, child), 1u);
}

TEST(warm_standby, a_backlog_burst_is_no_pace) {
  attached_with_standby t(relay_config(), 0);
  for (wire::seq_t s = 0; s < 20; ++s) {
    t.h.receive(t.parent, make_chunk(s));  // all at once, as a join's backlog
    t.h.receive(t.standby, wire::have{s, 2});
  }
  t.h.advance(100ms);
  EXPECT_EQ(t.h.engine().stats().get(counter::paced_fetches), 0u);
}

TEST(warm_standby, a_backlog_crossing_a_slow_link_is_no_pace) {
  attached_with_standby t(relay_config(), 0);
  // A join's backlog of frame chunks crossing a slow link 7 ms apart, then
  // the live chunks a frame apart, the next a little late: the pace is the
  // stream's frame, not the backlog's 7 ms (which would make it late).
  parent_sends(t, 0, 20, 7ms);
  parent_sends(t, 20, 24, 33ms);
  t.h.advance(45ms);
  EXPECT_EQ(t.h.engine().stats().get(counter::paced_fetches), 0u);
}

TEST(warm_standby, a_chunk_on_the_standby_link_that_was_not_fetched_is_refused) {
  attached_with_standby t;
  t.h.receive(t.standby, make_chunk(4));
  EXPECT_EQ(t.h.closed_reason(t.standby), std::error_code(node_errc::chunk_not_from_parent));
  EXPECT_TRUE(t.h.all<deliver_action>().empty());
}

// Chunks 0-4, each from the parent 100 ms before the standby's Have; the
// next sequence number.
wire::seq_t parent_ahead_of_standby(attached_with_standby& t) {
  wire::seq_t s = 0;
  for (; s < 5; ++s) {
    t.h.receive(t.parent, make_chunk(s));
    t.h.advance(100ms);
    t.h.receive(t.standby, wire::have{s, 2});
    t.h.advance(100ms);
  }
  return s;
}

TEST(warm_standby, a_parent_usually_first_is_due_before_the_standbys_have) {
  attached_with_standby t(relay_config(), 0);
  const wire::seq_t s = parent_ahead_of_standby(t);
  // The parent freezes: its copy of chunk 5 was due 100 ms before the
  // standby's Have, so the fill and the switch come that much sooner: with
  // the Have itself (the 100 ms tolerance past by then), where a parent
  // usually behind would be given its lag on top.
  t.h.advance(100ms);
  EXPECT_TRUE(t.h.only_sent<wire::fetch>(t.standby).empty());
  t.h.receive(t.standby, wire::have{s, 2});
  EXPECT_EQ(t.h.only_sent<wire::fetch>(t.standby).size(), 1u);
  EXPECT_EQ(t.h.only_sent<wire::join_request>(t.standby).size(), 1u);
}

TEST(warm_standby, a_new_parents_lag_behind_the_standby_is_measured_afresh) {
  attached_with_standby t(relay_config(), 0);
  const wire::seq_t s = parent_ahead_of_standby(t);
  // Moved below peer 20 (a hop further from the broadcaster than the old
  // parent): its copy of each chunk comes 100 ms after the standby's Have.
  t.h.clear();
  t.h.receive(t.parent, wire::move{{{"10.0.0.20", 7020}}});
  const auto connects = t.h.all<connect_action>();
  const auto probe = *std::find_if(connects.begin(), connects.end(), [](const auto& c) {
    return c.to == wire::endpoint{"10.0.0.20", 7020};
  });
  t.h.connected(probe.link);
  t.h.answer_probe(probe.link, 20, 7020, 2, 1, {id_of(1), id_of(5), id_of(20)});
  t.h.receive(probe.link,
              wire::join_accept{2, {id_of(1), id_of(5), id_of(20)}, {{"127.0.0.1", 7000}}, {}});
  ASSERT_EQ(t.h.engine().parent_endpoint(), (wire::endpoint{"10.0.0.20", 7020}));
  t.h.clear();
  t.h.receive(t.standby, wire::have{s, 2});
  t.h.advance(200ms);
  // With the old parent's lead (100 ms early) this was a silent parent
  // 300 ms late; the new one has no lead yet, so it is given the long one.
  EXPECT_TRUE(t.h.only_sent<wire::join_request>(t.standby).empty());
  t.h.receive(probe.link, make_chunk(s));
  EXPECT_FALSE(t.h.closed_reason(probe.link));
  EXPECT_EQ(t.h.engine().stats().get(counter::parents_behind), 0u);
}

TEST(silent_parent, a_peer_whose_own_downlink_is_narrow_gives_its_parent_longer) {
  // Our player plays below the full rendition for want of downlink: the
  // parent's chunks wait in our own link while the standby's Have passes.
  attached_with_standby t;
  t.h.engine().want_renditions(wire::rendition_bit(wire::rendition::low), true, t.h.now());
  t.h.clear();
  t.h.receive(t.standby, wire::have{4, 2});
  const duration usual =
      t.h.engine().config().heartbeat_interval * t.h.engine().config().parent_silence_misses;
  t.h.advance(usual + 10ms);
  EXPECT_TRUE(t.h.only_sent<wire::join_request>(t.standby).empty()) << "left for lagging";
  EXPECT_TRUE(t.h.all<connect_action>().empty()) << "left for silence";
  EXPECT_TRUE(t.h.only_sent<wire::fetch>(t.standby).empty()) << "fetched on our own link";
  EXPECT_EQ(t.h.engine().stats().get(counter::gap_fills), 0u);
  t.h.advance(usual + 10ms);  // as long as any link may stay silent: gone
  EXPECT_TRUE(t.h.engine().stats().get(counter::parents_silent) == 1 ||
              t.h.closed_reason(t.parent));
}

TEST(silent_parent, with_no_standby_a_repair_round_starts_while_the_parent_may_still_feed_us) {
  node_config c = relay_config();
  c.warm_standby = false;
  harness h(c);
  h.start();
  const auto probes = h.answer_query({{id_of(5), {"10.0.0.5", 7005}, 1, 2, "", {}}});
  const link_id_t parent = probes.at(0).link;
  h.answer_probe(parent, 5, 7005, 1, 2, {id_of(1), id_of(5)});
  h.receive(parent, wire::join_accept{1, {id_of(1), id_of(5)}, {{"127.0.0.1", 7000}}, {}});
  h.receive(parent, make_chunk(0));
  h.clear();
  // A healthy parent sends a chunk or a heartbeat every 1.5 intervals at
  // most: two of silence, and it is left.
  h.advance(c.heartbeat_interval * c.parent_silence_misses - 10ms);
  EXPECT_TRUE(h.all<connect_action>().empty());
  h.advance(10ms);
  EXPECT_EQ(h.engine().stats().get(counter::parents_silent), 1u);
  EXPECT_EQ(h.only_connect().to, (wire::endpoint{"127.0.0.1", 7000}));  // the grandparent
  // Not closed: if it comes back before another parent takes us, it feeds us.
  EXPECT_FALSE(h.closed_reason(parent));
  h.clear();
  h.receive(parent, make_chunk(1));
  EXPECT_EQ(h.all<deliver_action>().size(), 1u);
}

// Attached to peer 5 with no standby, fed `chunks` chunks captured and
// sent `pace` apart.
static link_id_t attached_without_standby(harness& h, wire::seq_t chunks, duration pace) {
  h.start();
  const auto probes = h.answer_query({{id_of(5), {"10.0.0.5", 7005}, 1, 2, "", {}}});
  const link_id_t parent = probes.at(0).link;
  h.answer_probe(parent, 5, 7005, 1, 2, {id_of(1), id_of(5)});
  h.receive(parent, wire::join_accept{1, {id_of(1), id_of(5)}, {{"127.0.0.1", 7000}}, {}});
  for (wire::seq_t s = 0; s < chunks; ++s) {
    h.advance(pace);
    wire::chunk c = make_chunk(s);
    c.capture_time_us = static_cast<std::uint64_t>(to_wire_us(pace)) * s;  // captured at that pace
    wire::seal_chunk(c);
    h.receive(parent, c);
  }
  h.clear();
  return parent;
}

TEST(silent_parent, once_its_pace_is_known_a_parent_is_left_after_two_child_heartbeat_intervals) {
  // Its heartbeat comes child_heartbeat_interval after its last chunk:
  // silent for two of those, it is dead or frozen (the parent's link was
  // never timed, so no round trips are added).
  node_config c = relay_config();
  c.warm_standby = false;
  harness h(c);
  attached_without_standby(h, 12, 33ms);
  h.advance(c.child_heartbeat_interval * c.parent_silence_misses - 10ms);
  EXPECT_EQ(h.engine().stats().get(counter::parents_silent), 0u);
  h.advance(10ms);
  EXPECT_EQ(h.engine().stats().get(counter::parents_silent), 1u);
}

TEST(silent_parent, a_parent_heard_from_is_not_silent_however_long_the_stream_stops) {
  node_config c = relay_config();
  c.warm_standby = false;
  harness h(c);
  const link_id_t parent = attached_without_standby(h, 12, 33ms);
  for (int i = 0; i < 20; ++i) {  // two seconds of heartbeats, no chunk
    h.advance(c.child_heartbeat_interval);
    h.receive(parent, wire::heartbeat{});
  }
  EXPECT_EQ(h.engine().stats().get(counter::parents_silent), 0u);
  EXPECT_TRUE(h.all<connect_action>().empty());
}

TEST(silent_parent, a_parent_of_long_chunks_gets_two_of_their_intervals) {
  // Its chunks may wait behind its other children's on its uplink: a chunk
  // interval of silence is no sign of death.
  node_config c = relay_config();
  c.warm_standby = false;
  harness h(c);
  attached_without_standby(h, 12, 200ms);
  h.advance(2 * 200ms - 10ms);
  EXPECT_EQ(h.engine().stats().get(counter::parents_silent), 0u);
  h.advance(10ms);
  EXPECT_EQ(h.engine().stats().get(counter::parents_silent), 1u);
}

TEST(warm_standby, a_parent_that_heartbeats_but_sends_no_chunk_is_still_behind_the_standby) {
  // Heartbeats say it lives and its link is empty, not that a long chunk is
  // on its way: they do not put off the switch (a long chunk does, above).
  attached_with_standby t;
  t.h.receive(t.standby, wire::have{4, 2});
  for (int i = 0; i < 10; ++i) {
    t.h.advance(40ms);
    t.h.receive(t.parent, wire::heartbeat{});
  }
  EXPECT_EQ(t.h.engine().stats().get(counter::parents_behind), 1u);
  EXPECT_EQ(t.h.only_sent<wire::join_request>(t.standby).size(), 1u);
}

TEST(silent_parent, a_standby_silent_as_well_is_passed_over_for_a_repair_round) {
  // Parent and standby froze together: a JoinRequest to the standby would
  // wait for its heartbeat timeout.
  attached_with_standby t;
  t.h.advance(500ms);
  EXPECT_EQ(t.h.engine().stats().get(counter::parents_silent), 1u);
  EXPECT_TRUE(t.h.only_sent<wire::join_request>(t.standby).empty());
  EXPECT_EQ(t.h.only_connect().to, (wire::endpoint{"127.0.0.1", 7000}));
}

TEST(silent_parent, a_standby_still_heard_takes_over_at_once) {
  attached_with_standby t;
  t.h.advance(450ms);
  t.h.heard(t.standby);
  t.h.advance(50ms);
  EXPECT_EQ(t.h.engine().stats().get(counter::parents_silent), 1u);
  EXPECT_EQ(t.h.only_sent<wire::join_request>(t.standby).size(), 1u);
}

TEST(warm_standby, a_parent_still_sending_a_long_chunk_is_not_suspected) {
  attached_with_standby t;
  t.h.receive(t.standby, wire::have{4, 2});
  for (int i = 0; i < 10; ++i) {  // 400 ms of a chunk arriving byte by byte
    t.h.advance(40ms);
    t.h.heard(t.parent);
  }
  EXPECT_TRUE(t.h.only_sent<wire::join_request>(t.standby).empty());
  EXPECT_EQ(t.h.engine().stats().get(counter::parents_behind), 0u);
}

TEST(warm_standby, a_parent_usually_behind_the_standby_gets_its_usual_lag) {
  attached_with_standby t(relay_config(), 0);
  // Every chunk reaches us through the parent 100 ms after the standby has it.
  wire::seq_t s = 0;
  for (; s < 5; ++s) {
    t.h.receive(t.standby, wire::have{s, 2});
    t.h.advance(100ms);
    t.h.receive(t.parent, make_chunk(s));
    t.h.advance(100ms);
  }
  t.h.receive(t.standby, wire::have{s, 2});
  t.h.advance(190ms);  // usual lag + less than the tolerance
  EXPECT_TRUE(t.h.only_sent<wire::join_request>(t.standby).empty());
  t.h.advance(20ms);
  EXPECT_EQ(t.h.only_sent<wire::join_request>(t.standby).size(), 1u);
}

// Chunks from..to-1: the parent's copy `parent_first_by` before the
// standby's Have (after it when negative), one every 200 ms; and the Haves
// of a challenger `challenger_lead` before the parent's copy, if it is held.
void stream(attached_with_standby& t, wire::seq_t from, wire::seq_t to,
            std::chrono::milliseconds parent_first_by,
            std::optional<std::pair<link_id_t, std::chrono::milliseconds>> challenger = {}) {
  for (wire::seq_t s = from; s < to; ++s) {
    if (challenger) {
      t.h.receive(challenger->first, wire::have{s, 2});
      t.h.advance(challenger->second);
    }
    t.h.receive(t.parent, make_chunk(s));
    t.h.advance(parent_first_by);
    t.h.receive(t.standby, wire::have{s, 2});
    t.h.advance(200ms - parent_first_by - (challenger ? challenger->second : 0ms));
  }
}

// The broadcaster, asked for a standby (`ancestor`, else the one connect
// since the last clear), is full and names peer `n`, which offers
// `round_trip` after our request. Peer n's link.
link_id_t offered_by_named_peer(attached_with_standby& t, std::uint8_t n,
                                std::chrono::milliseconds round_trip,
                                std::optional<connect_action> ancestor = {}) {
  if (!ancestor) {
    ancestor = t.h.only_connect();
  }
  EXPECT_EQ(ancestor->to, (wire::endpoint{"127.0.0.1", 7000}));
  t.h.connected(ancestor->link);
  EXPECT_EQ(t.h.only_sent<wire::standby_request>(ancestor->link).size(), 1u);
  t.h.clear();
  t.h.receive(ancestor->link, hello_from(1, 7000));
  const auto port = static_cast<std::uint16_t>(7000 + n);
  const wire::endpoint named{"10.0.0." + std::to_string(n), port};
  t.h.receive(ancestor->link, wire::join_redirect{"full", {named}});
  const auto asked = t.h.only_connect();
  EXPECT_EQ(asked.to, named);
  t.h.connected(asked.link);
  t.h.receive(asked.link, hello_from(n, port));
  t.h.advance(round_trip);
  t.h.receive(asked.link, wire::standby_offer{1, {id_of(1), id_of(n)}, 2});
  t.h.clear();
  return asked.link;
}

// Attached with a first standby (peer 6) and a second: the broadcaster,
// asked once the first was held, is full and names peer 8, which offers
// `round_trip` after our request. Peer 8's link.
struct attached_with_two_standbys : attached_with_standby {
  explicit attached_with_two_standbys(std::chrono::milliseconds round_trip = 0ms)
      : attached_with_standby(relay_config(), 0, true) {
    second = offered_by_named_peer(*this, 8, round_trip, second_ask);
  }
  link_id_t second = 0;
};

TEST(warm_standby, a_second_standby_is_asked_once_the_first_is_held) {
  attached_with_standby t(relay_config(), 0, true);
  ASSERT_TRUE(t.second_ask);
  EXPECT_EQ(t.second_ask->to, (wire::endpoint{"127.0.0.1", 7000}));  // the ancestor
}

TEST(warm_standby, the_second_takes_over_when_the_first_froze_with_the_parent) {
  attached_with_two_standbys t;
  t.h.advance(300ms);  // the parent and the first say nothing
  t.h.receive(t.second, wire::have{0, 2});
  t.h.advance(200ms);
  EXPECT_EQ(t.h.engine().stats().get(counter::parents_silent), 1u);
  EXPECT_TRUE(t.h.only_sent<wire::join_request>(t.standby).empty());
  EXPECT_EQ(t.h.only_sent<wire::join_request>(t.second).size(), 1u);
  EXPECT_EQ(t.h.engine().stats().get(counter::second_standby_promotions), 1u);
  EXPECT_TRUE(t.h.all<connect_action>().empty());  // no repair round
}

TEST(warm_standby, a_quiet_first_hands_over_to_the_second_before_its_round_trips_are_up) {
  for (const bool first_speaks : {false, true}) {
    SCOPED_TRACE(first_speaks ? "the first heartbeats" : "the first froze");
    attached_with_two_standbys t;
    // The first froze 100 ms before the parent crashed (a Have or a
    // heartbeat comes at least every child heartbeat interval from a live
    // one); the second still speaks.
    t.h.advance(90ms);
    if (first_speaks) {
      t.h.receive(t.standby, wire::heartbeat{});
    }
    t.h.receive(t.second, wire::heartbeat{});
    t.h.advance(10ms);
    const auto probes = t.h.engine().stats().get(counter::probes_sent);
    t.h.closed(t.parent);
    ASSERT_EQ(t.h.only_sent<wire::join_request>(t.standby).size(), 1u);
    // Two round trips plus the grace would wait for the first until 110 ms
    // from now; quiet past its holder's beat, it is passed over sooner.
    t.h.advance(40ms);
    EXPECT_EQ(t.h.only_sent<wire::join_request>(t.second).size(), first_speaks ? 0u : 1u);
    EXPECT_EQ(t.h.closed_reason(t.standby).has_value(), !first_speaks);
    EXPECT_EQ(t.h.engine().stats().get(counter::probes_sent), probes);  // no repair round
  }
}

TEST(warm_standby, a_paced_fetch_goes_again_to_the_second_when_the_first_is_dropped) {
  attached_with_two_standbys t;
  const wire::seq_t next = parent_at_frame_pace(t);
  t.h.receive(t.second, wire::heartbeat{});  // alive, as its holder's beat shows
  t.h.advance(48ms);                         // the parent is late by its pace
  ASSERT_EQ(t.h.only_sent<wire::fetch>(t.standby).size(), 1u);
  // The first moved below our parent meanwhile: declined, the second is the
  // first now, and is asked for the same chunks at once.
  t.h.receive(t.standby, wire::standby_offer{2, {id_of(1), id_of(5), id_of(6)}, 2});
  ASSERT_EQ(t.h.closed_reason(t.standby), std::error_code(node_errc::standby_declined));
  t.h.advance(1ms);
  const auto fetches = t.h.only_sent<wire::fetch>(t.second);
  ASSERT_EQ(fetches.size(), 1u);
  EXPECT_EQ(fetches[0].from_seq, next);
}

TEST(warm_standby, the_second_takes_over_when_the_first_hangs_below_the_lost_parent) {
  attached_with_two_standbys t;
  // The first moved below our parent since (its offer says so): declined,
  // the second is the first now.
  t.h.receive(t.standby, wire::standby_offer{2, {id_of(1), id_of(5), id_of(6)}, 2});
  EXPECT_EQ(t.h.closed_reason(t.standby), std::error_code(node_errc::standby_declined));
  t.h.closed(t.parent);
  EXPECT_EQ(t.h.only_sent<wire::join_request>(t.second).size(), 1u);
}

TEST(warm_standby, a_parents_failure_is_covered_while_a_standby_clear_of_it_is_held) {
  {
    harness h(relay_config());
    h.start();
    EXPECT_FALSE(h.engine().standby_covers_parent());  // no parent, no standby
  }
  {
    attached_with_standby t;
    EXPECT_TRUE(t.h.engine().standby_covers_parent());
    // The only standby moved below our parent: it would fail with it.
    t.h.receive(t.standby, wire::standby_offer{2, {id_of(1), id_of(5), id_of(6)}, 2});
    EXPECT_FALSE(t.h.engine().standby_covers_parent());
  }
  {
    attached_with_two_standbys t;
    EXPECT_TRUE(t.h.engine().standby_covers_parent());
    t.h.receive(t.standby, wire::standby_offer{2, {id_of(1), id_of(5), id_of(6)}, 2});
    EXPECT_TRUE(t.h.engine().standby_covers_parent());  // the second is clear of it
  }
}

TEST(warm_standby, a_standby_that_cannot_take_us_hands_over_to_the_second) {
  for (const bool names_peers : {false, true}) {
    SCOPED_TRACE(names_peers ? "it names peers with room" : "it names none");
    attached_with_two_standbys t;
    t.h.closed(t.parent);
    ASSERT_EQ(t.h.only_sent<wire::join_request>(t.standby).size(), 1u);
    t.h.clear();
    // Its room went to our siblings: the second, a link up with a slot
    // offered, is asked at once, not a round of the peers it names.
    std::vector<wire::endpoint> named;
    if (names_peers) {
      named.push_back({"10.0.0.9", 7009});
    }
    t.h.receive(t.standby, wire::join_redirect{"holds as many of your siblings as fit", named});
    EXPECT_EQ(t.h.only_sent<wire::join_request>(t.second).size(), 1u);
    EXPECT_TRUE(t.h.all<connect_action>().empty());
    EXPECT_EQ(t.h.engine().stats().get(counter::second_standby_promotions), 1u);
    // The second cannot either: now the round.
    t.h.receive(t.second, wire::join_redirect{"full", named});
    EXPECT_FALSE(t.h.all<connect_action>().empty());
  }
}

TEST(warm_standby, a_second_below_the_first_is_declined) {
  // It would fail with the first.
  attached_with_standby t(relay_config(), 0, true);
  t.h.connected(t.second_ask->link);
  t.h.receive(t.second_ask->link, hello_from(1, 7000));
  t.h.receive(t.second_ask->link, wire::standby_offer{2, {id_of(1), id_of(6), id_of(9)}, 2});
  EXPECT_EQ(t.h.closed_reason(t.second_ask->link), std::error_code(node_errc::standby_declined));
}

TEST(warm_standby, the_second_becomes_the_first_when_the_first_takes_over) {
  attached_with_two_standbys t;
  t.h.closed(t.parent);
  ASSERT_EQ(t.h.only_sent<wire::join_request>(t.standby).size(), 1u);
  t.h.receive(t.standby, wire::join_accept{1, {id_of(1), id_of(6)}, {{"127.0.0.1", 7000}}, {}});
  EXPECT_TRUE(t.h.engine().attached());
  EXPECT_FALSE(t.h.closed_reason(t.second));
  // The old first is the parent now; the second fails over for it.
  t.h.clear();
  t.h.closed(t.standby);
  EXPECT_EQ(t.h.only_sent<wire::join_request>(t.second).size(), 1u);
}

TEST(warm_standby, a_second_whose_link_came_up_during_a_switch_is_asked_once_attached) {
  attached_with_two_standbys t;
  t.h.closed(t.parent);
  ASSERT_EQ(t.h.only_sent<wire::join_request>(t.standby).size(), 1u);
  // The second is the first now, and the next second is looked for at once:
  // its link comes up before the standby accepted us, while we have no
  // path to tell it.
  const auto next = t.h.only_connect();
  t.h.connected(next.link);
  EXPECT_TRUE(t.h.only_sent<wire::standby_request>(next.link).empty());
  t.h.receive(t.standby, wire::join_accept{1, {id_of(1), id_of(6)}, {{"127.0.0.1", 7000}}, {}});
  ASSERT_TRUE(t.h.engine().attached());
  // Asked now: left unasked, the peer would close the link as idle 10 s
  // later, and a first dropped meanwhile would leave no standby at all.
  EXPECT_EQ(t.h.only_sent<wire::standby_request>(next.link).size(), 1u);
}

TEST(warm_standby, a_trailing_standby_swaps_places_with_a_sooner_second_make_before_break) {
  attached_with_two_standbys t;
  // The first's Haves come 100 ms after the parent's chunks (more than the
  // 50 ms allowed); the broadcaster announces each 30 ms before the parent.
  stream(t, 0, 6, 100ms, std::pair{t.second, 30ms});
  t.h.closed(t.parent);
  EXPECT_EQ(t.h.only_sent<wire::join_request>(t.second).size(), 1u);
  EXPECT_EQ(t.h.engine().stats().get(counter::second_standby_promotions), 0u);  // the first now
}

TEST(warm_standby, a_trailing_standby_is_kept_as_the_second_when_a_sooner_one_takes_its_place) {
  attached_with_two_standbys t;
  stream(t, 0, 6, 100ms, std::pair{t.second, 30ms});
  EXPECT_FALSE(t.h.closed_reason(t.standby));
  EXPECT_FALSE(t.h.closed_reason(t.second));
  // The first (peer 8 now) froze with the parent: the old first, heard
  // since, takes over.
  t.h.advance(300ms);
  t.h.receive(t.standby, wire::have{6, 2});
  t.h.advance(100ms);
  EXPECT_EQ(t.h.only_sent<wire::join_request>(t.standby).size(), 1u);
  EXPECT_TRUE(t.h.only_sent<wire::join_request>(t.second).empty());
}

// Chunks from..to-1 as stream() sends them, and the second's Haves
// `after` the parent's copy.
void stream_with_second_after(attached_with_two_standbys& t, wire::seq_t from, wire::seq_t to,
                              std::chrono::milliseconds after) {
  for (wire::seq_t s = from; s < to; ++s) {
    t.h.receive(t.parent, make_chunk(s));
    t.h.advance(100ms);
    t.h.receive(t.standby, wire::have{s, 2});
    t.h.advance(after - 100ms);
    t.h.receive(t.second, wire::have{s, 2});
    t.h.advance(200ms - after);
  }
}

TEST(warm_standby, a_second_no_sooner_than_a_trailing_first_is_replaced_after_the_pause) {
  attached_with_two_standbys t;
  // The first trails by 100 ms, the second by 150: no sooner, but kept
  // (it can still take over) until the pause is over; then the ancestor is
  // asked again, and peer 8 is not.
  stream_with_second_after(t, 0, 50, 150ms);
  EXPECT_FALSE(t.h.closed_reason(t.second));
  EXPECT_TRUE(t.h.all<connect_action>().empty());
  stream_with_second_after(t, 50, 60, 150ms);
  EXPECT_EQ(t.h.closed_reason(t.second), std::error_code(node_errc::standby_replaced));
  const auto ancestor = t.h.only_connect();
  EXPECT_EQ(ancestor.to, (wire::endpoint{"127.0.0.1", 7000}));
  t.h.connected(ancestor.link);
  t.h.receive(ancestor.link, hello_from(1, 7000));
  t.h.clear();
  t.h.receive(ancestor.link, wire::join_redirect{"full", {{"10.0.0.8", 7008}}});
  EXPECT_TRUE(t.h.all<connect_action>().empty());
}

TEST(warm_standby, a_sooner_second_a_long_round_trip_away_does_not_swap) {
  // Its copy comes 30 ms before the parent's, but a switch to it would stop
  // the stream for its 150 ms round trip, longer than the first's trail.
  attached_with_two_standbys t(150ms);
  stream(t, 0, 6, 100ms, std::pair{t.second, 30ms});
  t.h.closed(t.parent);
  EXPECT_EQ(t.h.only_sent<wire::join_request>(t.standby).size(), 1u);
}

TEST(warm_standby, a_first_standby_a_long_round_trip_away_swaps_with_a_nearer_second) {
  attached_with_two_standbys t(150ms);
  // The first is gone; the second (peer 8, 150 ms away) is the first now,
  // and the broadcaster, asked again for a second, names peer 9, 10 ms
  // away. Both copies come with the parent's: peer 9's switch gap is the
  // shorter.
  t.h.closed(t.standby);
  t.standby = std::exchange(t.second, offered_by_named_peer(t, 9, 10ms));
  stream(t, 0, 6, 0ms, std::pair{t.second, 0ms});
  t.h.closed(t.parent);
  EXPECT_EQ(t.h.only_sent<wire::join_request>(t.second).size(), 1u);
}

TEST(warm_standby, a_second_that_cannot_be_found_is_looked_for_every_retry) {
  attached_with_standby t(relay_config(), 0, true);
  // The ancestor a search asks cannot be reached.
  t.h.closed(t.second_ask->link);
  std::vector<time_point> searches;
  for (wire::seq_t s = 0; searches.size() < 3 && s < 200; ++s) {
    stream(t, s, s + 1, 100ms);
    for (const auto& c : t.h.all<connect_action>()) {
      searches.push_back(t.h.now());
      t.h.closed(c.link);
    }
    t.h.clear();
  }
  ASSERT_EQ(searches.size(), 3u);
  const double retry_s = std::chrono::duration<double>(relay_config().standby_retry).count();
  EXPECT_NEAR(std::chrono::duration<double>(searches[1] - searches[0]).count(), retry_s, 0.3);
}

TEST(warm_standby, a_standby_within_the_allowed_trail_has_no_sooner_one_looked_for) {
  attached_with_two_standbys t;
  stream(t, 0, 20, 40ms, std::pair{t.second, 0ms});
  EXPECT_TRUE(t.h.all<connect_action>().empty());
  EXPECT_FALSE(t.h.closed_reason(t.second));
}

TEST(warm_standby, a_standby_below_the_parent_is_declined_and_an_ancestor_asked) {
  harness h(relay_config());
  h.start();
  const auto probes = h.answer_query(
      {{id_of(5), {"10.0.0.5", 7005}, 1, 2, "", {}}, {id_of(7), {"10.0.0.7", 7007}, 2, 2, "", {}}});
  h.answer_probe(probes[0].link, 5, 7005, 1, 2, {id_of(1), id_of(5)});
  h.advance(5ms);
  // Peer 7 hangs below peer 5 at probe time it said otherwise, but its offer
  // tells the truth.
  h.answer_probe(probes[1].link, 7, 7007, 1, 2, {id_of(1), id_of(7)});
  h.receive(probes[0].link, wire::join_accept{1, {id_of(1), id_of(5)}, {{"127.0.0.1", 7000}}, {}});
  h.clear();
  h.receive(probes[1].link, wire::standby_offer{2, {id_of(1), id_of(5), id_of(7)}, 2});
  EXPECT_EQ(h.closed_reason(probes[1].link), std::error_code(node_errc::standby_declined));
  // The ancestor above the parent (the broadcaster) is asked instead.
  EXPECT_EQ(h.only_connect().to, (wire::endpoint{"127.0.0.1", 7000}));
}

TEST(warm_standby, a_full_holder_names_peers_with_room_which_are_asked_next) {
  attached_with_standby t;
  t.h.receive(t.standby, wire::join_redirect{"no room", {{"10.0.0.8", 7008}}});
  EXPECT_EQ(t.h.closed_reason(t.standby), std::error_code(node_errc::standby_declined));
  const auto next = t.h.only_connect();
  EXPECT_EQ(next.to, (wire::endpoint{"10.0.0.8", 7008}));
  t.h.clear();
  t.h.connected(next.link);
  EXPECT_EQ(t.h.only_sent<wire::standby_request>(next.link).size(), 1u);
}

// A relay attached to parent 5, its first standby (peer 6) full and naming
// peer 8, which has been asked and not yet answered; peer 8's link.
link_id_t standby_asked_of_peer_8(attached_with_standby& t) {
  t.h.receive(t.standby, wire::join_redirect{"no room", {{"10.0.0.8", 7008}}});
  const link_id_t asked = t.h.only_connect().link;
  t.h.connected(asked);
  t.h.receive(asked, hello_from(8, 7008));
  t.h.clear();
  return asked;
}

TEST(warm_standby, a_standby_offering_after_the_parent_crashed_replaces_the_repair_round) {
  attached_with_standby t;
  const link_id_t asked = standby_asked_of_peer_8(t);
  t.h.closed(t.parent);
  // No standby held: the repair round probes the grandparent.
  const auto probe = t.h.only_connect();
  EXPECT_EQ(probe.to, (wire::endpoint{"127.0.0.1", 7000}));
  t.h.clear();
  t.h.advance(20ms);
  // Peer 8 offers now: one JoinRequest on its link, not the probe's connect,
  // handshake and round trip first.
  t.h.receive(asked, wire::standby_offer{1, {id_of(1), id_of(8)}, 2});
  const auto requests = t.h.only_sent<wire::join_request>(asked);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].resume_from, 4u);
  EXPECT_TRUE(t.h.closed_reason(probe.link));
  t.h.receive(asked, wire::join_accept{1, {id_of(1), id_of(8)}, {{"127.0.0.1", 7000}}, {}});
  t.h.receive(asked, make_chunk(4));
  EXPECT_TRUE(t.h.engine().attached());
  EXPECT_EQ(t.h.engine().stats().get(counter::standby_promotions), 1u);
  EXPECT_EQ(t.h.engine().stats().get(counter::chunks_missed), 0u);
}

TEST(warm_standby, a_late_offer_from_below_the_lost_parent_leaves_the_repair_round_alone) {
  attached_with_standby t;
  const link_id_t asked = standby_asked_of_peer_8(t);
  t.h.closed(t.parent);
  const auto probe = t.h.only_connect();
  t.h.clear();
  // Peer 8 hangs below the parent that crashed: it lost the stream too.
  t.h.receive(asked, wire::standby_offer{2, {id_of(1), id_of(5), id_of(8)}, 2});
  EXPECT_TRUE(t.h.only_sent<wire::join_request>(asked).empty());
  EXPECT_FALSE(t.h.closed_reason(probe.link));
}

TEST(warm_standby, a_standby_offering_after_a_parent_was_chosen_waits) {
  attached_with_standby t;
  const link_id_t asked = standby_asked_of_peer_8(t);
  t.h.closed(t.parent);
  const auto probe = t.h.only_connect();
  t.h.connected(probe.link);
  t.h.answer_probe(probe.link, 1, 7000, 0, 2, {id_of(1)});
  ASSERT_EQ(t.h.only_sent<wire::join_request>(probe.link).size(), 1u);
  t.h.clear();
  // The chosen parent's answer is nearer than a new JoinRequest's.
  t.h.receive(asked, wire::standby_offer{1, {id_of(1), id_of(8)}, 2});
  EXPECT_TRUE(t.h.only_sent<wire::join_request>(asked).empty());
  EXPECT_FALSE(t.h.closed_reason(probe.link));
}

TEST(warm_standby, without_it_the_runner_up_is_closed) {
  node_config c = relay_config();
  c.warm_standby = false;
  harness h(c);
  h.start();
  const auto probes = h.answer_query(
      {{id_of(5), {"10.0.0.5", 7005}, 1, 2, "", {}}, {id_of(6), {"10.0.0.6", 7006}, 1, 2, "", {}}});
  h.answer_probe(probes[0].link, 5, 7005, 1, 2, {id_of(1), id_of(5)});
  h.answer_probe(probes[1].link, 6, 7006, 1, 2, {id_of(1), id_of(6)});
  EXPECT_EQ(h.closed_reason(probes[1].link), std::error_code(node_errc::probe_done));
}

TEST(standby_holder, path_updates_and_offers_go_again_only_when_they_changed) {
  harness h(relay_config(), 100);
  h.start();
  const link_id_t parent = h.attach_under_root();
  const link_id_t child = h.join_child(7);
  const link_id_t standby = h.accept();
  h.receive(standby, hello_from(9, 9009));
  h.receive(standby, wire::standby_request{{id_of(1), id_of(3), id_of(9)}});
  ASSERT_EQ(h.only_sent<wire::standby_offer>(standby).size(), 1u);
  h.clear();
  // Three rounds of backups with nothing new: nothing sent again.
  const auto settled = h.now() + 3 * relay_config().backup_interval;
  for (wire::seq_t s = 0; h.now() < settled; ++s) {
    h.receive(parent, make_chunk(s));
    h.heard(child);
    h.heard(standby);
    h.advance(200ms);
  }
  EXPECT_TRUE(h.only_sent<wire::path_update>(child).empty());
  EXPECT_TRUE(h.only_sent<wire::standby_offer>(standby).empty());
  // Our path changes: both hear it once.
  h.receive(parent, wire::path_update{2, {id_of(1), id_of(9), id_of(4)}});
  EXPECT_EQ(h.only_sent<wire::path_update>(child).size(), 1u);
  EXPECT_EQ(h.only_sent<wire::standby_offer>(standby).size(), 1u);
}

TEST(standby_holder, announces_each_chunk_and_takes_the_switch_as_a_join) {
  harness h(root_config());
  start_with_chunks(h);
  const link_id_t peer = ask_standby(h, 9, 3);
  const auto offers = h.only_sent<wire::standby_offer>(peer);
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].path, std::vector<wire::node_id_t>{id_of(100)});
  EXPECT_EQ(offers[0].free_slots, 3u);
  h.source(make_chunk(6));
  const auto haves = h.only_sent<wire::have>(peer);
  ASSERT_EQ(haves.size(), 1u);
  EXPECT_EQ(haves[0].seq, 6u);
  EXPECT_TRUE(h.only_sent<wire::chunk>(peer).empty());  // no stream before it switches
  EXPECT_EQ(h.engine().child_count(), 0u);              // and no slot taken
  // Held longer than a probe may linger: not closed as idle.
  for (int i = 0; i < 44; ++i) {
    h.advance(250ms);
    h.receive(peer, wire::heartbeat{});
  }
  EXPECT_FALSE(h.closed_reason(peer));
  h.clear();
  h.receive(peer, wire::join_request{5});
  EXPECT_EQ(h.engine().child_count(), 1u);
  const auto chunks = h.only_sent<wire::chunk>(peer);
  ASSERT_FALSE(chunks.empty());
  EXPECT_EQ(chunks.front().seq, 5u);
  h.clear();
  h.source(make_chunk(7));
  EXPECT_TRUE(h.only_sent<wire::have>(peer).empty());  // a child now: chunks, not haves
}

TEST(standby_holder, heartbeats_an_idle_standby_child_as_a_child) {
  // Its Haves stop with our stream: a heartbeat each child heartbeat
  // interval tells it we live, so that silence means frozen or gone.
  harness h(root_config());
  start_with_chunks(h);
  const link_id_t peer = ask_standby(h, 9, 3);
  h.clear();
  h.advance(h.engine().config().child_heartbeat_interval - 1ms);
  EXPECT_TRUE(h.only_sent<wire::heartbeat>(peer).empty());
  h.advance(1ms);
  EXPECT_EQ(h.only_sent<wire::heartbeat>(peer).size(), 1u);
}

TEST(standby_holder, announces_to_a_second_standby_only_as_often_as_it_asked) {
  // Peer 9 holds us as its second standby (Haves every 200 ms), peer 10 as
  // its first (a Have each chunk); chunks come 33 ms apart.
  harness h(root_config());
  start_with_chunks(h);
  const link_id_t second = h.accept();
  h.receive(second, hello_from(9, 9009));
  h.receive(second, wire::standby_request{{id_of(100), id_of(3), id_of(9)}, {}, 0, 200});
  const link_id_t first = ask_standby(h, 10, 4);
  h.clear();
  for (wire::seq_t s = 6; s < 36; ++s) {  // a second of chunks
    h.source(make_chunk(s));
    h.advance(33ms);
  }
  EXPECT_EQ(h.only_sent<wire::have>(first).size(), 30u);
  EXPECT_EQ(h.only_sent<wire::have>(second).size(), 5u);      // 231 ms apart
  EXPECT_TRUE(h.only_sent<wire::heartbeat>(second).empty());  // its Haves are beat enough
  // Its first failed: the second is the first now, and says so.
  h.clear();
  h.receive(second, wire::standby_request{{id_of(100), id_of(3), id_of(9)}, {}, 0, 0});
  for (wire::seq_t s = 36; s < 46; ++s) {
    h.source(make_chunk(s));
    h.advance(33ms);
  }
  EXPECT_EQ(h.only_sent<wire::have>(second).size(), 10u);
  EXPECT_FALSE(h.closed_reason(second));
}

TEST(standby_holder, serves_a_fetch_once_and_drops_a_child_that_fetches_again) {
  harness h(root_config());
  start_with_chunks(h);
  const link_id_t peer = ask_standby(h, 9, 3);
  h.clear();
  h.receive(peer, wire::fetch{4, 2});
  const auto chunks = h.only_sent<wire::chunk>(peer);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].seq, 4u);
  EXPECT_EQ(chunks[1].seq, 5u);
  EXPECT_EQ(h.engine().stats().get(counter::gap_fill_chunks_sent), 2u);
  // Asking again for what it had: a flood (amplification), not a gap.
  h.receive(peer, wire::fetch{5, 1});
  EXPECT_EQ(h.closed_reason(peer), std::error_code(node_errc::flooding));
}

TEST(standby_holder, sends_fetched_chunks_it_lacks_as_they_come_each_once) {
  harness h(root_config());
  start_with_chunks(h);  // 0..5
  const link_id_t peer = ask_standby(h, 9, 3);
  h.clear();
  h.receive(peer, wire::fetch{5, 3});  // 5 held, 6 and 7 not yet
  ASSERT_EQ(h.only_sent<wire::chunk>(peer).size(), 1u);
  h.clear();
  for (wire::seq_t s = 6; s < 9; ++s) {
    h.source(make_chunk(s));
  }
  const auto chunks = h.only_sent<wire::chunk>(peer);
  ASSERT_EQ(chunks.size(), 2u);  // 8 was not asked for
  EXPECT_EQ(chunks[0].seq, 6u);
  EXPECT_EQ(chunks[1].seq, 7u);
  EXPECT_EQ(h.engine().stats().get(counter::gap_fill_chunks_sent), 3u);
}

// The broadcaster (a slot free) with children 2, 3 and 4, chunks 0..5 written to all;
// then the children in `slow` stop reading, chunk 6 waits on their links,
// and 60 ms pass.
struct holder_with_slow_children {
  explicit holder_with_slow_children(std::initializer_list<std::uint8_t> slow) : h(root_config(4)) {
    h.start();
    std::map<std::uint8_t, link_id_t> kids;
    for (const std::uint8_t n : {2, 3, 4}) {
      kids[n] = h.join_child(n);
    }
    for (wire::seq_t s = 0; s < 6; ++s) {
      h.source(make_chunk(s));
    }
    for (const std::uint8_t n : slow) {
      h.stop_reading(kids.at(n));
    }
    h.source(make_chunk(6));
    h.advance(60ms);
  }
  harness h;
};

TEST(standby_holder, sends_no_gap_fill_while_its_uplink_is_behind_with_its_children) {
  holder_with_slow_children t({2, 3});
  harness& h = t.h;
  const link_id_t peer = ask_standby(h, 9, 3);
  h.clear();
  h.receive(peer, wire::fetch{4, 4});  // 4..6 held, 7 not yet
  EXPECT_TRUE(h.only_sent<wire::chunk>(peer).empty());
  h.source(make_chunk(7));
  EXPECT_TRUE(h.only_sent<wire::chunk>(peer).empty());
  EXPECT_EQ(h.engine().stats().get(counter::gap_fills_withheld), 4u);
  EXPECT_EQ(h.engine().stats().get(counter::gap_fill_chunks_sent), 0u);
  EXPECT_FALSE(h.closed_reason(peer));  // still held: it may switch to us
}

TEST(standby_holder, one_slow_child_alone_does_not_stop_gap_fills) {
  holder_with_slow_children t({2});
  harness& h = t.h;
  const link_id_t peer = ask_standby(h, 9, 3);
  h.clear();
  h.receive(peer, wire::fetch{4, 2});
  EXPECT_EQ(h.only_sent<wire::chunk>(peer).size(), 2u);
  EXPECT_EQ(h.engine().stats().get(counter::gap_fills_withheld), 0u);
}

TEST(standby_holder, a_later_fetch_keeps_what_an_earlier_one_is_still_owed) {
  harness h(root_config());
  start_with_chunks(h);  // 0..5
  const link_id_t peer = ask_standby(h, 9, 3);
  h.clear();
  h.receive(peer, wire::fetch{6, 2});
  h.receive(peer, wire::fetch{8, 2});
  EXPECT_FALSE(h.closed_reason(peer));
  for (wire::seq_t s = 6; s < 11; ++s) {
    h.source(make_chunk(s));
  }
  const auto chunks = h.only_sent<wire::chunk>(peer);
  ASSERT_EQ(chunks.size(), 4u);
  EXPECT_EQ(chunks.front().seq, 6u);
  EXPECT_EQ(chunks.back().seq, 9u);
}

TEST(standby_holder, a_fetch_from_a_peer_it_does_not_hold_is_a_protocol_error) {
  harness h(root_config());
  h.start();
  h.source(make_chunk(0));
  const link_id_t peer = h.accept();
  h.receive(peer, hello_from(9, 9009));
  h.receive(peer, wire::fetch{0, 1});
  EXPECT_EQ(h.closed_reason(peer), std::error_code(node_errc::unexpected_message));
}

TEST(standby_holder, without_room_it_redirects) {
  harness h(root_config(1));
  h.start();
  h.join_child(2);
  const link_id_t peer = h.accept();
  h.receive(peer, hello_from(9, 9009));
  h.receive(peer, wire::standby_request{{id_of(100), id_of(3), id_of(9)}});
  EXPECT_EQ(h.only_sent<wire::join_redirect>(peer).size(), 1u);
  EXPECT_EQ(h.closed_reason(peer), std::error_code(node_errc::join_refused));
}

TEST(standby_holder, a_standby_child_switching_finds_room_even_after_the_slots_filled) {
  harness h(root_config(1));
  h.start();
  h.source(make_chunk(0));
  const link_id_t peer = h.accept();
  h.receive(peer, hello_from(9, 9009));
  h.receive(peer, wire::standby_request{{id_of(100), id_of(3), id_of(9)}});
  ASSERT_EQ(h.only_sent<wire::standby_offer>(peer).size(), 1u);
  h.join_child(2);  // the last slot goes to a newcomer
  ASSERT_EQ(h.engine().free_slots(), 0u);
  h.clear();
  h.receive(peer, wire::join_request{0});
  EXPECT_EQ(h.engine().child_count(), 2u);  // standby_headroom: one above max_children
  EXPECT_EQ(h.only_sent<wire::join_accept>(peer).size(), 1u);
  // A newcomer still finds it full.
  const link_id_t late = h.join_child(4);
  EXPECT_EQ(h.only_sent<wire::join_redirect>(late).size(), 1u);
}

TEST(warm_standby, a_promotion_during_an_improvement_round_leaves_no_deadline_behind) {
  node_config config = relay_config();
  config.improve_interval = 15s;
  attached_with_standby t(config);
  // Keep the stream going to the improvement round (chunks every 200 ms).
  wire::seq_t s = 4;
  while (t.h.all<connect_action>().empty() && s < 200) {
    t.h.advance(200ms);
    t.h.receive(t.parent, make_chunk(s));
    t.h.receive(t.standby, wire::have{s++, 2});
  }
  const auto query = t.h.only_connect();  // the round's query, to the broadcaster
  EXPECT_EQ(query.to, (wire::endpoint{"127.0.0.1", 7000}));
  const auto probes = t.h.answer_query({{id_of(9), {"10.0.0.9", 7009}, 1, 2, "", {}}});
  ASSERT_EQ(probes.size(), 1u);  // probing, its timeout armed
  t.h.clear();
  t.h.closed(t.parent);
  ASSERT_EQ(t.h.only_sent<wire::join_request>(t.standby).size(), 1u);
  EXPECT_TRUE(t.h.closed_reason(probes[0].link));  // the round is over
  // The standby is slow to answer, past the round's probe timeout: nothing
  // may stay due in the past (a timer firing for it forever).
  for (int step = 0; step < 15; ++step) {
    t.h.advance(100ms);
    t.h.receive(t.standby, wire::heartbeat{});
    const auto next = t.h.engine().next_deadline();
    ASSERT_TRUE(next);
    EXPECT_GT(*next, t.h.now());
  }
}

TEST(standby_holder, holds_no_more_siblings_than_can_switch_to_it_at_once) {
  // One free slot and one of headroom: two children of peer 3 fit, a third
  // is sent elsewhere (they would all switch when 3 fails); a child of
  // another parent is still held.
  harness h(root_config(1));
  h.start();
  const link_id_t first = ask_standby(h, 10, 3);
  const link_id_t second = ask_standby(h, 11, 3);
  const link_id_t third = ask_standby(h, 12, 3);
  const link_id_t cousin = ask_standby(h, 13, 4);
  EXPECT_EQ(h.only_sent<wire::standby_offer>(first).size(), 1u);
  EXPECT_EQ(h.only_sent<wire::standby_offer>(second).size(), 1u);
  EXPECT_TRUE(h.only_sent<wire::standby_offer>(third).empty());
  EXPECT_EQ(h.only_sent<wire::join_redirect>(third).size(), 1u);
  EXPECT_EQ(h.only_sent<wire::standby_offer>(cousin).size(), 1u);
}

TEST(standby_holder, a_child_taking_the_free_slot_sends_the_sibling_that_no_longer_fits_on) {
  // Two children of peer 3 held on one free slot and one of headroom; a
  // newcomer takes the slot: only one of them could switch now, so the
  // other is sent to peers with room at once, not refused when 3 fails.
  harness h(root_config(1));
  h.start();
  const link_id_t first = ask_standby(h, 10, 3);
  const link_id_t second = ask_standby(h, 11, 3);
  const link_id_t cousin = ask_standby(h, 13, 4);
  h.clear();
  h.join_child(2);
  EXPECT_FALSE(h.closed_reason(first));
  EXPECT_EQ(h.only_sent<wire::join_redirect>(second).size(), 1u);
  EXPECT_EQ(h.closed_reason(second), std::error_code(node_errc::join_refused));
  EXPECT_FALSE(h.closed_reason(cousin));
  // The one kept still finds its headroom.
  h.clear();
  h.receive(first, wire::join_request{0});
  EXPECT_EQ(h.only_sent<wire::join_accept>(first).size(), 1u);
  EXPECT_EQ(h.engine().child_count(), 2u);
}

TEST(standby_holder, a_standby_child_refused_at_its_switch_is_no_longer_held) {
  // Our parent is gone, so its switch finds no place: it is sent away, and
  // must not stay among the standby children (counted as a sibling, sent
  // Haves, released again on the next round of path updates).
  harness h(relay_config(), 100);
  h.start();
  const link_id_t parent = h.attach_under_root();
  const link_id_t standby_child = h.accept();
  h.receive(standby_child, hello_from(9, 9009));
  h.receive(standby_child, wire::standby_request{{id_of(1), id_of(3), id_of(9)}});
  ASSERT_EQ(h.only_sent<wire::standby_offer>(standby_child).size(), 1u);
  h.closed(parent);
  h.clear();
  h.receive(standby_child, wire::join_request{0});
  EXPECT_EQ(h.only_sent<wire::join_redirect>(standby_child).size(), 1u);
  EXPECT_EQ(h.closed_reason(standby_child), std::error_code(node_errc::join_refused));
  h.clear();
  EXPECT_NO_THROW(h.advance(2 * relay_config().backup_interval));
  EXPECT_TRUE(h.only_sent<wire::join_redirect>(standby_child).empty());
}

TEST(warm_standby, a_held_standby_that_fills_up_is_kept) {
  // Its holder keeps us in its headroom (or sends us on): an offer without
  // free slots is no reason to leave it, and the parent failing still
  // switches to it with one message.
  attached_with_standby t;
  t.h.receive(t.standby, wire::standby_offer{1, {id_of(1), id_of(6)}, 0});
  EXPECT_FALSE(t.h.closed_reason(t.standby));
  t.h.clear();
  t.h.closed(t.parent);
  EXPECT_EQ(t.h.only_sent<wire::join_request>(t.standby).size(), 1u);
}

TEST(standby_holder, names_only_peers_with_a_free_slot) {
  // The broadcaster, full: child 3 (full itself) reports peer 8, a leaf
  // without a free slot (one nobody can reach takes no children), and peer
  // 9 with one. A standby child could switch only to 9.
  harness h(root_config(1));
  h.start();
  const link_id_t three = h.join_child(3, 7003);
  h.receive(three, wire::report{3,
                                1,
                                {{id_of(8), {"10.0.0.8", 7008}, 2, 0, "", {}},
                                 {id_of(9), {"10.0.0.9", 7009}, 2, 1, "", {}}},
                                0});
  const link_id_t peer = h.accept();
  h.receive(peer, hello_from(10, 9010));
  h.clear();
  h.receive(peer, wire::standby_request{{id_of(100), id_of(5), id_of(10)}});
  const auto redirects = h.only_sent<wire::join_redirect>(peer);
  ASSERT_EQ(redirects.size(), 1u);
  ASSERT_EQ(redirects[0].candidates.size(), 1u);
  EXPECT_EQ(redirects[0].candidates[0].port, 7009);
}

TEST(standby_holder, a_request_without_the_askers_path_is_a_protocol_error) {
  harness h(root_config());
  h.start();
  const link_id_t peer = h.accept();
  h.receive(peer, hello_from(9, 9009));
  h.receive(peer, wire::standby_request{{id_of(9)}});
  EXPECT_EQ(h.closed_reason(peer), std::error_code(node_errc::unexpected_message));
}

TEST(standby_holder, redirects_only_to_peers_outside_the_askers_branch) {
  // The broadcaster, full: children 2 and 3, each with a peer with room
  // below it. The asker hangs below child 2, so nothing of 2's subtree
  // would survive 2's failure: only 3's branch is named.
  harness h(root_config(2));
  h.start();
  const link_id_t two = h.join_child(2, 7002);
  const link_id_t three = h.join_child(3, 7003);
  // Reports: subtree size, depth, candidates, free slots.
  h.receive(two, wire::report{2, 1, {{id_of(7), {"10.0.0.7", 7007}, 2, 2, "", {}}}, 0});
  h.receive(three, wire::report{2, 1, {{id_of(8), {"10.0.0.8", 7008}, 2, 2, "", {}}}, 1});
  const link_id_t peer = h.accept();
  h.receive(peer, hello_from(9, 9009));
  h.clear();
  h.receive(peer, wire::standby_request{{id_of(100), id_of(2), id_of(9)}});
  const auto redirects = h.only_sent<wire::join_redirect>(peer);
  ASSERT_EQ(redirects.size(), 1u);
  std::vector<std::uint16_t> ports;
  for (const auto& e : redirects[0].candidates) {
    ports.push_back(e.port);
  }
  std::sort(ports.begin(), ports.end());
  EXPECT_EQ(ports, (std::vector<std::uint16_t>{7003, 7008}));
}

}  // namespace
}  // namespace treecast::core
