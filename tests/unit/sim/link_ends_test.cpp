#include "link_ends.hpp"

#include <gtest/gtest.h>

namespace treecast::sim {
namespace {

TEST(link_ends, finds_sets_and_erases_links_added_in_any_order) {
  link_ends links;
  links.set(4, {40, 0});
  links.set(9, {90, 0});
  links.set(2, {20, 0});  // older than the newest: inserted in place
  ASSERT_NE(links.find(2), nullptr);
  EXPECT_EQ(links.find(2)->peer, 20u);
  EXPECT_EQ(links.find(9)->peer, 90u);
  EXPECT_EQ(links.find(5), nullptr);
  links.find(4)->link = 77;  // the connection came up
  links.set(9, {91, 3});     // replaced
  EXPECT_EQ(links.find(4)->link, 77u);
  EXPECT_EQ(links.find(9)->peer, 91u);
  EXPECT_TRUE(links.erase(4));
  EXPECT_FALSE(links.erase(4));
  EXPECT_FALSE(links.contains(4));
  std::vector<std::uint64_t> ids;
  for (const auto& [id, remote] : links) {
    ids.push_back(id);
  }
  EXPECT_EQ(ids, (std::vector<std::uint64_t>{2, 9}));
  links.clear();
  EXPECT_EQ(links.find(2), nullptr);
}

}  // namespace
}  // namespace treecast::sim
