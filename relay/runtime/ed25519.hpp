// Ed25519 through OpenSSL: the broadcaster's stream key (generated on first
// run, saved, reused) and the chunk verifier every peer runs.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "wire/messages.hpp"

#include "core/chunk_sealer.hpp"
#include "core/chunk_verifier.hpp"

typedef struct evp_pkey_st EVP_PKEY;
typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace treecast::runtime {

class ed25519_key final : public core::chunk_signer {
 public:
  // Loads the private key at `path` (PEM), or creates one there (directory
  // 0700, file 0600) when there is none. Throws std::runtime_error with the
  // reason (unreadable, not an Ed25519 key, cannot write).
  static ed25519_key load_or_create(const std::string& path);

  static ed25519_key generate();

  // The 32 raw bytes of the public key: the stream id.
  std::string public_key() const;

  // The 64-byte signature of `message`. Thread-safe.
  std::string sign(std::string_view message) const override;

 private:
  explicit ed25519_key(EVP_PKEY* key);
  std::shared_ptr<EVP_PKEY> key_;
};

class ed25519_verifier final : public core::chunk_verifier {
 public:
  // `public_key`: 32 raw bytes. Throws std::invalid_argument otherwise.
  explicit ed25519_verifier(std::string_view public_key);

  // Safe from several threads: the initialised context is only read.
  bool verify(std::string_view body, std::string_view signature) const override;

 private:
  std::shared_ptr<EVP_PKEY> key_;
  std::shared_ptr<EVP_MD_CTX> initialized_;  // EVP_DigestVerifyInit done, copied per chunk
};

// Lower-case hex and back; from_hex throws std::invalid_argument on bad input.
std::string to_hex(std::string_view bytes);
std::string from_hex(std::string_view hex);

// A peer id in hex, as /status and /api/tree show it.
inline std::string node_id_hex(const wire::node_id_t& id) {
  return to_hex({reinterpret_cast<const char*>(id.data()), id.size()});
}

}  // namespace treecast::runtime
