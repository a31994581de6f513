#include "churn_plan.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace treecast::lab {
namespace {

TEST(churn_plan, parses_and_sorts_by_time) {
  const auto events = parse_churn_plan("35:restart:relay1,20:kill:relay1,40:freeze:viewer12");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].at_s, 20);
  EXPECT_EQ(events[0].action, churn_action::kill);
  EXPECT_EQ(events[1].action, churn_action::restart);
  EXPECT_EQ(events[2].peer, "viewer12");
  EXPECT_EQ(events[2].action, churn_action::freeze);
  EXPECT_TRUE(parse_churn_plan("").empty());
  EXPECT_EQ(parse_churn_plan("15:leave:relay2").at(0).action, churn_action::leave);
}

TEST(churn_plan, names_what_is_wrong) {
  for (const char* bad :
       {"20:kill", "x:kill:relay1", "-1:kill:relay1", "20:explode:relay1", "20:kill:broadcaster",
        "20:kill:relay0", "20:kill:relay", "2s:kill:relay1"}) {
    EXPECT_THROW(parse_churn_plan(bad), std::invalid_argument) << bad;
  }
}

TEST(churn_plan, spreads_kills_over_the_middle_of_the_run) {
  const auto events = spread_kills(3, 100);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_DOUBLE_EQ(events[0].at_s, 30);
  EXPECT_DOUBLE_EQ(events[1].at_s, 50);
  EXPECT_DOUBLE_EQ(events[2].at_s, 70);
  EXPECT_EQ(events[2].peer, "relay3");
  EXPECT_DOUBLE_EQ(spread_kills(1, 60)[0].at_s, 30);
}

}  // namespace
}  // namespace treecast::lab
