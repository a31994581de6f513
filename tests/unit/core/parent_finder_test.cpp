// parent_finder: the join state machine's phases, redirects, backoff, giving
// up, and repair rounds that fall back to the rendezvous.
#include "core/parent_finder.hpp"

#include "core/errors.hpp"
#include "core_test_support.hpp"

namespace treecast::core {
namespace {

using testing::hello_from;
using testing::id_of;
using testing::recording_context;
using phase = parent_finder::phase;
using namespace std::chrono_literals;

node_config joiner_config(std::size_t max_children = node_config{}.max_children) {
  node_config c;
  c.rendezvous = wire::endpoint{"10.0.0.1", 7000};
  c.max_join_attempts = 2;
  c.max_children = max_children;
  return c;
}

// A viewer's slots: a weak joiner, which ranks candidates by round trip.
constexpr std::size_t weak_slots = 2;

wire::peer_summary candidate(std::uint8_t n, std::uint32_t free_slots) {
  wire::peer_summary p;
  p.node_id = id_of(n);
  p.address = {"10.0.0." + std::to_string(n), 7000};
  p.free_slots = free_slots;
  return p;
}

// Whether exactly one message went on `id` in `actions`, and it is an M.
template <class M>
bool sent_only(const std::vector<action>& actions, link_id_t id) {
  const auto sent = recording_context::sent_to(actions, id);
  return sent.size() == 1 && std::holds_alternative<M>(sent[0]);
}

struct finder_fixture {
  explicit finder_fixture(node_config config = joiner_config())
      : r(std::move(config)),
        finder(r.ctx, links, position, kids, window, coordinate, renditions) {}

  // The connects since the last call, each reported connected and
  // introduced by a Hello from peer `first_id` + i.
  std::vector<connect_action> connect_all(std::uint8_t first_id = 1) {
    const auto connects = recording_context::only<connect_action>(r.take());
    std::uint8_t n = first_id;
    for (const auto& c : connects) {
      connect(c, n++);
    }
    return connects;
  }

  // The connection `c` is up, introduced by a Hello from peer `n`.
  void connect(const connect_action& c, std::uint8_t n) {
    link& l = links.at(c.link);
    l.connected = true;
    std::string refusal;
    links.admit(l, hello_from(n, 7000), refusal);
    finder.on_connected(c.link, l);
  }

  // A join round whose one candidate, peer 2, is full and sends us on to
  // `named`: the connects to them, not yet up.
  std::vector<connect_action> sent_on_by_a_full_peer(std::vector<wire::endpoint> named) {
    finder.start();
    const auto query = connect_all();
    r.take();
    EXPECT_TRUE(finder.on_candidates(query[0].link, links.at(query[0].link),
                                     wire::candidates{{candidate(2, 0)}}));
    const auto probes = connect_all(2);
    last_ = r.take();
    pong(probes[0].link, 2, 1, 0);
    EXPECT_EQ(finder.current(), parent_finder::phase::requesting);
    r.take();
    EXPECT_TRUE(finder.on_redirect(probes[0].link, links.at(probes[0].link),
                                   wire::join_redirect{"full", std::move(named)}));
    return recording_context::only<connect_action>(r.take());
  }

  // Peer `n` (as connect_all introduced it) answers the ping on `id`.
  void pong(link_id_t id, std::uint8_t n, std::uint32_t depth, std::uint32_t free_slots) {
    const auto pings = testing::recording_context::sent_to(last_, id);
    wire::pong p;
    p.nonce = std::get<wire::ping>(pings.at(0)).nonce;
    p.attached = true;
    p.depth = depth;
    p.free_slots = free_slots;
    p.path = {id_of(1)};
    if (depth > 0) {
      p.path.resize(depth);
      p.path.push_back(id_of(n));
    }
    ASSERT_TRUE(finder.on_pong(id, links.at(id), std::move(p)));
    answer_uplink_timing(id);
  }

  // A Ping on `id` that carried padding (our uplink timed, sent on the
  // usual Pong) is answered at once. What was sent stays for the test.
  void answer_uplink_timing(link_id_t id) {
    const auto since_pong = r.take();
    for (const auto& a : since_pong) {
      r.ctx.act(a);
    }
    for (const auto& sent : testing::recording_context::sent_to(since_pong, id)) {
      const auto* timed = std::get_if<wire::ping>(&sent);
      if (timed && !timed->padding.empty()) {
        wire::pong answer;
        answer.nonce = timed->nonce;
        ASSERT_TRUE(finder.on_pong(id, links.at(id), std::move(answer)));
      }
    }
  }

  recording_context r;
  link_table links{r.ctx};
  tree_position position{id_of(100), false};
  chunk_window window{std::chrono::seconds(10), 1 << 20};
  rendition_subscriptions renditions{r.ctx, links};
  children kids{r.ctx, links, renditions};
  network_coordinate coordinate;
  parent_finder finder;
  std::vector<action> last_;
};

TEST(parent_finder, query_probe_request_in_order) {
  finder_fixture f;
  f.finder.start();
  EXPECT_EQ(f.finder.current(), phase::querying);
  const auto query = f.connect_all();
  ASSERT_EQ(query.size(), 1u);
  EXPECT_EQ(query[0].to, (wire::endpoint{"10.0.0.1", 7000}));
  f.r.take();
  ASSERT_TRUE(f.finder.on_candidates(query[0].link, f.links.at(query[0].link),
                                     wire::candidates{{candidate(2, 1), candidate(3, 0)}}));
  EXPECT_EQ(f.finder.current(), phase::probing);
  EXPECT_FALSE(f.links.contains(query[0].link));
  const auto probes = f.connect_all(2);
  ASSERT_EQ(probes.size(), 2u);
  f.last_ = f.r.take();
  f.pong(probes[0].link, 2, 1, 1);
  EXPECT_EQ(f.finder.current(), phase::probing);  // one still to answer
  f.pong(probes[1].link, 3, 1, 0);
  EXPECT_EQ(f.finder.current(), phase::requesting);
  const auto actions = f.r.take();
  // The one with a free slot is asked (after the Ping that timed our
  // uplink, sent when it answered first); the other probe is closed.
  const auto to_chosen = recording_context::sent_to(actions, probes[0].link);
  ASSERT_EQ(to_chosen.size(), 2u);
  EXPECT_FALSE(std::get<wire::ping>(to_chosen[0]).padding.empty());
  EXPECT_TRUE(std::holds_alternative<wire::join_request>(to_chosen[1]));
  EXPECT_EQ(f.links.at(probes[0].link).kind, link_kind::joining);
  EXPECT_FALSE(f.links.contains(probes[1].link));
  f.finder.on_attached(probes[0].link);
  EXPECT_EQ(f.finder.current(), phase::idle);
  EXPECT_FALSE(f.finder.deadline());
}

TEST(parent_finder, failed_rounds_back_off_then_give_up) {
  finder_fixture f;
  f.finder.start();
  f.finder.failed("test");
  EXPECT_EQ(f.finder.current(), phase::backing_off);
  EXPECT_EQ(f.finder.deadline(), f.r.ctx.now + f.r.ctx.config.reconnect_min);
  f.r.take();
  f.r.ctx.now = *f.finder.deadline();
  f.finder.on_timer();
  EXPECT_EQ(f.finder.current(), phase::querying);
  EXPECT_EQ(recording_context::only<connect_action>(f.r.take()).size(), 1u);
  f.finder.failed("again");  // the second of max_join_attempts = 2
  EXPECT_EQ(f.finder.current(), phase::given_up);
  EXPECT_EQ(recording_context::only<give_up_action>(f.r.take()).size(), 1u);
  EXPECT_FALSE(f.finder.deadline());
}

TEST(parent_finder, a_redirect_descends_and_too_many_fail_the_round) {
  finder_fixture f;
  f.finder.start_repair({{"10.0.0.2", 7000}});
  const auto probes = f.connect_all(2);
  f.last_ = f.r.take();
  f.pong(probes[0].link, 2, 1, 0);
  const link_id_t asked = probes[0].link;
  ASSERT_TRUE(f.finder.on_redirect(asked, f.links.at(asked),
                                   wire::join_redirect{"full", {{"10.0.0.3", 7000}}}));
  EXPECT_EQ(f.finder.current(), phase::probing);
  EXPECT_EQ(f.r.ctx.stats.get(counter::join_redirects), 1u);
  EXPECT_FALSE(f.links.contains(asked));
  // A repair round Pings the peers named (an orphan has a subtree: a Pong's
  // path tells it which are below it), unlike a newcomer's race below.
  const auto named = f.connect_all(3);
  ASSERT_EQ(named.size(), 1u);
  EXPECT_TRUE(sent_only<wire::ping>(f.r.take(), named[0].link));
}

TEST(parent_finder, the_round_stops_waiting_once_no_slower_probe_could_be_chosen) {
  // Peer 2 answers with room 90 ms after the probes went out (round trip
  // 30 ms, depth 1: it costs 35 ms). Peer 3 has not answered: its round
  // trip is over 30 ms, and once 3 x 35 ms have passed, over 35 ms, so it
  // cannot win. The round asks peer 2 then, not 2 x 30 ms after its answer.
  finder_fixture f(joiner_config(weak_slots));
  f.finder.start();
  const auto query = f.connect_all();
  f.r.take();
  const time_point opened = f.r.ctx.now;
  ASSERT_TRUE(f.finder.on_candidates(query[0].link, f.links.at(query[0].link),
                                     wire::candidates{{candidate(2, 1), candidate(3, 1)}}));
  f.r.ctx.now = opened + 60ms;  // both connected (two round trips), Pinged
  const auto probes = f.connect_all(2);
  f.last_ = f.r.take();
  f.r.ctx.now = opened + 90ms;
  f.pong(probes[0].link, 2, 1, 1);
  const time_point last_useful = opened + 3 * 35ms + 20ms;
  ASSERT_TRUE(f.finder.deadline());
  EXPECT_EQ(*f.finder.deadline(), last_useful);
  f.r.ctx.now = last_useful;
  f.finder.on_timer();
  EXPECT_EQ(f.finder.current(), phase::requesting);
  EXPECT_EQ(f.links.at(probes[0].link).kind, link_kind::joining);
  EXPECT_FALSE(f.links.contains(probes[1].link));
}

TEST(parent_finder, a_redirected_newcomer_asks_the_first_named_peer_to_connect) {
  finder_fixture f(joiner_config(weak_slots));
  const auto named = f.sent_on_by_a_full_peer({{"10.0.0.3", 7000}, {"10.0.0.4", 7000}});
  ASSERT_EQ(named.size(), 2u);
  // Peer 4 connects first: asked at once, with no Ping; peer 3's link stays
  // up to be the spare if it connects before peer 4 answers.
  f.r.ctx.now += 80ms;
  f.connect(named[1], 4);
  EXPECT_EQ(f.finder.current(), phase::requesting);
  const auto actions = f.r.take();
  const auto to_first = recording_context::sent_to(actions, named[1].link);
  ASSERT_EQ(to_first.size(), 1u);
  const auto* request = std::get_if<wire::join_request>(&to_first[0]);
  ASSERT_NE(request, nullptr);
  EXPECT_EQ(request->rtt_us, 40'000u);  // half the connection's two round trips
  EXPECT_TRUE(f.links.contains(named[0].link));
  EXPECT_TRUE(recording_context::sent_to(actions, named[0].link).empty());
}

TEST(parent_finder, a_racing_newcomer_turned_away_asks_the_second_peer_up) {
  finder_fixture f(joiner_config(weak_slots));
  const auto named =
      f.sent_on_by_a_full_peer({{"10.0.0.3", 7000}, {"10.0.0.4", 7000}, {"10.0.0.5", 7000}});
  ASSERT_EQ(named.size(), 3u);
  f.connect(named[0], 3);  // asked
  f.connect(named[2], 5);  // kept: the spare; peer 4's link closes
  EXPECT_FALSE(f.links.contains(named[1].link));
  f.r.take();
  EXPECT_FALSE(f.finder.take_spare());  // not Pinged: no standby
  // Peer 3 filled up since its report: the spare is asked at once.
  ASSERT_TRUE(f.finder.on_redirect(named[0].link, f.links.at(named[0].link),
                                   wire::join_redirect{"full", {}}));
  EXPECT_EQ(f.finder.current(), phase::requesting);
  EXPECT_TRUE(sent_only<wire::join_request>(f.r.take(), named[2].link));
}

TEST(parent_finder, a_failed_repair_round_asks_the_rendezvous_at_once) {
  finder_fixture f;
  f.finder.start();
  f.r.take();
  f.finder.start_repair({{"10.0.0.2", 7000}});
  EXPECT_EQ(f.finder.current(), phase::probing);
  f.r.take();
  f.r.ctx.now += f.r.ctx.config.probe_timeout;
  f.finder.on_timer();  // nobody answered
  EXPECT_EQ(f.finder.current(), phase::querying);
  const auto connects = recording_context::only<connect_action>(f.r.take());
  ASSERT_EQ(connects.size(), 1u);
  EXPECT_EQ(connects[0].to, (wire::endpoint{"10.0.0.1", 7000}));
  EXPECT_EQ(f.r.ctx.stats.get(counter::join_attempts), 2u);
}

TEST(parent_finder, an_answer_it_would_refuse_does_not_end_the_wait_for_the_others) {
  // Our parent (peer 5) is gone. Peer 2, below it, answers at once with
  // room; peer 3, elsewhere, 100 ms later. Waiting only a little longer
  // after peer 2's answer, the round used to refuse it and fail.
  finder_fixture f;
  f.finder.start();
  f.r.take();
  f.finder.avoid(id_of(5));
  f.finder.start_repair({{"10.0.0.2", 7000}, {"10.0.0.3", 7000}});
  const auto probes = f.connect_all(2);
  ASSERT_EQ(probes.size(), 2u);
  f.last_ = f.r.take();
  wire::pong below_lost;
  below_lost.nonce =
      std::get<wire::ping>(recording_context::sent_to(f.last_, probes[0].link).at(0)).nonce;
  below_lost.attached = true;
  below_lost.depth = 2;
  below_lost.free_slots = 1;
  below_lost.path = {id_of(1), id_of(5), id_of(2)};
  ASSERT_TRUE(f.finder.on_pong(probes[0].link, f.links.at(probes[0].link), std::move(below_lost)));
  f.answer_uplink_timing(probes[0].link);
  f.r.ctx.now += std::chrono::milliseconds(100);
  f.finder.on_timer();
  EXPECT_EQ(f.finder.current(), phase::probing);  // still waiting for peer 3
  f.pong(probes[1].link, 3, 1, 1);
  EXPECT_EQ(f.finder.current(), phase::requesting);
  EXPECT_TRUE(sent_only<wire::join_request>(f.r.take(), probes[1].link));
}

TEST(parent_finder, messages_on_the_wrong_link_are_refused) {
  finder_fixture f;
  const link_id_t inbound = f.links.accept({"10.0.0.9", 1});
  link& l = f.links.at(inbound);
  EXPECT_FALSE(f.finder.on_candidates(inbound, l, {}));
  EXPECT_FALSE(f.finder.on_pong(inbound, l, {}));
  EXPECT_FALSE(f.finder.on_redirect(inbound, l, {}));
}

TEST(parent_finder, a_repair_is_timed_until_the_stream_resumes) {
  finder_fixture f;
  f.finder.repair_started({"10.0.0.5", 7000});
  f.r.ctx.now += std::chrono::milliseconds(150);
  f.finder.stream_resumed();
  f.finder.stream_resumed();  // only the first chunk ends it
  ASSERT_EQ(f.finder.repair_times().size(), 1u);
  EXPECT_EQ(f.finder.repair_times()[0], std::chrono::milliseconds(150));
  const auto events = recording_context::only<event_action>(f.r.take());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<repair_started_event>(events[0].event));
  EXPECT_EQ(std::get<repair_finished_event>(events[1].event).took, std::chrono::milliseconds(150));
}

}  // namespace
}  // namespace treecast::core
