// End-to-end payload encryption: AES-256-GCM with a fresh nonce per chunk.
#include <gtest/gtest.h>

#include <filesystem>

#include "runtime/payload_cipher.hpp"

namespace treecast::runtime {
namespace {

TEST(payload_cipher, seals_and_opens_with_the_key_only) {
  const payload_cipher cipher(payload_cipher::generate_key());
  const std::string plain(188 * 20, '\x47');
  std::string nonce;
  const std::string sealed = cipher.seal(plain, nonce);
  EXPECT_EQ(nonce.size(), payload_cipher::nonce_bytes);
  EXPECT_EQ(sealed.size(), plain.size() + 16);
  EXPECT_EQ(sealed.find(std::string(32, '\x47')), std::string::npos);  // no plaintext inside
  EXPECT_EQ(cipher.open(sealed, nonce), plain);

  const payload_cipher other(payload_cipher::generate_key());
  EXPECT_FALSE(other.open(sealed, nonce));  // a relay's guess, or a wrong link
  std::string altered = sealed;
  altered[5] ^= 1;
  EXPECT_FALSE(cipher.open(altered, nonce));
  EXPECT_FALSE(cipher.open(sealed, std::string(12, '\0')));
  EXPECT_FALSE(cipher.open("short", nonce));
}

TEST(payload_cipher, every_chunk_gets_a_fresh_nonce) {
  const payload_cipher cipher(payload_cipher::generate_key());
  std::string a;
  std::string b;
  cipher.seal("same", a);
  cipher.seal("same", b);
  EXPECT_NE(a, b);
}

TEST(payload_cipher, content_key_is_kept_across_restarts) {
  const std::string path = ::testing::TempDir() + "treecast_content_key";
  std::filesystem::remove(path);
  const std::string first = payload_cipher::load_or_create_key(path);
  EXPECT_EQ(payload_cipher::load_or_create_key(path), first);
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::others_all,
            std::filesystem::perms::none);
  std::filesystem::remove(path);
  EXPECT_THROW(payload_cipher("short"), std::invalid_argument);
}

}  // namespace
}  // namespace treecast::runtime
