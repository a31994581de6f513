// What each rendition costs a link: measured from the chunks, nominal until
// a second is known.
#include <gtest/gtest.h>

#include "rendition_rates.hpp"

namespace treecast::media {
namespace {

using namespace std::chrono_literals;

// A chunk captured at `ms` with the given bytes in each rendition.
media_chunk chunk(int ms, std::size_t full, std::size_t low, std::size_t audio) {
  media_chunk c;
  c.capture_time_us = static_cast<std::uint64_t>(ms) * 1000;
  c.bytes.assign(full, 'f');
  c.low_bytes.assign(low, 'l');
  c.audio_bytes.assign(audio, 'a');
  return c;
}

TEST(rendition_rates, nominal_until_a_second_is_measured) {
  rendition_rates rates({2000, 700, 64});
  EXPECT_EQ(rates.current(), (rendition_rates::rates{2000, 700, 64}));
  for (int ms = 0; ms < 1000; ms += 100) {
    rates.add(chunk(ms, 30000, 10000, 1000));
  }
  EXPECT_EQ(rates.current(), (rendition_rates::rates{2000, 700, 64}));
}

TEST(rendition_rates, measures_each_renditions_bytes_over_capture_time) {
  rendition_rates rates({2000, 700, 64});
  // 100 ms chunks: 30000 bytes = 2400 kbit/s, 10000 = 800, 1000 = 80.
  for (int ms = 0; ms <= 2000; ms += 100) {
    rates.add(chunk(ms, 30000, 10000, 1000));
  }
  EXPECT_EQ(rates.current(), (rendition_rates::rates{2400, 800, 80}));
}

TEST(rendition_rates, forgets_what_is_older_than_its_window) {
  rendition_rates rates({2000, 700, 64}, 2s);
  for (int ms = 0; ms <= 3000; ms += 100) {
    rates.add(chunk(ms, 30000, 10000, 1000));
  }
  // Then the encoders halve their output: after a whole window, half.
  for (int ms = 3100; ms <= 5000; ms += 100) {
    rates.add(chunk(ms, 15000, 5000, 500));
  }
  EXPECT_EQ(rates.current(), (rendition_rates::rates{1200, 400, 40}));
}

TEST(rendition_rates, a_rendition_the_broadcast_lacks_stays_zero) {
  rendition_rates rates({2000, 0, 64});
  for (int ms = 0; ms <= 2000; ms += 100) {
    rates.add(chunk(ms, 30000, 0, 1000));
  }
  EXPECT_EQ(rates.current(), (rendition_rates::rates{2400, 0, 80}));
}

TEST(rendition_rates, a_keyframe_burst_counts_over_the_whole_window) {
  rendition_rates rates({2000, 700, 64});
  // One 40000-byte keyframe a second among 5000-byte chunks: the average,
  // not the burst.
  for (int ms = 0; ms <= 4000; ms += 100) {
    rates.add(chunk(ms, ms % 1000 == 0 ? 40000 : 5000, 1000, 100));
  }
  // Over the window's 4 s: 4 keyframes and 36 others.
  EXPECT_EQ(rates.current()[0], static_cast<std::uint32_t>((4 * 40000 + 36 * 5000) * 8 / 4000));
}

}  // namespace
}  // namespace treecast::media
