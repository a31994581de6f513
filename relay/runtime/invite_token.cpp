#include "runtime/invite_token.hpp"

namespace treecast::runtime {
namespace {

constexpr std::uint8_t token_version = 1;
constexpr std::size_t signed_part = 10;  // version, role, expiry
constexpr std::size_t token_bytes = signed_part + 64;

}  // namespace

std::string make_invite_token(const ed25519_key& stream_key, invite_role role,
                              std::uint64_t expires_unix_s) {
  std::string token;
  token.push_back(static_cast<char>(token_version));
  token.push_back(static_cast<char>(role));
  for (int shift = 56; shift >= 0; shift -= 8) {
    token.push_back(static_cast<char>((expires_unix_s >> shift) & 0xff));
  }
  token += stream_key.sign(token + stream_key.public_key());
  return token;
}

token_admission::token_admission(std::string stream_id)
    : stream_id_(std::move(stream_id)), verifier_(stream_id_) {}

std::optional<std::string> token_admission::check(std::string_view token, wire::peer_role role,
                                                  std::optional<std::int64_t> unix_s) const {
  if (token.empty()) {
    return "no invite token";
  }
  if (token.size() != token_bytes || static_cast<std::uint8_t>(token[0]) != token_version ||
      (token[1] != static_cast<char>(invite_role::relay) &&
       token[1] != static_cast<char>(invite_role::viewer))) {
    return "malformed invite token";
  }
  const std::string signed_bytes = std::string(token.substr(0, signed_part)) + stream_id_;
  if (!verifier_.verify(signed_bytes, token.substr(signed_part))) {
    return "invite token not signed by this stream's broadcaster";
  }
  std::uint64_t expires = 0;
  for (std::size_t i = 2; i < signed_part; ++i) {
    expires = (expires << 8) | static_cast<std::uint8_t>(token[i]);
  }
  if (unix_s && (*unix_s < 0 || static_cast<std::uint64_t>(*unix_s) > expires)) {
    return "invite token expired";
  }
  if (token[1] == static_cast<char>(invite_role::viewer) && role != wire::peer_role::viewer) {
    return "a viewer invite does not admit a relay or broadcaster";
  }
  return std::nullopt;
}

}  // namespace treecast::runtime
