#include "wire/frame_decoder.hpp"

#include <algorithm>
#include <cstring>

#include "wire/errors.hpp"
#include "wire/limits.hpp"

namespace treecast::wire {

frame_decoder::frame_decoder(std::size_t max_frame_bytes, std::size_t max_first_frame_bytes)
    : max_frame_bytes_(max_frame_bytes),
      max_first_frame_bytes_(std::min(max_first_frame_bytes, max_frame_bytes)) {}

std::error_code frame_decoder::feed(std::span<const std::uint8_t> data,
                                    std::vector<shared_bytes>& frames) {
  if (failed_) {
    return wire_errc::frame_too_large;
  }
  while (!data.empty()) {
    if (!body_) {
      const std::size_t take = std::min(frame_header_bytes - header_filled_, data.size());
      std::memcpy(header_ + header_filled_, data.data(), take);
      header_filled_ += take;
      data = data.subspan(take);
      if (header_filled_ < frame_header_bytes) {
        break;
      }
      const std::size_t length = (std::size_t{header_[0]} << 24) | (std::size_t{header_[1]} << 16) |
                                 (std::size_t{header_[2]} << 8) | std::size_t{header_[3]};
      if (length > (first_done_ ? max_frame_bytes_ : max_first_frame_bytes_)) {
        failed_ = true;
        return wire_errc::frame_too_large;
      }
      body_ = std::make_shared<byte_buffer>(frame_header_bytes + length);
      std::memcpy(body_->data(), header_, frame_header_bytes);
      body_filled_ = 0;
    }
    const std::size_t body_size = body_->size() - frame_header_bytes;
    const std::size_t take = std::min(body_size - body_filled_, data.size());
    std::memcpy(body_->data() + frame_header_bytes + body_filled_, data.data(), take);
    body_filled_ += take;
    data = data.subspan(take);
    if (body_filled_ == body_size) {
      frames.push_back(std::move(body_));
      body_.reset();
      first_done_ = true;
      header_filled_ = 0;
    }
  }
  return {};
}

std::error_code frame_decoder::finish() const {
  if (header_filled_ > 0 || body_) {
    return wire_errc::truncated_frame;
  }
  return {};
}

void write_frame_header(std::uint8_t* out, std::uint32_t body_bytes) {
  out[0] = static_cast<std::uint8_t>(body_bytes >> 24);
  out[1] = static_cast<std::uint8_t>(body_bytes >> 16);
  out[2] = static_cast<std::uint8_t>(body_bytes >> 8);
  out[3] = static_cast<std::uint8_t>(body_bytes);
}

}  // namespace treecast::wire
