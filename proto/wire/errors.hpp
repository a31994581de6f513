// Errors of the wire layer. Every one of them means the peer that sent the
// bytes broke the protocol: the caller closes that link with the error as the
// reason and keeps serving the others.
#pragma once

#include <system_error>

namespace treecast::wire {

enum class wire_errc {
  frame_too_large = 1,  // length prefix above the configured maximum frame size
  truncated_frame,      // the stream ended inside a frame
  malformed_message,    // the frame is not a valid Envelope
  empty_envelope,       // the Envelope carries no message
  malformed_chunk,      // a Chunk whose body is not a valid ChunkBody
  field_out_of_range,   // a field breaks a limit (id length, list size, port number, ...)
};

const std::error_category& wire_category() noexcept;

inline std::error_code make_error_code(wire_errc e) noexcept {
  return {static_cast<int>(e), wire_category()};
}

}  // namespace treecast::wire

template <>
struct std::is_error_code_enum<treecast::wire::wire_errc> : std::true_type {};
