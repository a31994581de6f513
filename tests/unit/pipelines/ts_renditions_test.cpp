// ts_rendition_splitter: each rendition a transport stream of its own, alike
// in PIDs and tables, the PMT rewritten with a right CRC.
#include "ts_renditions.hpp"

#include <gtest/gtest.h>

#include "ts_test_packets.hpp"

namespace treecast::media {
namespace {

using namespace test_ts;
using test_ts::audio_pid;
using test_ts::video_pid;

constexpr std::uint16_t low_pid = 0x43;

std::string low_video() {
  return packet(low_pid, false, "low");
}

// The section of the PMT packet in `ts` (the first one), CRC included.
std::string_view pmt_section(std::string_view ts) {
  for (std::size_t at = 0; at + 188 <= ts.size(); at += 188) {
    const std::string_view p = ts.substr(at, 188);
    if (ts_packet_pid(p) == pmt_pid) {
      const std::size_t length =
          ((static_cast<std::uint8_t>(p[6]) & 0x0f) << 8) | static_cast<std::uint8_t>(p[7]);
      return p.substr(5, 3 + length);
    }
  }
  return {};
}

// The PIDs the PMT section lists.
std::vector<std::uint16_t> listed(std::string_view section) {
  std::vector<std::uint16_t> out;
  const std::size_t info = ((static_cast<std::uint8_t>(section[10]) & 0x0f) << 8) |
                           static_cast<std::uint8_t>(section[11]);
  for (std::size_t i = 12 + info; i + 5 <= section.size() - 4;) {
    out.push_back(((static_cast<std::uint8_t>(section[i + 1]) & 0x1f) << 8) |
                  static_cast<std::uint8_t>(section[i + 2]));
    i += 5 + (((static_cast<std::uint8_t>(section[i + 3]) & 0x0f) << 8) |
              static_cast<std::uint8_t>(section[i + 4]));
  }
  return out;
}

TEST(ts_renditions, crc_is_the_mpeg_one) {
  // The check value of CRC-32/MPEG-2.
  EXPECT_EQ(mpeg_crc32("123456789"), 0x0376e6e7u);
}

TEST(ts_renditions, each_rendition_plays_on_its_own_under_the_same_pids) {
  ts_rendition_splitter splitter;
  const std::string pmt = pmt_with_low_video(mpeg_crc32);
  ASSERT_EQ(mpeg_crc32(pmt_section(pmt)), 0u);
  const rendition_streams r =
      splitter.split(pat() + pmt + video() + low_video() + audio() + video() + low_video());

  EXPECT_EQ(count_pid(r.full, video_pid), 2);
  EXPECT_EQ(count_pid(r.full, low_pid), 0);
  EXPECT_EQ(count_pid(r.full, audio_pid), 1);
  // The low video under the full video's PID, its payload unchanged.
  EXPECT_EQ(count_pid(r.low, video_pid), 2);
  EXPECT_EQ(count_pid(r.low, low_pid), 0);
  EXPECT_EQ(r.low.substr(2 * 188 + 4, 3), "low");
  EXPECT_EQ(count_pid(r.low, audio_pid), 1);
  EXPECT_EQ(count_pid(r.audio, video_pid) + count_pid(r.audio, low_pid), 0);
  EXPECT_EQ(count_pid(r.audio, audio_pid), 1);
  for (const std::string* ts : {&r.full, &r.low, &r.audio}) {
    EXPECT_EQ(count_pid(*ts, 0), 1);  // the PAT
    const std::string_view section = pmt_section(*ts);
    EXPECT_EQ(mpeg_crc32(section), 0u) << "the rewritten PMT's CRC is wrong";
    EXPECT_EQ(listed(section), (std::vector<std::uint16_t>{audio_pid, video_pid}));
  }
}

TEST(ts_renditions, every_rendition_carries_the_full_videos_clock) {
  std::string low = low_video();
  low[3] = 0x19;  // payload only, continuity counter 9
  ts_rendition_splitter splitter;
  const rendition_streams r = splitter.split(pat() + pmt() + low + video_with_pcr() + audio());
  EXPECT_EQ(r.full.substr(2 * 188, 188), video_with_pcr());
  for (const std::string* stream : {&r.low, &r.audio}) {
    // The clock alone, in the full video's place, under its PID.
    ASSERT_GE(stream->size(), 2 * 188u);
    EXPECT_TRUE(
        is_clock_only(std::string_view(*stream).substr(stream->size() - 2 * 188, 188), video_pid));
    EXPECT_EQ(stream->substr(stream->size() - 188), audio());
  }
  // No payload: the low video's continuity counter is not advanced.
  EXPECT_EQ(r.low[2 * 188 + 188 + 3] & 0x0f, 9);
}

TEST(ts_renditions, a_stream_without_low_video_has_no_low_rendition) {
  ts_rendition_splitter splitter;
  const rendition_streams r = splitter.split(pat() + pmt() + video() + audio());
  EXPECT_TRUE(r.low.empty());
  EXPECT_EQ(r.full, pat() + pmt() + video() + audio());  // untouched
  EXPECT_EQ(r.audio, pat() + pmt() + audio());
}

TEST(ts_renditions, a_pmt_it_cannot_read_is_left_as_it_is) {
  std::string torn = pmt_with_low_video(mpeg_crc32);
  torn[7] = static_cast<char>(0xff);  // a section longer than the packet
  EXPECT_EQ(pmt_without_stream(torn, low_pid), torn);
  EXPECT_EQ(pmt_without_stream(video(), low_pid), video());
}

}  // namespace
}  // namespace treecast::media
