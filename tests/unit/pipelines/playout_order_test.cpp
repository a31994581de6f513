// The viewer's playout decisions on synthetic MPEG-TS: where playback
// starts, what a gap does to video and audio, and how the tables are read.
#include "playout_order.hpp"

#include <gtest/gtest.h>

#include <string>

#include "ts_program_tables.hpp"
#include "ts_test_packets.hpp"
#include "ts_video_gate.hpp"

namespace treecast::media {
namespace {

using namespace test_ts;

TEST(ts_program_tables, reads_the_video_pid_and_keeps_the_tables) {
  ts_program_tables tables;
  EXPECT_EQ(tables.tables(), "");
  tables.observe(pat());
  tables.observe(pmt());
  EXPECT_EQ(tables.video_pid(), video_pid);
  EXPECT_EQ(tables.tables(), pat() + pmt());
}

TEST(ts_program_tables, ignores_packets_without_sync_and_truncated_sections) {
  ts_program_tables tables;
  std::string bad = pat();
  bad[0] = 0x00;
  tables.observe(bad);
  tables.observe(packet(0, true, std::string("\x00\x00\xb0", 3)));  // section cut short
  tables.observe(pmt());                                            // PMT PID unknown yet
  EXPECT_FALSE(tables.video_pid());
}

TEST(ts_video_gate, closed_gate_drops_video_and_keeps_audio_and_tables) {
  ts_video_gate gate;
  const std::string head = gate.filter(pat() + pmt());
  EXPECT_EQ(head.size(), 2 * 188u);
  gate.close();
  const std::string out = gate.filter(video() + audio() + video() + pat());
  EXPECT_EQ(count_pid(out, video_pid), 0);
  EXPECT_EQ(count_pid(out, audio_pid), 1);
  EXPECT_EQ(count_pid(out, 0), 1);
  gate.open();
  EXPECT_EQ(count_pid(gate.filter(video() + audio()), video_pid), 1);
}

TEST(ts_video_gate, closed_gate_keeps_the_program_clock) {
  ts_video_gate gate;
  gate.filter(pat() + pmt() + video_with_pcr(3));
  gate.close();
  const std::string out = gate.filter(video_with_pcr(4) + audio());
  ASSERT_EQ(out.size(), 2 * 188u);
  EXPECT_TRUE(is_clock_only(std::string_view(out).substr(0, 188), video_pid));
  EXPECT_EQ(out[3] & 0x0f, 3) << "the continuity counter of the last video passed";
}

TEST(ts_video_gate, drops_bytes_that_are_not_whole_packets) {
  ts_video_gate gate;
  EXPECT_EQ(gate.filter(audio() + "tail").size(), 188u);
}

TEST(playout_order, starts_at_a_keyframe_chunk) {
  playout_order order;
  EXPECT_TRUE(order.accept(10, false, pat() + pmt() + video()).bytes.empty());
  EXPECT_FALSE(order.started());
  const auto first = order.accept(11, true, pat() + pmt() + video());
  EXPECT_EQ(first.bytes.size(), 3 * 188u);
  EXPECT_TRUE(order.started());
}

TEST(playout_order, drops_late_and_duplicate_chunks) {
  playout_order order;
  order.accept(5, true, pat() + pmt() + video());
  order.accept(6, false, video());
  EXPECT_TRUE(order.accept(6, false, video()).late);
  EXPECT_TRUE(order.accept(4, false, video()).late);
  EXPECT_EQ(order.late_chunks(), 2u);
}

TEST(playout_order, gap_skips_video_to_the_next_keyframe_while_audio_plays) {
  playout_order order;
  order.accept(1, true, pat() + pmt() + video() + audio());
  const auto after_gap = order.accept(4, false, video() + audio());
  ASSERT_TRUE(after_gap.missing);
  EXPECT_EQ(*after_gap.missing, 2u);
  EXPECT_EQ(count_pid(after_gap.bytes, video_pid), 0);
  EXPECT_EQ(count_pid(after_gap.bytes, audio_pid), 1);
  EXPECT_TRUE(order.skipping_video());
  EXPECT_EQ(count_pid(order.accept(5, false, video() + audio()).bytes, video_pid), 0);
  const auto keyframe = order.accept(6, true, pat() + pmt() + video() + audio());
  EXPECT_FALSE(keyframe.missing);
  EXPECT_EQ(count_pid(keyframe.bytes, video_pid), 1);
  EXPECT_FALSE(order.skipping_video());
  EXPECT_EQ(order.discontinuities(), 1u);
}

}  // namespace
}  // namespace treecast::media
