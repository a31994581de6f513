#include "core/site_inference.hpp"

#include <gtest/gtest.h>

namespace treecast::core {
namespace {

using namespace std::chrono_literals;

TEST(site_inference, an_ipv4_address_tells_its_24) {
  EXPECT_EQ(site_inference::label_of_address("10.77.1.2"), "net:10.77.1.0/24");
  EXPECT_EQ(site_inference::label_of_address("10.77.1.250"), "net:10.77.1.0/24");
  EXPECT_EQ(site_inference::label_of_address("10.77.2.2"), "net:10.77.2.0/24");
  EXPECT_EQ(site_inference::label_of_address("::ffff:192.0.2.7"), "net:192.0.2.0/24");
}

TEST(site_inference, an_ipv6_address_tells_its_56) {
  EXPECT_EQ(site_inference::label_of_address("2001:db8:aa:bb12:1::5"), "net:2001:db8:aa:bb00::/56");
  EXPECT_EQ(site_inference::label_of_address("[2001:db8:aa:bbff::1]"), "net:2001:db8:aa:bb00::/56");
}

TEST(site_inference, addresses_that_tell_no_place_give_no_label) {
  for (const char* host : {"127.0.0.1", "127.5.5.5", "0.0.0.0", "169.254.3.4", "::1", "::",
                           "fe80::1", "localhost", "", "10.1.2", "10.1.2.3.4", "2001:db8::x"}) {
    EXPECT_EQ(site_inference::label_of_address(host), "") << host;
  }
}

TEST(site_inference, labels_of_one_kind_decide) {
  const site_inference sites(0ms);
  EXPECT_EQ(sites.match({"london", {}}, {"london", {}}), site_match::same);
  EXPECT_EQ(sites.match({"london", {}}, {"paris", {}}), site_match::other);
  EXPECT_EQ(sites.match({"net:10.1.1.0/24", {}}, {"net:10.1.1.0/24", {}}), site_match::same);
  EXPECT_EQ(sites.match({"net:10.1.1.0/24", {}}, {"net:10.1.2.0/24", {}}), site_match::other);
}

TEST(site_inference, a_given_label_and_an_inferred_one_say_nothing_of_each_other) {
  // A relay told --site london may well sit in 10.1.1.0/24: its label does
  // not say it is elsewhere; the round trip decides, as without labels.
  EXPECT_EQ(site_inference(0ms).match({"london", {}}, {"net:10.1.1.0/24", {}}),
            site_match::unknown);
  const site_inference by_rtt(15ms);
  EXPECT_EQ(by_rtt.match({"london", {}}, {"net:10.1.1.0/24", {}}, 2ms), site_match::same);
  EXPECT_EQ(by_rtt.match({"london", {}}, {"net:10.1.1.0/24", {}}, 40ms), site_match::other);
}

TEST(site_inference, without_labels_the_round_trip_decides_when_inference_is_on) {
  EXPECT_EQ(site_inference(0ms).match({"", {}}, {"", {}}, 1ms), site_match::unknown);
  EXPECT_EQ(site_inference(15ms).match({"", {}}, {"", {}}, 1ms), site_match::same);
  EXPECT_EQ(site_inference(15ms).match({"", {}}, {"", {}}, 30ms), site_match::other);
  EXPECT_EQ(site_inference(15ms).match({"", {}}, {"", {}}), site_match::unknown);
}

}  // namespace
}  // namespace treecast::core
