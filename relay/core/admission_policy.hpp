// Decides whether a peer may use this one (join, probe, ask for candidates):
// it must present an invite token the broadcaster signed. The engine asks on
// every inbound Hello; the runtime implements it with Ed25519
// (runtime/invite_token.hpp), tests with a fake. The engine passes the wall
// clock as its driver last read it: no policy reads a clock itself.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace treecast::core {

class admission_policy {
 public:
  virtual ~admission_policy() = default;

  // nullopt when `token` admits its holder at Unix time `unix_s`; otherwise
  // why not ("no invite token", "invite token expired", ...). Called on the
  // engine's thread.
  virtual std::optional<std::string> check(std::string_view token, std::int64_t unix_s) const = 0;
};

}  // namespace treecast::core
