// Checks that a chunk was signed by the broadcaster. The engine asks before a
// chunk is stored or forwarded; the Asio runtime provides an Ed25519
// implementation (runtime/ed25519.hpp), tests a fake one.
#pragma once

#include <string_view>

namespace treecast::core {

class chunk_verifier {
 public:
  virtual ~chunk_verifier() = default;

  // True when `signature` is the broadcaster's signature over `body` (the
  // serialized ChunkBody exactly as received). Called on the engine's thread.
  virtual bool verify(std::string_view body, std::string_view signature) const = 0;
};

}  // namespace treecast::core
