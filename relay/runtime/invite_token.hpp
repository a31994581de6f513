// Invite tokens: what lets a peer into a tree. The broadcaster signs them
// with its stream key; every peer checks them on every inbound link.
//
// Layout (74 bytes, hex in the link's "token=" parameter):
//   version (1 = 0x01) | role (1: 1 relay, 2 viewer) | expiry (8, Unix
//   seconds, big-endian) | Ed25519 signature (64) over the first 10 bytes
//   followed by the stream id.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/admission_policy.hpp"
#include "runtime/ed25519.hpp"

namespace treecast::runtime {

enum class invite_role : std::uint8_t { relay = 1, viewer = 2 };

std::string make_invite_token(const ed25519_key& stream_key, invite_role role,
                              std::uint64_t expires_unix_s);

class token_admission final : public core::admission_policy {
 public:
  // `stream_id`: the broadcaster's 32-byte public key. Throws
  // std::invalid_argument when it is not one.
  explicit token_admission(std::string stream_id);

  std::optional<std::string> check(std::string_view token, wire::peer_role role,
                                   std::optional<std::int64_t> unix_s) const override;

 private:
  std::string stream_id_;
  ed25519_verifier verifier_;
};

}  // namespace treecast::runtime
