// What a muxer write says of its own time: its PES start, the PCR's PID, and
// the wall time of its content (mpegtsmux stamps writes with its PCR
// stream's time, not their own).
#include <gtest/gtest.h>

#include <string>

#include "ts_pes.hpp"
#include "ts_test_packets.hpp"

namespace treecast::media {
namespace {

using namespace test_ts;

// Five bytes of a 33-bit timestamp with the marker bits, `prefix` in the top
// nibble (2: PTS alone, 3: PTS before a DTS, 1: the DTS).
std::string timestamp(std::uint8_t prefix, std::uint64_t t) {
  std::string s(5, '\0');
  s[0] = static_cast<char>((prefix << 4) | (((t >> 30) & 0x7) << 1) | 1);
  s[1] = static_cast<char>((t >> 22) & 0xff);
  s[2] = static_cast<char>((((t >> 15) & 0x7f) << 1) | 1);
  s[3] = static_cast<char>((t >> 7) & 0xff);
  s[4] = static_cast<char>(((t & 0x7f) << 1) | 1);
  return s;
}

// The first packet of a PES of `stream_id` on `pid` with `pts` (and `dts`).
std::string pes_packet(std::uint16_t pid, std::uint8_t stream_id, std::uint64_t pts,
                       std::optional<std::uint64_t> dts = std::nullopt) {
  std::string header("\x00\x00\x01", 3);
  header += static_cast<char>(stream_id);
  header += std::string("\x00\x00\x80", 3);
  header += static_cast<char>(dts ? 0xc0 : 0x80);
  header += static_cast<char>(dts ? 10 : 5);
  header += timestamp(dts ? 3 : 2, pts);
  if (dts) {
    header += timestamp(1, *dts);
  }
  return packet(pid, true, header);
}

// What the broadcast pipeline does with each write.
std::uint64_t capture_of(pes_wall_clock& clock, const std::string& write, std::uint64_t stamped) {
  return clock.capture_us(write, first_pes_start(write), stamped);
}

TEST(ts_pes, finds_the_first_pes_start_with_its_timestamps) {
  const std::string write = pat() + video() + pes_packet(audio_pid, 0xc0, 123456) +
                            pes_packet(video_pid, 0xe0, 9000, 6000);
  const auto first = first_pes_start(write);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->pid, audio_pid);
  EXPECT_FALSE(first->is_video());
  EXPECT_EQ(first->pts_90k, 123456u);
  EXPECT_EQ(first->dts_90k, 123456u) << "no DTS: the PTS";

  const auto frame = first_pes_start(pes_packet(video_pid, 0xe0, (1ull << 33) - 1, 6000));
  ASSERT_TRUE(frame);
  EXPECT_TRUE(frame->is_video());
  EXPECT_EQ(frame->pts_90k, (1ull << 33) - 1);
  EXPECT_EQ(frame->dts_90k, 6000u);

  EXPECT_FALSE(first_pes_start(pat() + video() + audio()));
}

TEST(ts_pes, the_pcr_pid_is_the_first_packet_carrying_a_clock) {
  EXPECT_EQ(first_pcr_pid(audio() + video_with_pcr()), video_pid);
  EXPECT_FALSE(first_pcr_pid(audio() + video()));
}

TEST(ts_pes, a_writes_time_is_its_own_pts_once_the_pcr_stream_showed_the_mapping) {
  pes_wall_clock clock;
  const std::string sound = pes_packet(audio_pid, 0xc0, 90'000 + 1'800);  // 20 ms after
  EXPECT_EQ(capture_of(clock, sound, 5'000'000), 5'000'000u) << "no mapping yet: the stamp";

  // A frame of the PCR stream at 1 s, stamped with its own time.
  EXPECT_EQ(capture_of(clock, video_with_pcr() + pes_packet(video_pid, 0xe0, 90'000), 7'000'000),
            7'000'000u);
  // Sound written after it carries the frame's stamp; its own time is 20 ms later.
  EXPECT_EQ(capture_of(clock, sound, 7'000'000), 7'020'000u);
  // Sound from before the frame (written in arrival order, after it).
  EXPECT_EQ(capture_of(clock, pes_packet(audio_pid, 0xc0, 90'000 - 900), 7'000'000), 6'990'000u);
  // A write that starts no PES keeps its stamp.
  EXPECT_EQ(capture_of(clock, audio(), 7'000'000), 7'000'000u);
}

TEST(ts_pes, the_mapping_follows_the_dts_and_survives_the_33_bit_wrap) {
  pes_wall_clock clock;
  const std::uint64_t wrap = 1ull << 33;
  // A frame whose DTS is 10 ms before its PTS (0, past the wrap): the stamp
  // is the DTS's time.
  capture_of(clock, video_with_pcr() + pes_packet(video_pid, 0xe0, 0, wrap - 900), 1'000'000);
  // Sound 20 ms after that DTS, past the wrap.
  EXPECT_EQ(capture_of(clock, pes_packet(audio_pid, 0xc0, 900), 1'000'000), 1'020'000u);
}

}  // namespace
}  // namespace treecast::media
