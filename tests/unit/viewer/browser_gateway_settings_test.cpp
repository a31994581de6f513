// The browser gateway's token and flags: what a page address carries and
// which --serve-browsers values are refused.
#include <gtest/gtest.h>

#include <stdexcept>

#include "browser_gateway_program.hpp"
#include "browser_token.hpp"

namespace treecast::viewer {
namespace {

const std::string key_a(32, 'a');
const std::string key_b(32, 'b');

// A viewer link to a loopback rendezvous; the key is 32 bytes of 0x11.
const std::string viewer_link = "treecast://127.0.0.1:7000/?stream=" + std::string(64, '0') +
                                "&token=01&key=" + std::string(64, '1');

TEST(browser_token, is_32_hex_digits_fixed_per_key_and_different_across_keys) {
  const std::string token = browser_token(key_a);
  EXPECT_EQ(token.size(), 32u);
  EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(browser_token(key_a), token);
  EXPECT_NE(browser_token(key_b), token);
  // It is not the key, nor a piece of it.
  EXPECT_EQ(token.find("6161"), std::string::npos);
}

TEST(browser_token, matches_only_the_whole_token_of_the_same_key) {
  const std::string token = browser_token(key_a);
  EXPECT_TRUE(browser_token_matches(key_a, token));
  EXPECT_FALSE(browser_token_matches(key_b, token));
  EXPECT_FALSE(browser_token_matches(key_a, token.substr(0, 31)));
  EXPECT_FALSE(browser_token_matches(key_a, token + "0"));
  EXPECT_FALSE(browser_token_matches(key_a, ""));
}

TEST(browser_gateway_settings, none_without_the_flag_and_the_served_address_with_it) {
  EXPECT_FALSE(browser_gateway_settings_of({}, viewer_link));
  const auto s =
      browser_gateway_settings_of({.serve = "127.0.0.1:0", .max_browsers = 7}, viewer_link);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->host, "127.0.0.1");
  EXPECT_EQ(s->port, 0);
  EXPECT_EQ(s->max_browsers, 7u);
  EXPECT_EQ(s->content_key, std::string(32, '\x11'));
  EXPECT_EQ(s->page_host, "");
}

TEST(browser_gateway_settings, a_wildcard_address_names_the_page_by_the_route_to_the_tree) {
  const auto s = browser_gateway_settings_of({.serve = "0.0.0.0:8443"}, viewer_link);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->host, "0.0.0.0");
  EXPECT_EQ(s->page_host, "127.0.0.1");  // the rendezvous is on loopback
}

TEST(browser_gateway_settings, bad_values_are_refused_with_the_reason) {
  EXPECT_THROW(browser_gateway_settings_of({.serve = "nowhere"}, viewer_link),
               std::invalid_argument);
  EXPECT_THROW(browser_gateway_settings_of({.serve = "127.0.0.1:99999"}, viewer_link),
               std::invalid_argument);
  EXPECT_THROW(
      browser_gateway_settings_of({.serve = "127.0.0.1:0", .max_browsers = 0}, viewer_link),
      std::invalid_argument);
  // A relay link opens nothing: no gateway can serve it.
  const std::string relay_link =
      "treecast://127.0.0.1:7000/?stream=" + std::string(64, '0') + "&token=01";
  EXPECT_THROW(browser_gateway_settings_of({.serve = "127.0.0.1:0"}, relay_link),
               std::invalid_argument);
}

}  // namespace
}  // namespace treecast::viewer
