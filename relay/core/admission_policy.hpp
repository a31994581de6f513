// Decides whether a peer may talk to this one at all: it must present an
// invite token the broadcaster signed, for the role it claims. The engine
// asks on every Hello, on links it accepted and links it opened alike, and
// again, with the wall clock, when a newcomer asks to join; the runtime implements it with Ed25519
// (runtime/invite_token.hpp), tests with a fake. The engine passes the wall
// clock as its driver last read it: no policy reads a clock itself.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "wire/messages.hpp"

namespace treecast::core {

class admission_policy {
 public:
  virtual ~admission_policy() = default;

  // nullopt when `token` admits its holder, who says it is a `role`;
  // otherwise why not ("no invite token", "a viewer invite does not admit a
  // relay", "invite token expired", ...). Expiry is checked only when
  // `unix_s` (the wall clock) is given: it bounds who may join the tree,
  // not who may stay in it or repair. Called on the engine's thread.
  virtual std::optional<std::string> check(std::string_view token, wire::peer_role role,
                                           std::optional<std::int64_t> unix_s) const = 0;
};

}  // namespace treecast::core
