// Byte buffers shared between the wire library, the engine and the runtime.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace treecast::wire {

using byte_buffer = std::vector<std::uint8_t>;

// An immutable buffer shared by reference: one encoded frame is written to
// many links without being copied.
using shared_bytes = std::shared_ptr<const byte_buffer>;

}  // namespace treecast::wire
