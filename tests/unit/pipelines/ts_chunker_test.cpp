// The TS chunker: keyframes start chunks, duration and size cut them.
#include <gtest/gtest.h>

#include <vector>

#include "ts_chunker.hpp"
#include "ts_test_packets.hpp"

namespace treecast::media {
namespace {

using namespace std::chrono_literals;

struct fixture {
  std::vector<media_chunk> out;
  ts_chunker chunker;
  explicit fixture(ts_chunker::config cfg = {})
      : chunker(cfg, [this](media_chunk&& c) { out.push_back(std::move(c)); }) {}

  // One PES of `packets` TS packets captured at `ms`.
  void pes(int ms, int packets = 3, bool keyframe = false) {
    std::vector<std::uint8_t> packet(188, 0x47);
    for (int i = 0; i < packets; ++i) {
      chunker.push(packet, keyframe && i == 0, static_cast<std::uint64_t>(ms) * 1000);
    }
  }
};

TEST(ts_chunker, keyframe_starts_a_new_flagged_chunk) {
  fixture f;
  f.pes(0, 3, true);
  f.pes(33);
  f.pes(66, 3, true);  // well before 200 ms
  f.chunker.flush();
  ASSERT_EQ(f.out.size(), 2u);
  EXPECT_TRUE(f.out[0].keyframe);
  EXPECT_EQ(f.out[0].bytes.size(), 6u * 188);
  EXPECT_TRUE(f.out[1].keyframe);
  EXPECT_EQ(f.out[1].capture_time_us, 66'000u);
  EXPECT_EQ(f.out[0].seq, 0u);
  EXPECT_EQ(f.out[1].seq, 1u);
}

TEST(ts_chunker, the_low_videos_keyframe_of_the_same_frame_starts_no_chunk) {
  // The full and the low video key at the same frame (ts_renditions.hpp):
  // both keyframes open one chunk, so every rendition of it starts keyed.
  fixture f;
  f.pes(0, 3, true);
  f.chunker.push(std::vector<std::uint8_t>(188, 0x47), true, 1);  // 1 us later, same frame
  f.pes(33, 3, true);
  f.chunker.flush();
  ASSERT_EQ(f.out.size(), 2u);
  EXPECT_EQ(f.out[0].bytes.size(), 4u * 188);
  EXPECT_EQ(f.out[1].capture_time_us, 33'000u);
}

TEST(ts_chunker, cuts_at_the_target_duration_on_a_pes_boundary) {
  fixture f;
  for (int ms = 0; ms < 1000; ms += 33) {
    f.pes(ms, 2, ms == 0);
  }
  // 0..198 ms is 7 PES (0, 33, ..., 198); the cut comes at the first PES at
  // or past 200 ms after the chunk's start.
  ASSERT_GE(f.out.size(), 4u);
  for (const auto& c : f.out) {
    EXPECT_EQ(c.bytes.size() % 188, 0u);
    EXPECT_EQ(c.bytes.size(), 7u * 2 * 188);
  }
  EXPECT_TRUE(f.out[0].keyframe);
  EXPECT_FALSE(f.out[1].keyframe);
  EXPECT_EQ(f.out[1].capture_time_us, 231'000u);
}

TEST(ts_chunker, never_cuts_inside_a_pes_for_duration) {
  fixture f;
  f.pes(0, 2, true);
  f.pes(500, 50);  // one long PES, far past the target: cut before it only
  EXPECT_EQ(f.out.size(), 1u);
  f.chunker.flush();
  ASSERT_EQ(f.out.size(), 2u);
  EXPECT_EQ(f.out[1].bytes.size(), 50u * 188);
}

TEST(ts_chunker, cuts_at_the_byte_bound) {
  ts_chunker::config cfg;
  cfg.max_bytes = 188 * 10;
  fixture f(cfg);
  f.pes(0, 25, true);
  EXPECT_EQ(f.out.size(), 2u);
  EXPECT_EQ(f.out[0].bytes.size(), 10u * 188);
  f.chunker.flush();
  EXPECT_EQ(f.out.back().bytes.size(), 5u * 188);
}

TEST(ts_chunker, flush_without_data_emits_nothing) {
  fixture f;
  f.chunker.flush();
  EXPECT_TRUE(f.out.empty());
}

TEST(ts_chunker, keyframe_chunk_starts_with_the_latest_tables) {
  using namespace test_ts;
  std::vector<media_chunk> out;
  ts_chunker chunker({}, [&](media_chunk&& c) { out.push_back(std::move(c)); });
  const auto push = [&](const std::string& ts, bool keyframe, int ms) {
    chunker.push({reinterpret_cast<const std::uint8_t*>(ts.data()), ts.size()}, keyframe,
                 static_cast<std::uint64_t>(ms) * 1000);
  };
  push(pat() + pmt() + video(), true, 0);  // the stream's start: tables first already
  push(video(), false, 33);
  push(video() + audio(), true, 66);  // the muxer wrote no tables before this keyframe
  chunker.flush();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].bytes.substr(0, 2 * 188), pat() + pmt());
  EXPECT_EQ(out[0].bytes.size(), 4u * 188);  // nothing added
  EXPECT_EQ(out[1].bytes, pat() + pmt() + video() + audio());
}

}  // namespace
}  // namespace treecast::media
