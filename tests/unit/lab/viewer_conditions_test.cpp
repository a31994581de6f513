#include "viewer_conditions.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace treecast::lab {
namespace {

TEST(viewer_conditions, every_site_gets_its_share_and_the_sets_do_not_coincide) {
  // 30 viewers on 3 sites, a third unreachable, a third capped at 1 Mbit/s.
  const auto all = assign_viewer_conditions(30, 3, {0, 0, 1000}, {}, 1.0 / 3);
  ASSERT_EQ(all.size(), 30u);
  int unreachable[4] = {}, capped[4] = {}, both = 0;
  for (const auto& c : all) {
    EXPECT_EQ(c.site, (c.viewer - 1) % 3 + 1);
    unreachable[c.site] += c.unreachable ? 1 : 0;
    capped[c.site] += c.down_kbit == 1000 ? 1 : 0;
    both += c.unreachable && c.down_kbit > 0 ? 1 : 0;
    EXPECT_EQ(c.up_kbit, 0);
  }
  for (int site = 1; site <= 3; ++site) {
    EXPECT_EQ(unreachable[site], 3) << site;  // j = 1, 4, 7 of 0..9
    EXPECT_EQ(capped[site], 3) << site;       // j = 2, 5, 8
  }
  EXPECT_EQ(both, 0);
  EXPECT_FALSE(all[0].unreachable);  // viewer1: j = 0
  EXPECT_TRUE(all[3].unreachable);   // viewer4: site 1, j = 1
}

TEST(viewer_conditions, none_and_all) {
  for (const auto& c : assign_viewer_conditions(7, 2, {}, {300}, 0)) {
    EXPECT_FALSE(c.unreachable);
    EXPECT_EQ(c.down_kbit, 0);
    EXPECT_EQ(c.up_kbit, 300);
  }
  for (const auto& c : assign_viewer_conditions(7, 2, {}, {}, 1)) {
    EXPECT_TRUE(c.unreachable);
  }
}

TEST(viewer_conditions, kbit_lists_parse_or_name_the_bad_item) {
  EXPECT_EQ(parse_kbit_list("1000,0,150"), (std::vector<int>{1000, 0, 150}));
  EXPECT_TRUE(parse_kbit_list("").empty());
  for (const char* bad : {"x", "10,-1", "1000kbit", "1,,2", "1.5"}) {
    EXPECT_THROW(parse_kbit_list(bad), std::invalid_argument) << bad;
  }
}

}  // namespace
}  // namespace treecast::lab
