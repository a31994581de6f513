// Splits a byte stream into frames: a 4-byte big-endian length, then that many
// bytes of Envelope.
//
// The decoder checks the length against the maximum before it allocates or
// buffers the body, so an oversize frame is refused after four bytes. Each
// completed frame is returned as one shared buffer that still holds its length
// prefix, ready to be forwarded verbatim.
//
// Not thread-safe; one decoder per link.
#pragma once

#include <cstdint>

#include "wire/limits.hpp"

#include <cstddef>
#include <span>
#include <system_error>
#include <vector>

#include "wire/bytes.hpp"

namespace treecast::wire {

class frame_decoder {
 public:
  // Frames above `max_frame_bytes` are refused, and the first frame above
  // `max_first_frame_bytes` (a link's first frame must be a Hello:
  // max_hello_frame_bytes, so that a peer nobody admitted yet cannot make
  // us buffer megabytes).
  explicit frame_decoder(std::size_t max_frame_bytes, std::size_t max_first_frame_bytes = SIZE_MAX);

  // Consumes `data` and appends every frame it completes to `frames`.
  // Errors: wire_errc::frame_too_large. After an error the decoder is spent
  // and the caller closes the link.
  std::error_code feed(std::span<const std::uint8_t> data, std::vector<shared_bytes>& frames);

  // To call when the stream ends. Errors: wire_errc::truncated_frame when a
  // partial frame is pending (the peer closed mid-frame).
  std::error_code finish() const;

  // Bytes held for the frame in progress.
  std::size_t buffered_bytes() const { return header_filled_ + (body_ ? body_filled_ : 0); }

 private:
  std::size_t max_frame_bytes_;
  std::size_t max_first_frame_bytes_;
  bool first_done_ = false;
  std::uint8_t header_[4] = {};
  std::size_t header_filled_ = 0;
  std::shared_ptr<byte_buffer> body_;  // header + body of the frame in progress
  std::size_t body_filled_ = 0;        // bytes of body_ written so far
  bool failed_ = false;
};

// Writes the 4-byte big-endian length prefix for a body of `body_bytes`.
void write_frame_header(std::uint8_t* out, std::uint32_t body_bytes);

}  // namespace treecast::wire
