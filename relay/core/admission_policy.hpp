// Decides whether a peer may use this one (join, probe, ask for candidates):
// it must present an invite token the broadcaster signed. The engine asks on
// every inbound Hello; the runtime implements it with Ed25519 and the wall
// clock (runtime/invite_token.hpp), tests with a fake.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace treecast::core {

class admission_policy {
 public:
  virtual ~admission_policy() = default;

  // nullopt when `token` admits its holder; otherwise why not ("no invite
  // token", "invite token expired", ...). Called on the engine's thread.
  virtual std::optional<std::string> check(std::string_view token) const = 0;
};

}  // namespace treecast::core
