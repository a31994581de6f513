// downlink_probe: a joiner times its downlink with a padded Pong behind the
// usual one, and asks for a rendition its link carries.
#include "core/downlink_probe.hpp"

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

wire::pong padded(std::uint64_t nonce) {
  wire::pong p;
  p.nonce = nonce;
  p.padding.assign(wire::max_ping_padding, '\0');
  p.rendition_kbps = {2036, 755, 89};
  return p;
}

TEST(downlink_probe, times_the_padding_behind_the_usual_pong_once) {
  downlink_probe probe(true);
  const auto ping = probe.ping_for(7, 42, t0);
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->pad_bytes, wire::max_ping_padding);
  EXPECT_FALSE(probe.ping_for(8, 43, t0)) << "one probe, one round";
  EXPECT_TRUE(probe.waiting());
  probe.on_answer(7, wire::pong{}, t0 + 20ms);
  // 12 KiB in 655 ms: 150 kbit/s.
  EXPECT_FALSE(probe.on_pong(8, padded(42), t0 + 675ms)) << "another link";
  ASSERT_TRUE(probe.on_pong(7, padded(42), t0 + 675ms));
  EXPECT_FALSE(probe.waiting());
  const auto m = probe.take();
  ASSERT_TRUE(m);
  EXPECT_NEAR(m->kbps, 150, 1);
  EXPECT_EQ(m->rendition_kbps, (std::vector<std::uint32_t>{2036, 755, 89}));
  EXPECT_FALSE(probe.take()) << "the first join takes it";
  EXPECT_TRUE(probe.measured());
}

TEST(downlink_probe, another_probes_rates_serve_when_the_timed_one_has_none) {
  // The timed candidate just joined: no chunk with rates yet.
  downlink_probe probe(true);
  probe.ping_for(7, 42, t0);
  wire::pong elder;
  elder.rendition_kbps = {2036, 755, 89};
  probe.on_answer(8, elder, t0 + 10ms);
  probe.on_answer(7, wire::pong{}, t0 + 20ms);
  wire::pong fresh = padded(42);
  fresh.rendition_kbps.clear();
  ASSERT_TRUE(probe.on_pong(7, fresh, t0 + 675ms));
  EXPECT_EQ(probe.take()->rendition_kbps, elder.rendition_kbps);
}

TEST(downlink_probe, a_pong_without_the_padding_asked_is_no_measure) {
  // A peer of another build, or one that answers without it to look like
  // a link of 0 kbit/s (seen: every viewer timed by it started on sound
  // alone).
  downlink_probe probe(true);
  probe.ping_for(7, 42, t0);
  probe.on_answer(7, wire::pong{}, t0 + 20ms);
  wire::pong empty = padded(42);
  empty.padding.resize(100);
  EXPECT_TRUE(probe.on_pong(7, empty, t0 + 25ms));
  EXPECT_FALSE(probe.waiting());
  EXPECT_FALSE(probe.take());
}

TEST(downlink_probe, both_answers_in_one_read_are_a_wide_link_and_a_lost_probe_none) {
  downlink_probe wide(true);
  wide.ping_for(7, 42, t0);
  wide.on_answer(7, wire::pong{}, t0 + 30ms);
  ASSERT_TRUE(wide.on_pong(7, padded(42), t0 + 30ms));
  EXPECT_GE(wide.take()->kbps, 90'000);
  downlink_probe lost(true);
  lost.ping_for(7, 42, t0);
  lost.on_link_gone(7);
  EXPECT_FALSE(lost.waiting());
  EXPECT_FALSE(lost.on_pong(7, padded(42), t0 + 100ms));
  EXPECT_FALSE(lost.take());
  downlink_probe unwanted(false);
  EXPECT_FALSE(unwanted.ping_for(7, 42, t0));
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
  const auto pings = h.only_sent<wire::ping>(probe);
  EXPECT_EQ(pings.size(), 2u);
  EXPECT_EQ(pings.at(0).pad_bytes, 0u);
  EXPECT_EQ(pings.at(1).pad_bytes, wire::max_ping_padding);
  h.answer_probe(probe, 1, 7000, 0, 3, {id_of(1)});
  h.advance(after);
  EXPECT_TRUE(h.only_sent<wire::join_request>(probe).empty()) << "the round waits for the timing";
  h.receive(probe, padded(pings.at(1).nonce));
  return probe;
}

TEST(downlink_probe, a_narrow_viewer_joins_asking_for_what_its_link_carries) {
  harness h(timing_viewer());
  h.start();
  h.want_renditions(rendition_bit(rendition::low));
  const link_id_t probe = join_timed(h, 655ms);
  const auto joins = h.only_sent<wire::join_request>(probe);
  ASSERT_EQ(joins.size(), 1u);
  EXPECT_EQ(joins[0].renditions, rendition_bit(rendition::audio));
  ASSERT_TRUE(h.engine().downlink());
  EXPECT_NEAR(h.engine().downlink()->kbps, 150, 5);
}

TEST(downlink_probe, a_wide_viewer_joins_asking_as_its_player_said) {
  harness h(timing_viewer());
  h.start();
  h.want_renditions(rendition_bit(rendition::low));
  const link_id_t probe = join_timed(h, 1ms);
  EXPECT_EQ(h.only_sent<wire::join_request>(probe).at(0).renditions, rendition_bit(rendition::low));
}

TEST(downlink_probe, a_peer_pads_one_pong_per_link_and_says_the_renditions_rates) {
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
