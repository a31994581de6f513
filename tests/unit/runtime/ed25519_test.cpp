// Ed25519 stream keys through OpenSSL, hex, and invite links.
#include <gtest/gtest.h>

#include <filesystem>

#include "runtime/address.hpp"
#include "runtime/ed25519.hpp"

namespace treecast::runtime {
namespace {

TEST(ed25519, signature_verifies_and_tampering_does_not) {
  const auto key = ed25519_key::generate();
  const ed25519_verifier verifier(key.public_key());
  const std::string body = "chunk body bytes";
  const std::string signature = key.sign(body);
  EXPECT_EQ(signature.size(), 64u);
  EXPECT_TRUE(verifier.verify(body, signature));
  EXPECT_FALSE(verifier.verify("chunk body bytez", signature));
  std::string flipped = signature;
  flipped[10] ^= 1;
  EXPECT_FALSE(verifier.verify(body, flipped));
  EXPECT_FALSE(verifier.verify(body, ""));
  const auto other = ed25519_key::generate();
  EXPECT_FALSE(verifier.verify(body, other.sign(body)));
}

TEST(ed25519, stream_key_is_created_once_then_reused) {
  const std::string dir = ::testing::TempDir() + "treecast_key_test";
  std::filesystem::remove_all(dir);
  const std::string path = dir + "/nested/broadcaster.key";
  const auto first = ed25519_key::load_or_create(path);
  ASSERT_TRUE(std::filesystem::exists(path));
  const auto perms = std::filesystem::status(path).permissions();
  EXPECT_EQ(perms & std::filesystem::perms::group_all, std::filesystem::perms::none);
  EXPECT_EQ(perms & std::filesystem::perms::others_all, std::filesystem::perms::none);
  const auto again = ed25519_key::load_or_create(path);
  EXPECT_EQ(first.public_key(), again.public_key());
  std::filesystem::remove_all(dir);
}

TEST(ed25519, a_file_that_is_not_a_key_is_refused) {
  const std::string path = ::testing::TempDir() + "treecast_not_a_key";
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("hello\n", f);
    std::fclose(f);
  }
  EXPECT_THROW(ed25519_key::load_or_create(path), std::runtime_error);
  std::filesystem::remove(path);
  EXPECT_THROW(ed25519_verifier("short"), std::invalid_argument);
}

TEST(ed25519, hex_round_trip_and_bad_hex) {
  EXPECT_EQ(to_hex(std::string("\x00\xff\x10", 3)), "00ff10");
  EXPECT_EQ(from_hex("00ff10"), std::string("\x00\xff\x10", 3));
  EXPECT_THROW(from_hex("abc"), std::invalid_argument);
  EXPECT_THROW(from_hex("zz"), std::invalid_argument);
}

TEST(invite_link, carries_the_address_and_the_stream) {
  const std::string link = format_link({"10.1.2.3", 7000}, "abcd", "0102");
  EXPECT_EQ(link, "treecast://10.1.2.3:7000/?stream=abcd&token=0102");
  EXPECT_EQ(link_parameter(link, "token"), "0102");
  EXPECT_EQ(parse_address(link), (wire::endpoint{"10.1.2.3", 7000}));
  EXPECT_EQ(link_parameter(link, "stream"), "abcd");
  EXPECT_EQ(link_parameter("treecast://h:1/?a=1&stream=ef&b=2", "stream"), "ef");
  EXPECT_FALSE(link_parameter("treecast://h:1", "stream"));
  EXPECT_EQ(parse_address("[::1]:7000"), (wire::endpoint{"::1", 7000}));
  EXPECT_FALSE(parse_address("host:0"));
  EXPECT_FALSE(parse_address("host:70000"));
  EXPECT_FALSE(parse_address("nohost"));
}

TEST(invite_link, a_title_survives_the_link_whatever_it_holds) {
  const std::string title = "Town hall: Q4 & plans ? 100% 'ok' é";
  const std::string encoded = percent_encode(title);
  // Only unreserved characters and escapes: nothing a link or a shell's
  // single quotes would read otherwise.
  EXPECT_EQ(encoded.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                      "0123456789-._~%"),
            std::string::npos)
      << encoded;
  EXPECT_EQ(percent_decode(encoded), title);
  const std::string link = format_link({"h", 1}, "ab", "01") + "&title=" + encoded + "&key=00";
  EXPECT_EQ(link_title(link, "treecast"), title);
  EXPECT_EQ(link_parameter(link, "key"), "00");
  EXPECT_EQ(link_title(format_link({"h", 1}, "ab", "01"), "treecast"), "treecast");
  EXPECT_EQ(percent_decode("100%"), "100%");  // a malformed escape is kept
  EXPECT_EQ(percent_decode("a%2"), "a%2");
}

}  // namespace
}  // namespace treecast::runtime

#include "runtime/invite_token.hpp"

namespace treecast::runtime {
namespace {

std::uint64_t unix_now() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

TEST(invite_token, admits_a_valid_token_and_says_why_it_refuses_others) {
  const auto key = ed25519_key::generate();
  const token_admission admission(key.public_key());
  const auto check = [&](std::string_view token) {
    return admission.check(token, wire::peer_role::viewer, static_cast<std::int64_t>(unix_now()));
  };
  EXPECT_FALSE(check(make_invite_token(key, invite_role::viewer, unix_now() + 60)));
  EXPECT_FALSE(check(make_invite_token(key, invite_role::relay, unix_now() + 60)));
  EXPECT_EQ(check(""), "no invite token");
  EXPECT_EQ(check(make_invite_token(key, invite_role::relay, unix_now() - 1)),
            "invite token expired");
  const auto other = ed25519_key::generate();
  EXPECT_EQ(check(make_invite_token(other, invite_role::relay, unix_now() + 60)),
            "invite token not signed by this stream's broadcaster");
  std::string tampered = make_invite_token(key, invite_role::relay, unix_now() + 60);
  tampered[9] ^= 1;  // push the expiry
  EXPECT_EQ(check(tampered), "invite token not signed by this stream's broadcaster");
  EXPECT_EQ(check("short"), "malformed invite token");
}

TEST(invite_token, a_viewer_invite_admits_only_a_viewer) {
  const auto key = ed25519_key::generate();
  const token_admission admission(key.public_key());
  const auto now = static_cast<std::int64_t>(unix_now());
  const std::string viewer = make_invite_token(key, invite_role::viewer, unix_now() + 60);
  const std::string relay = make_invite_token(key, invite_role::relay, unix_now() + 60);
  EXPECT_FALSE(admission.check(viewer, wire::peer_role::viewer, now));
  EXPECT_EQ(admission.check(viewer, wire::peer_role::relay, now),
            "a viewer invite does not admit a relay or broadcaster");
  EXPECT_EQ(admission.check(viewer, wire::peer_role::broadcaster, now),
            "a viewer invite does not admit a relay or broadcaster");
  EXPECT_FALSE(admission.check(relay, wire::peer_role::relay, now));
  EXPECT_FALSE(admission.check(relay, wire::peer_role::viewer, now));
}

}  // namespace
}  // namespace treecast::runtime
