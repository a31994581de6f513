// The upstream-late notice, both sides: when a parent tells its children,
// and how long a child keeps a parent that told it.
#include "core/upstream_late.hpp"

#include <gtest/gtest.h>

namespace treecast::core {
namespace {

using namespace std::chrono_literals;

const time_point t0{std::chrono::seconds(1000)};

TEST(upstream_late_notice, goes_out_at_once_then_every_interval_while_late) {
  upstream_late_notice notice;
  EXPECT_FALSE(notice.due(false, t0));
  EXPECT_FALSE(notice.next());
  EXPECT_TRUE(notice.due(true, t0));
  EXPECT_EQ(notice.next(), t0 + 50ms);
  EXPECT_FALSE(notice.due(true, t0 + 49ms));
  EXPECT_TRUE(notice.due(true, t0 + 50ms));
  // Fed again: none, and the next episode's first goes out at once.
  EXPECT_FALSE(notice.due(false, t0 + 60ms));
  EXPECT_FALSE(notice.next());
  EXPECT_TRUE(notice.due(true, t0 + 70ms));
}

TEST(upstream_hold, a_notice_holds_for_its_time_to_live) {
  upstream_hold hold;
  EXPECT_FALSE(hold.holds(t0));
  hold.on_notice(t0);
  EXPECT_EQ(hold.until(t0), t0 + 120ms);
  EXPECT_TRUE(hold.holds(t0 + 119ms));
  EXPECT_FALSE(hold.holds(t0 + 120ms));
}

TEST(upstream_hold, an_episode_holds_at_most_max_hold_however_many_notices_come) {
  upstream_hold hold;
  for (auto at = 0ms; at <= 1000ms; at += 50ms) {
    hold.on_notice(t0 + at);
    EXPECT_EQ(hold.holds(t0 + at), at < 500ms) << at.count();
    EXPECT_EQ(hold.episode_since(t0 + at), t0) << at.count();  // one episode throughout
  }
}

TEST(upstream_hold, a_pause_longer_than_the_time_to_live_ends_the_episode) {
  upstream_hold hold;
  for (auto at = 0ms; at <= 450ms; at += 50ms) {
    hold.on_notice(t0 + at);
  }
  EXPECT_EQ(hold.until(t0 + 450ms), t0 + 500ms);
  EXPECT_EQ(hold.episode_since(t0 + 570ms), t0);
  EXPECT_FALSE(hold.episode_since(t0 + 571ms));
  hold.on_notice(t0 + 600ms);  // a new episode: held again
  EXPECT_EQ(hold.episode_since(t0 + 600ms), t0 + 600ms);
  EXPECT_EQ(hold.until(t0 + 600ms), t0 + 720ms);
}

TEST(upstream_hold, a_new_parent_starts_afresh) {
  upstream_hold hold;
  hold.on_notice(t0);
  hold.reset();
  EXPECT_FALSE(hold.holds(t0));
  EXPECT_FALSE(hold.episode_since(t0));
}

}  // namespace
}  // namespace treecast::core
