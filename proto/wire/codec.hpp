// Maps messages to frames and back. The only place that touches protobuf.
//
// decode_frame() validates every limit in wire/limits.hpp, so what it returns
// can be trusted to be well-formed (not to be authentic: that is the
// engine's job).
#pragma once

#include <string_view>
#include <system_error>

#include "wire/bytes.hpp"
#include "wire/messages.hpp"

namespace treecast::wire {

// Encodes `m` as one frame (length prefix + Envelope). For a chunk the
// `frame` field is ignored and a fresh frame is produced.
shared_bytes encode_frame(const message& m);

// The bytes the broadcaster signs for one part of `c` (the chunk's own, or
// one of `c.more`): a serialized ChunkBody of the chunk's and the part's
// fields.
std::string encode_chunk_body(const chunk& c, const chunk_part& part);

// Builds a chunk ready to send: fills `c.frame` with its encoding. Called once
// per chunk by the broadcaster, after it set `c.body` (encode_chunk_body) and
// `c.signature`; a chunk without a body is encoded unsigned.
void seal_chunk(chunk& c);

// Decodes one frame as returned by frame_decoder (length prefix included).
// A decoded chunk keeps `frame` so it can be forwarded unchanged.
// Errors: malformed_message, empty_envelope, malformed_chunk,
// field_out_of_range. The caller closes the link that sent the frame.
std::error_code decode_frame(const shared_bytes& frame, message& out);

// The Envelope field a frame carries ("have", "report", ...), read from its
// first tag without decoding the frame; "" when there is none. For byte
// counts by kind (the simulator), where decoding each frame would cost.
std::string_view frame_message_name(std::string_view frame);

}  // namespace treecast::wire
