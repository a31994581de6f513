// rendition_subscriptions through a whole node: each child gets the parts
// of each chunk it asked for, a relay asks its parent for what its subtree
// wants, and the wire refuses chunks whose parts do not belong together.
#include <gtest/gtest.h>

#include "core/errors.hpp"
#include "core_test_support.hpp"
#include "node_harness.hpp"
#include "wire/codec.hpp"
#include "wire/errors.hpp"

namespace treecast::core {
namespace {

using namespace std::chrono_literals;

using testing::harness;
using testing::hello_from;
using testing::id_of;
using testing::only;
using testing::relay_config;
using testing::root_config;
using wire::rendition;
using wire::rendition_bit;

constexpr wire::rendition_set full = rendition_bit(rendition::full);
constexpr wire::rendition_set low = rendition_bit(rendition::low);
constexpr wire::rendition_set audio = rendition_bit(rendition::audio);

// Chunk `seq` in every rendition (a keyframe every fifth), as the broadcaster
// seals it.
wire::chunk chunk_in_all_renditions(wire::seq_t seq) {
  chunk_sealer sealer("", seq);
  const std::string f = "full-" + std::to_string(seq);
  const std::string l = "low-" + std::to_string(seq);
  const std::string a = "audio-" + std::to_string(seq);
  const chunk_sealer::rendition_payload parts[] = {
      {rendition::full, f}, {rendition::low, l}, {rendition::audio, a}};
  return sealer.seal(parts, seq * 200'000, seq % 5 == 0);
}

// Chunks 0 .. count - 1 from the source, each in all renditions.
void source_in_all_renditions(harness& h, wire::seq_t count) {
  for (wire::seq_t seq = 0; seq < count; ++seq) {
    h.source(chunk_in_all_renditions(seq));
  }
}

// The renditions each chunk sent to `link` carried, in order.
std::vector<wire::rendition_set> renditions_sent(const harness& h, link_id_t link) {
  std::vector<wire::rendition_set> out;
  for (const auto& c : only<wire::chunk>(h.sent_to(link))) {
    out.push_back(c.renditions());
  }
  return out;
}

link_id_t join_asking(harness& h, std::uint8_t n, wire::rendition_set set) {
  const link_id_t link = h.accept();
  h.receive(link, hello_from(n, 0));
  wire::join_request join;
  join.renditions = set;
  h.receive(link, join);
  return link;
}

TEST(rendition_subscriptions, each_child_gets_the_parts_it_asked_for) {
  harness h(root_config());
  h.start();
  const link_id_t everything = join_asking(h, 1, wire::all_renditions);
  const link_id_t weak = join_asking(h, 2, low);
  const link_id_t sound = join_asking(h, 3, audio);
  h.clear();
  h.source(chunk_in_all_renditions(0));
  EXPECT_EQ(renditions_sent(h, everything), (std::vector{full | low | audio}));
  EXPECT_EQ(renditions_sent(h, weak), (std::vector{low}));
  EXPECT_EQ(renditions_sent(h, sound), (std::vector{audio}));
  // The low child's part is the one signed: its body as the broadcaster made it.
  const auto got = only<wire::chunk>(h.sent_to(weak)).at(0);
  EXPECT_EQ(got.payload, "low-0");
  EXPECT_EQ(got.body, chunk_in_all_renditions(0).part(rendition::low)->body);
}

TEST(rendition_subscriptions, a_subscribe_changes_the_parts_from_the_next_chunk) {
  harness h(root_config());
  h.start();
  const link_id_t child = join_asking(h, 1, full);
  h.source(chunk_in_all_renditions(0));
  h.receive(child, wire::subscribe{low | audio});
  h.source(chunk_in_all_renditions(1));
  h.receive(child, wire::subscribe{wire::all_renditions});
  h.source(chunk_in_all_renditions(2));
  EXPECT_EQ(renditions_sent(h, child), (std::vector{full, low | audio, full | low | audio}));
}

TEST(rendition_subscriptions, children_asking_the_same_share_one_cut_frame) {
  harness h(root_config());
  h.start();
  const link_id_t a = join_asking(h, 1, low);
  const link_id_t b = join_asking(h, 2, low);
  h.clear();
  h.source(chunk_in_all_renditions(0));
  ASSERT_EQ(h.frames_to(a).size(), 1u);
  EXPECT_EQ(h.frames_to(a).at(0).get(), h.frames_to(b).at(0).get());
  EXPECT_EQ(h.engine().stats().get(counter::chunk_subsets_encoded), 1u);
}

TEST(rendition_subscriptions, a_chunk_without_the_parts_asked_for_goes_whole) {
  // We asked our parent for the low rendition a moment ago; until it comes,
  // a child that has started gets what there is rather than a gap.
  harness h(root_config());
  h.start();
  const link_id_t child = join_asking(h, 1, low);
  h.source(chunk_in_all_renditions(0));
  h.clear();
  h.source(testing::make_chunk(1));  // the full rendition alone
  EXPECT_EQ(renditions_sent(h, child), (std::vector{full}));
}

// A keyframe chunk of the full rendition alone, of a broadcast that has all
// three (its rates say so): what a relay holds before its parent heard that
// a child below wants another.
wire::chunk full_alone_of_three(wire::seq_t seq) {
  wire::chunk c = testing::make_chunk(seq);
  c.rendition_kbps = {2000, 700, 90};
  wire::seal_chunk(c);
  return c;
}

TEST(rendition_subscriptions, a_joiner_starts_at_the_first_chunk_that_carries_what_it_asked_for) {
  harness h(root_config());
  h.start();
  const link_id_t weak = join_asking(h, 1, low);
  h.clear();
  h.source(full_alone_of_three(0));
  h.source(testing::make_chunk(1));
  EXPECT_TRUE(renditions_sent(h, weak).empty()) << "a narrow joiner began on the full rendition";
  h.source(chunk_in_all_renditions(2));
  h.source(testing::make_chunk(3));
  EXPECT_EQ(renditions_sent(h, weak), (std::vector{low, full}));
}

TEST(rendition_subscriptions,
     a_joiner_of_a_broadcast_without_what_it_asked_for_starts_at_a_keyframe) {
  harness h(root_config());
  h.start();
  const link_id_t weak = join_asking(h, 1, low);
  h.clear();
  h.source(testing::make_chunk(4));  // not a keyframe: what the broadcast has is unknown
  h.source(testing::make_chunk(5));  // a keyframe without rates: one rendition
  h.source(testing::make_chunk(6));
  EXPECT_EQ(renditions_sent(h, weak), (std::vector{full, full}));
}

TEST(rendition_subscriptions, a_joiners_backlog_starts_at_the_newest_keyframe_it_can_play) {
  harness h(root_config());
  h.start();
  source_in_all_renditions(h, 5);    // keyframe 0
  h.source(full_alone_of_three(5));  // a newer keyframe, without the low rendition
  h.clear();
  const link_id_t weak = join_asking(h, 1, low);
  const auto sent = only<wire::chunk>(h.sent_to(weak));
  ASSERT_EQ(sent.size(), 6u);
  EXPECT_EQ(sent.front().seq, 0u);
  EXPECT_EQ(sent.front().renditions(), low);
  EXPECT_EQ(sent.back().renditions(), full);  // started: it goes whole, no seq skipped
}

TEST(rendition_subscriptions, a_joiner_wanting_sound_alone_starts_near_the_live_edge) {
  // Sound needs no keyframe: from one, up to a GOP back, the backlog took
  // seconds across a narrow downlink and the sound broke.
  harness h(root_config());
  h.start();
  source_in_all_renditions(h, 5);  // keyframe 0, 200 ms apart
  h.clear();
  const link_id_t narrow = join_asking(h, 1, audio);
  const auto sent = only<wire::chunk>(h.sent_to(narrow));
  // Captured within children::sound_backlog (300 ms) of the newest: 3, 4.
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent.front().seq, 3u);
  EXPECT_EQ(sent.front().renditions(), audio);
  const link_id_t picture = join_asking(h, 2, low);
  EXPECT_EQ(only<wire::chunk>(h.sent_to(picture)).front().seq, 0u);  // at the keyframe
}

TEST(rendition_subscriptions, chunks_that_waited_for_a_full_link_go_as_the_child_asks_now) {
  // Late binding: a child on a narrow link has its send window queued; the
  // next chunks wait in the engine. It steps down to sound alone: what
  // waited goes as sound alone, in order, none skipped.
  node_config c = root_config();
  c.initial_send_window = 1;  // one chunk in the driver at a time
  harness h(c);
  h.start();
  const link_id_t narrow = join_asking(h, 1, low);
  const link_id_t wide = join_asking(h, 2, low);
  h.stop_reading(narrow);
  source_in_all_renditions(h, 4);
  EXPECT_EQ(renditions_sent(h, narrow), (std::vector{low}));  // three wait
  EXPECT_EQ(renditions_sent(h, wide), (std::vector{low, low, low, low}));
  h.receive(narrow, wire::subscribe{audio});
  h.resume_reading(narrow);
  EXPECT_EQ(renditions_sent(h, narrow), (std::vector{low, audio, audio, audio}));
  std::vector<wire::seq_t> seqs;
  for (const auto& chunk : only<wire::chunk>(h.sent_to(narrow))) {
    seqs.push_back(chunk.seq);
  }
  EXPECT_EQ(seqs, (std::vector<wire::seq_t>{0, 1, 2, 3}));
}

// The seqs of the chunks sent to `link`, in order.
std::vector<wire::seq_t> seqs_sent(const harness& h, link_id_t link) {
  std::vector<wire::seq_t> seqs;
  for (const auto& chunk : only<wire::chunk>(h.sent_to(link))) {
    seqs.push_back(chunk.seq);
  }
  return seqs;
}

TEST(rendition_subscriptions, a_narrow_child_far_behind_skips_to_the_live_edge) {
  // Chunks every 200 ms; one at a time in the driver. A child on sound
  // alone stops reading for 4 s of the stream: once more than 2 s wait for
  // it, it skips to the newest (sound alone starts anywhere).
  node_config c = root_config();
  c.initial_send_window = 1;
  harness h(c);
  h.start();
  const link_id_t sound = join_asking(h, 1, audio);
  const link_id_t low_video = join_asking(h, 2, low);
  const link_id_t whole = join_asking(h, 3, full);
  h.stop_reading(sound);
  h.stop_reading(low_video);
  h.stop_reading(whole);
  source_in_all_renditions(h, 20);
  h.resume_reading(sound);
  h.resume_reading(low_video);
  h.resume_reading(whole);
  // Seq 0 was in the driver; at seq 12, 1..12 spanned 2.2 s: 1..11 skipped.
  EXPECT_EQ(seqs_sent(h, sound), (std::vector<wire::seq_t>{0, 12, 13, 14, 15, 16, 17, 18, 19}));
  // The low video starts at a keyframe (every fifth): at seq 12, to 10.
  EXPECT_EQ(seqs_sent(h, low_video),
            (std::vector<wire::seq_t>{0, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}));
  // One that asks for the full rendition may feed others: nothing skipped.
  EXPECT_EQ(seqs_sent(h, whole).size(), 20u);
  EXPECT_EQ(h.engine().stats().get(counter::chunks_skipped_behind), 11u + 9u);
}

TEST(rendition_subscriptions, a_relay_asks_its_parent_for_what_its_subtree_wants) {
  harness h(relay_config());
  h.start();
  const link_id_t parent = h.join_through_rendezvous();
  const auto joins = h.only_sent<wire::join_request>(parent);
  ASSERT_EQ(joins.size(), 1u);
  EXPECT_EQ(joins[0].renditions, full);  // nobody below: the full stream, for whoever joins
  h.receive(parent, wire::join_accept{0, {id_of(1)}});
  h.clear();
  const link_id_t weak = join_asking(h, 2, low);
  EXPECT_EQ(h.only_sent<wire::subscribe>(parent).size(), 1u);
  EXPECT_EQ(h.only_sent<wire::subscribe>(parent).at(0).renditions, low);
  h.clear();
  join_asking(h, 3, full);
  EXPECT_EQ(h.only_sent<wire::subscribe>(parent).at(0).renditions, low | full);
  h.clear();
  h.closed(weak);
  EXPECT_EQ(h.only_sent<wire::subscribe>(parent).at(0).renditions, full);
  h.clear();
  h.receive(parent, testing::make_chunk(0));  // nothing changed: nothing asked
  EXPECT_TRUE(h.only_sent<wire::subscribe>(parent).empty());
}

TEST(rendition_subscriptions, a_viewer_asks_for_what_it_plays) {
  node_config c = relay_config();
  c.role = wire::peer_role::viewer;
  harness h(c);
  h.start();
  const link_id_t parent = h.join_through_rendezvous();
  EXPECT_EQ(h.only_sent<wire::join_request>(parent).at(0).renditions, full);
  h.receive(parent, wire::join_accept{0, {id_of(1)}});
  h.clear();
  h.want_renditions(low | audio);
  EXPECT_EQ(h.only_sent<wire::subscribe>(parent).at(0).renditions, low | audio);
  EXPECT_EQ(h.engine().renditions_asked(), low | audio);
}

TEST(rendition_subscriptions, a_viewer_playing_below_full_takes_no_children) {
  node_config c = relay_config();
  c.role = wire::peer_role::viewer;
  c.max_children = 2;
  harness h(c);
  h.start();
  const link_id_t parent = h.join_through_rendezvous();
  h.receive(parent, wire::join_accept{0, {id_of(1)}});
  h.receive(parent, wire::reachability{true, {"10.0.0.9", 7001}});
  EXPECT_EQ(h.engine().free_slots(), 2u);
  h.want_renditions(low, false);  // starting low is no reason to refuse children
  EXPECT_EQ(h.engine().free_slots(), 2u);
  h.want_renditions(low | audio, true);  // its downlink does not carry the full one
  EXPECT_EQ(h.engine().free_slots(), 0u);
  h.clear();
  const link_id_t joiner = join_asking(h, 5, full);
  const auto redirects = h.only_sent<wire::join_redirect>(joiner);
  ASSERT_EQ(redirects.size(), 1u);
  EXPECT_NE(redirects[0].reason.find("downlink"), std::string::npos) << redirects[0].reason;
  h.want_renditions(full);
  EXPECT_EQ(h.engine().free_slots(), 2u);
}

TEST(rendition_subscriptions, a_subscribe_from_a_peer_that_is_no_child_is_refused) {
  harness h(root_config());
  h.start();
  const link_id_t stranger = h.accept();
  h.receive(stranger, hello_from(9, 0));
  h.receive(stranger, wire::subscribe{low});
  EXPECT_EQ(h.closed_reason(stranger), std::error_code(node_errc::unexpected_message));
}

// The wire: every part of a chunk is one seq of one stream, each rendition once.
wire::shared_bytes chunk_frame_with(const std::function<void(wire::chunk&)>& spoil) {
  wire::chunk c = chunk_in_all_renditions(3);
  spoil(c);
  for (auto& part : c.more) {
    part.body.clear();  // encoded afresh from the fields
  }
  c.body.clear();
  wire::seal_chunk(c);
  return c.frame;
}

TEST(rendition_subscriptions, the_wire_refuses_parts_that_do_not_belong_together) {
  wire::message m;
  EXPECT_FALSE(wire::decode_frame(chunk_frame_with([](wire::chunk&) {}), m));
  EXPECT_EQ(std::get<wire::chunk>(m).renditions(), full | low | audio);
  const auto twice = chunk_frame_with([](wire::chunk& c) { c.more[0].kind = rendition::full; });
  EXPECT_EQ(wire::decode_frame(twice, m), std::error_code(wire::wire_errc::malformed_chunk));
  const auto unknown = chunk_frame_with([](wire::chunk& c) { c.more[1].kind = rendition{7}; });
  EXPECT_EQ(wire::decode_frame(unknown, m), std::error_code(wire::wire_errc::field_out_of_range));
  // A part of seq 4, signed as such, put beside seq 3's.
  wire::chunk mixed = chunk_in_all_renditions(3);
  mixed.more[0] = chunk_in_all_renditions(4).more[0];
  wire::seal_chunk(mixed);
  EXPECT_EQ(wire::decode_frame(mixed.frame, m), std::error_code(wire::wire_errc::malformed_chunk));
}

}  // namespace
}  // namespace treecast::core
