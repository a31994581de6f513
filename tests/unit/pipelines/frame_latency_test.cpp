// Per-frame glass-to-glass: the histogram and the quantiles read from it.
#include "frame_latency.hpp"

#include <gtest/gtest.h>

namespace treecast::media {
namespace {

TEST(frame_latency, counts_every_frame_in_its_bucket_cumulatively) {
  frame_latency h;
  h.add(5);
  h.add(250);
  h.add(250);
  h.add(4000);
  h.add(60'000);  // past every bound: +Inf only
  const auto s = h.snapshot();
  ASSERT_EQ(s.cumulative.size(), frame_latency::bounds_ms().size() + 1);
  EXPECT_EQ(s.cumulative.front(), 1u);                   // le=10
  EXPECT_EQ(s.cumulative[24], 3u);                       // le=250
  EXPECT_EQ(s.cumulative[s.cumulative.size() - 2], 4u);  // le=10000
  EXPECT_EQ(s.cumulative.back(), 5u);
  EXPECT_EQ(s.sum_ms, 5u + 250 + 250 + 4000 + 60'000);
}

TEST(frame_latency, quantiles_are_within_a_bucket_of_the_frames_own) {
  frame_latency h;
  for (int i = 0; i < 90; ++i) {
    h.add(203);
  }
  for (int i = 0; i < 10; ++i) {
    h.add(604);
  }
  const auto s = h.snapshot();
  const double p50 = frame_latency_quantile({}, s.cumulative, 0.5);
  const double p99 = frame_latency_quantile({}, s.cumulative, 0.99);
  EXPECT_GT(p50, 200);
  EXPECT_LE(p50, 210);
  EXPECT_GT(p99, 600);
  EXPECT_LE(p99, 610);
}

TEST(frame_latency, a_window_counts_only_the_frames_between_two_snapshots) {
  frame_latency h;
  for (int i = 0; i < 1000; ++i) {
    h.add(900);  // before the window
  }
  const auto before = h.snapshot();
  EXPECT_EQ(frame_latency_quantile(before.cumulative, before.cumulative, 0.5), -1);
  for (int i = 0; i < 30; ++i) {
    h.add(301);
  }
  const auto after = h.snapshot();
  const double p99 = frame_latency_quantile(before.cumulative, after.cumulative, 0.99);
  EXPECT_GT(p99, 300);
  EXPECT_LE(p99, 310);
  // Snapshots that do not fit the buckets give no figure.
  EXPECT_EQ(frame_latency_quantile({}, {1, 2, 3}, 0.5), -1);
}

}  // namespace
}  // namespace treecast::media
