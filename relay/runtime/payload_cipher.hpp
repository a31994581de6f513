// End-to-end encryption of chunk payloads: AES-256-GCM under a content key
// that only viewer invite links carry. The broadcaster seals each payload
// with a fresh random nonce before signing; relays forward ciphertext they
// cannot read; viewers open it before playing.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/chunk_sealer.hpp"

namespace treecast::runtime {

class payload_cipher final : public core::payload_encryptor {
 public:
  static constexpr std::size_t key_bytes = 32;
  static constexpr std::size_t nonce_bytes = 12;

  // `key`: 32 bytes. Throws std::invalid_argument otherwise.
  explicit payload_cipher(std::string key);

  // A fresh random key.
  static std::string generate_key();

  // Loads the content key at `path`, or creates one there (0600). Throws
  // std::runtime_error with the reason.
  static std::string load_or_create_key(const std::string& path);

  // Ciphertext || tag of `plain`; `nonce` receives the fresh nonce used.
  std::string seal(std::string_view plain, std::string& nonce) const override;

  // The plaintext, or nullopt when the key is wrong or the bytes were altered.
  std::optional<std::string> open(std::string_view sealed, std::string_view nonce) const;

 private:
  std::string key_;
};

}  // namespace treecast::runtime
