#include "browser_token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <stdexcept>

#include "runtime/ed25519.hpp"

namespace treecast::viewer {

namespace {

constexpr std::string_view label = "treecast browser page v1";
constexpr std::size_t token_bytes = 16;

}  // namespace

std::string browser_token(const std::string& content_key) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  if (!HMAC(EVP_sha256(), content_key.data(), static_cast<int>(content_key.size()),
            reinterpret_cast<const unsigned char*>(label.data()), label.size(), mac.data(),
            &length) ||
      length < token_bytes) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return runtime::to_hex(std::string(reinterpret_cast<const char*>(mac.data()), token_bytes));
}

bool browser_token_matches(const std::string& content_key, std::string_view token) {
  const std::string expected = browser_token(content_key);
  return token.size() == expected.size() &&
         CRYPTO_memcmp(token.data(), expected.data(), expected.size()) == 0;
}

}  // namespace treecast::viewer
