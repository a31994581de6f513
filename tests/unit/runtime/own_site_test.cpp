#include "runtime/own_site.hpp"

#include <gtest/gtest.h>

namespace treecast::runtime {
namespace {

TEST(own_site, a_given_label_wins_and_none_means_no_site) {
  EXPECT_EQ(own_site("london", "10.20.3.4"), "london");
  EXPECT_EQ(own_site("none", "10.20.3.4"), "");
}

TEST(own_site, without_a_label_the_address_tells_it) {
  EXPECT_EQ(own_site("", "10.20.3.4"), "net:10.20.3.0/24");
  EXPECT_EQ(own_site("", "127.0.0.1"), "");  // one machine: no office to tell
  EXPECT_EQ(own_site("", ""), "");
}

TEST(own_site, the_address_toward_loopback_is_loopback) {
  EXPECT_EQ(local_address_toward("127.0.0.1", 9), "127.0.0.1");
}

}  // namespace
}  // namespace treecast::runtime
