// The TS chunker: keyframes start chunks, duration and size cut them.
#include <gtest/gtest.h>

#include <optional>
#include <string>
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

TEST(ts_chunker, a_chunk_is_dated_by_its_oldest_content_and_spans_from_it) {
  // The muxer writes sound as it comes (ts_mux_on_arrival.hpp): a video frame
  // captured at 40 ms follows sound of 60 ms.
  fixture f({.target_duration = 33ms});
  f.pes(60, 1);
  f.pes(40, 3);
  f.pes(70, 1);  // 30 ms after the oldest content: same chunk
  f.pes(80, 1);  // 40 ms: cut
  f.chunker.flush();
  ASSERT_EQ(f.out.size(), 2u);
  EXPECT_EQ(f.out[0].capture_time_us, 40'000u);
  EXPECT_EQ(f.out[0].bytes.size(), 5u * 188);
  EXPECT_EQ(f.out[1].capture_time_us, 80'000u);
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

// Whole muxer writes, as the broadcast pipeline gives them: frames of the
// full (0x41) and low (0x43) video, sound (0x42), each told what it is.
struct writes {
  std::vector<media_chunk> out;
  ts_chunker chunker;
  explicit writes(std::chrono::microseconds target)
      : chunker({.target_duration = target},
                [this](media_chunk&& c) { out.push_back(std::move(c)); }) {}

  void push(const std::string& ts, int ms, std::optional<std::uint16_t> frame_of,
            bool keyframe = false) {
    chunker.push({reinterpret_cast<const std::uint8_t*>(ts.data()), ts.size()}, keyframe,
                 static_cast<std::uint64_t>(ms) * 1000, frame_of);
  }
  void frame(std::uint16_t pid, int ms, bool keyframe = false) {
    push(test_ts::packet(pid, true, "frame"), ms, pid, keyframe);
  }
  void sound(int ms) { push(test_ts::audio(), ms, std::nullopt); }
};

constexpr std::uint16_t full = 0x41;
constexpr std::uint16_t low = 0x43;

TEST(ts_chunker, a_chunk_per_frame_leaves_as_soon_as_both_videos_wrote_the_frame) {
  writes w(33ms);
  w.frame(full, 0);
  w.frame(low, 0);
  w.frame(full, 33);
  w.sound(50);  // newer sound, written as it came
  EXPECT_TRUE(w.out.empty()) << "the low video's frame of 33 ms is still to come";
  w.frame(low, 33);
  ASSERT_EQ(w.out.size(), 1u) << "cut right after the frame, not at the next write";
  w.sound(60);
  w.frame(low, 66);  // the low video first this time
  w.frame(full, 66);
  ASSERT_EQ(w.out.size(), 2u);
  EXPECT_EQ(w.out[1].capture_time_us, 60'000u) << "dated by its oldest content, the sound";
  EXPECT_EQ(w.out[1].bytes.size(), 3u * 188);
}

TEST(ts_chunker, longer_chunks_hold_frames_until_they_span_the_target) {
  writes w(200ms);
  for (int ms = 0; ms <= 400; ms += 40) {  // 25 fps, one video
    w.frame(full, ms);
  }
  // 0..160: five frames of 40 ms span 200 ms.
  ASSERT_EQ(w.out.size(), 2u);
  EXPECT_EQ(w.out[0].bytes.size(), 5u * 188);
  EXPECT_EQ(w.out[1].capture_time_us, 200'000u);
}

TEST(ts_chunker, sound_since_the_last_frame_leads_the_keyframes_chunk) {
  writes w(33ms);
  w.push(test_ts::pat() + test_ts::pmt() + test_ts::packet(full, true, "key"), 0, full, true);
  w.frame(full, 33);
  const std::size_t cut = w.out.size();
  w.sound(50);
  w.sound(70);
  w.frame(full, 66, true);
  ASSERT_EQ(w.out.size(), cut + 1) << "no chunk of sound alone before the keyframe";
  const media_chunk& key = w.out.back();
  EXPECT_TRUE(key.keyframe);
  EXPECT_EQ(key.bytes.substr(0, 2 * 188), test_ts::pat() + test_ts::pmt());
  EXPECT_EQ(key.bytes.size(), 5u * 188) << "tables, the two sounds, the frame";
  EXPECT_EQ(key.capture_time_us, 50'000u);
}

}  // namespace
}  // namespace treecast::media
