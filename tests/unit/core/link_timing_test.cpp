// link_timing: a joiner times its downlink with a padded Pong behind the
// usual one, and asks for a rendition its link carries; and its uplink with
// a Ping carrying padding, and offers the slots its uplink carries.
#include "core/link_timing.hpp"

#include <gtest/gtest.h>

#include "core_test_support.hpp"
#include "node_harness.hpp"
#include "wire/limits.hpp"

namespace treecast::core {
namespace {

using namespace std::chrono_literals;
using testing::harness;
using testing::hello_from;
using testing::id_of;
using testing::relay_config;
using wire::rendition;
using wire::rendition_bit;

const time_point t0{std::chrono::seconds(1000)};

// Nonces `first`, `first` + 1, ...
auto nonces_from(std::uint64_t first) {
  return [next = first]() mutable { return next++; };
}

constexpr std::uint32_t padding = link_timing::timing_padding;  // 95 kbit

wire::pong padded(std::uint64_t nonce) {
  wire::pong p;
  p.nonce = nonce;
  p.padding.assign(padding, '\0');
  p.rendition_kbps = {2036, 755, 89};
  return p;
}

TEST(link_timing, times_the_padding_after_the_usual_pong_once) {
  link_timing probe(true, false);
  // The usual Pong came at t0, a 20 ms round trip after its Ping.
  const auto pings = probe.on_answer(7, wire::pong{}, 20ms, nonces_from(42), t0);
  ASSERT_EQ(pings.size(), 1u);
  EXPECT_EQ(pings[0].pad_bytes, padding);
  EXPECT_TRUE(pings[0].padding.empty());
  EXPECT_TRUE(probe.on_answer(8, wire::pong{}, 20ms, nonces_from(43), t0).empty())
      << "one probe, one round";
  EXPECT_TRUE(probe.waiting());
  // A round trip, then the padding in 648 ms: 150 kbit/s.
  EXPECT_FALSE(probe.on_pong(8, padded(42), t0 + 668ms)) << "another link";
  ASSERT_TRUE(probe.on_pong(7, padded(42), t0 + 668ms));
  EXPECT_FALSE(probe.waiting());
  const auto m = probe.take();
  ASSERT_TRUE(m);
  EXPECT_NEAR(m->kbps, 150, 1);
  EXPECT_EQ(m->rendition_kbps, (std::vector<std::uint32_t>{2036, 755, 89}));
  EXPECT_FALSE(probe.take()) << "the first join takes it";
  EXPECT_TRUE(probe.measured());
}

TEST(link_timing, times_the_uplink_by_the_answer_to_a_ping_carrying_padding) {
  link_timing probe(true, true);
  const auto pings = probe.on_answer(7, wire::pong{}, 20ms, nonces_from(42), t0);
  ASSERT_EQ(pings.size(), 2u);
  EXPECT_EQ(pings[1].pad_bytes, 0u);
  EXPECT_EQ(pings[1].padding.size(), padding);
  // After the round trip, the downlink's padding in 20 ms (4.9 Mbit/s), the
  // uplink's in 97 ms (1 Mbit/s): the round waits for both.
  ASSERT_TRUE(probe.on_pong(7, padded(42), t0 + 40ms));
  EXPECT_TRUE(probe.waiting());
  EXPECT_FALSE(probe.uplink_kbps());
  wire::pong answer;
  answer.nonce = 43;
  ASSERT_TRUE(probe.on_pong(7, answer, t0 + 117ms));
  EXPECT_FALSE(probe.waiting());
  ASSERT_TRUE(probe.uplink_kbps());
  EXPECT_NEAR(*probe.uplink_kbps(), 1003, 5);
  EXPECT_FALSE(probe.uplink_hidden());
  EXPECT_NEAR(probe.take()->kbps, 4864, 5);
  // A downlink narrower than the uplink: its answer right behind the
  // padded Pong is a bound from below.
  link_timing narrow_down(true, true);
  narrow_down.on_answer(7, wire::pong{}, 20ms, nonces_from(42), t0);
  ASSERT_TRUE(narrow_down.on_pong(7, padded(42), t0 + 668ms));
  ASSERT_TRUE(narrow_down.on_pong(7, answer, t0 + 669ms));
  EXPECT_TRUE(narrow_down.uplink_hidden());
}

TEST(link_timing, another_probes_rates_serve_when_the_timed_one_has_none) {
  // The timed candidate just joined: no chunk with rates yet.
  link_timing probe(true, false);
  probe.on_answer(7, wire::pong{}, 20ms, nonces_from(42), t0);
  wire::pong elder;
  elder.rendition_kbps = {2036, 755, 89};
  EXPECT_TRUE(probe.on_answer(8, elder, 30ms, nonces_from(43), t0 + 10ms).empty());
  wire::pong fresh = padded(42);
  fresh.rendition_kbps.clear();
  ASSERT_TRUE(probe.on_pong(7, fresh, t0 + 668ms));
  EXPECT_EQ(probe.take()->rendition_kbps, elder.rendition_kbps);
}

TEST(link_timing, a_pong_without_the_padding_asked_is_no_measure) {
  // A peer of another build, or one that answers without it to look like
  // a link of 0 kbit/s (seen: every viewer timed by it started on sound
  // alone). Its answer to the Ping carrying padding is still the uplink's
  // (the hostile-insider tests' fake peer): taken as a second answer to the
  // probe, it closed the probe as a protocol error.
  link_timing probe(true, true);
  probe.on_answer(7, wire::pong{}, 20ms, nonces_from(42), t0);
  wire::pong empty = padded(42);
  empty.padding.resize(100);
  EXPECT_TRUE(probe.on_pong(7, empty, t0 + 21ms));
  EXPECT_TRUE(probe.waiting()) << "the uplink's answer is still due";
  wire::pong answer;
  answer.nonce = 43;
  EXPECT_TRUE(probe.on_pong(7, answer, t0 + 22ms));
  EXPECT_FALSE(probe.waiting());
  EXPECT_FALSE(probe.take());
  EXPECT_TRUE(probe.uplink_kbps());
}

TEST(link_timing, both_answers_in_one_read_are_a_wide_link_and_a_lost_probe_none) {
  // Back within the round trip (which varies by a few ms): wider than the
  // padding can tell.
  link_timing wide(true, false);
  wide.on_answer(7, wire::pong{}, 30ms, nonces_from(42), t0);
  ASSERT_TRUE(wide.on_pong(7, padded(42), t0 + 29ms));
  EXPECT_GE(wide.take()->kbps, 90'000);
  link_timing lost(true, true);
  lost.on_answer(7, wire::pong{}, 30ms, nonces_from(42), t0);
  lost.on_link_gone(7);
  EXPECT_FALSE(lost.waiting());
  EXPECT_FALSE(lost.on_pong(7, padded(42), t0 + 100ms));
  EXPECT_FALSE(lost.take());
  link_timing unwanted(false, false);
  EXPECT_TRUE(unwanted.on_answer(7, wire::pong{}, 30ms, nonces_from(42), t0).empty());
}

// A viewer whose player chooses: sound alone below 200 kbit/s, low else.
node_config timing_viewer() {
  node_config c = relay_config();
  c.role = wire::peer_role::viewer;
  c.rendition_for_downlink = [](double kbps, std::span<const std::uint32_t>) {
    return rendition_bit(kbps < 200 ? rendition::audio : rendition::low);
  };
  return c;
}

// Joins through the rendezvous; the probe's padded Pong comes `after` the
// usual one. Returns the probe link.
link_id_t join_timed(harness& h, duration after) {
  wire::peer_summary root;
  root.node_id = id_of(1);
  root.address = {"", 7000};
  root.free_slots = 3;
  const auto probes = h.answer_query({root});
  EXPECT_EQ(probes.size(), 1u);
  const link_id_t probe = probes.at(0).link;
  EXPECT_EQ(h.only_sent<wire::ping>(probe).size(), 1u) << "the usual one, alone at first";
  h.answer_probe(probe, 1, 7000, 0, 3, {id_of(1)});
  const auto pings = h.only_sent<wire::ping>(probe);
  EXPECT_EQ(pings.size(), 3u);  // the usual one, the downlink's, the uplink's
  EXPECT_EQ(pings.at(0).pad_bytes, 0u);
  EXPECT_EQ(pings.at(1).pad_bytes, padding);
  EXPECT_EQ(pings.at(2).padding.size(), padding);
  h.advance(after);
  EXPECT_TRUE(h.only_sent<wire::join_request>(probe).empty()) << "the round waits for the timing";
  h.receive(probe, padded(pings.at(1).nonce));
  return probe;
}

TEST(link_timing, a_narrow_viewer_joins_asking_for_what_its_link_carries) {
  harness h(timing_viewer());
  h.start();
  h.want_renditions(rendition_bit(rendition::low));
  const link_id_t probe = join_timed(h, 655ms);
  const auto joins = h.only_sent<wire::join_request>(probe);
  ASSERT_EQ(joins.size(), 1u);
  EXPECT_EQ(joins[0].renditions, rendition_bit(rendition::audio));
  ASSERT_TRUE(h.engine().downlink());
  EXPECT_NEAR(h.engine().downlink()->kbps, 150, 5);
  // Narrower than the full rendition (2036): the parent is told, to pace us.
  EXPECT_NEAR(joins[0].downlink_kbps, 150, 5);
}

TEST(link_timing, a_wide_viewer_joins_asking_as_its_player_said) {
  harness h(timing_viewer());
  h.start();
  h.want_renditions(rendition_bit(rendition::low));
  const link_id_t probe = join_timed(h, 1ms);
  EXPECT_EQ(h.only_sent<wire::join_request>(probe).at(0).renditions, rendition_bit(rendition::low));
  EXPECT_EQ(h.only_sent<wire::join_request>(probe).at(0).downlink_kbps, 0u) << "wide: no pacing";
}

// A relay (8 slots) joins the broadcaster of a 2 Mbit/s stream; the answer
// to its Ping carrying padding comes `uplink_time` after the usual Pong.
// Returns the slots it then offers.
std::size_t slots_after_uplink_timed(duration uplink_time) {
  harness h(relay_config());
  h.time_uplinks_by_hand = true;
  h.start();
  wire::peer_summary root;
  root.node_id = id_of(1);
  root.address = {"", 7000};
  root.free_slots = 3;
  const link_id_t probe = h.answer_query({root}).at(0).link;
  wire::pong usual{0, true, 0, 3, {id_of(1)}};
  usual.rendition_kbps = {2000, 700, 90};
  h.answer_as_root(probe, usual);  // at once: a round trip of 0
  const auto pings = h.only_sent<wire::ping>(probe);
  EXPECT_EQ(pings.size(), 2u);  // the usual one, the uplink's (a relay chooses no rendition)
  h.advance(uplink_time);
  EXPECT_TRUE(h.only_sent<wire::join_request>(probe).empty()) << "the round waits for the timing";
  wire::pong timed;
  timed.nonce = pings.at(1).nonce;
  h.receive(probe, timed);
  EXPECT_EQ(h.only_sent<wire::join_request>(probe).size(), 1u);
  h.receive(probe, wire::join_accept{1, {id_of(1)}, {}, {}});
  return h.engine().free_slots();
}

TEST(link_timing, a_peer_offers_the_slots_its_timed_uplink_carries) {
  // 95 kbit in 97 ms: 1 Mbit/s, not one child of a 2 Mbit/s stream.
  EXPECT_EQ(slots_after_uplink_timed(97ms), 0u);
  // In 19 ms: 5.1 Mbit/s, two children with the 25% headroom.
  EXPECT_EQ(slots_after_uplink_timed(19ms), 2u);
  // At once: wider than the padding can tell; the flag's 8.
  EXPECT_EQ(slots_after_uplink_timed(0ms), 8u);
}

TEST(link_timing, a_peer_pads_one_pong_per_link_and_says_the_renditions_rates) {
  harness h(relay_config());
  h.start();
  const link_id_t prober = h.accept();
  h.receive(prober, hello_from(9));
  h.clear();
  h.receive(prober, wire::ping{1, wire::max_ping_padding});
  h.receive(prober, wire::ping{2, wire::max_ping_padding});
  const auto pongs = h.only_sent<wire::pong>(prober);
  ASSERT_EQ(pongs.size(), 2u);
  EXPECT_EQ(pongs[0].padding.size(), wire::max_ping_padding);
  EXPECT_TRUE(pongs[1].padding.empty()) << "a peer pinging in a loop gets no more";
}

}  // namespace
}  // namespace treecast::core
