#include "core/chunk_sealer.hpp"

#include "wire/codec.hpp"

namespace treecast::core {

chunk_sealer::chunk_sealer(std::string stream_id, wire::seq_t first_seq,
                           std::shared_ptr<const chunk_signer> signer,
                           std::shared_ptr<const payload_encryptor> encryptor)
    : stream_id_(std::move(stream_id)),
      next_seq_(first_seq),
      signer_(std::move(signer)),
      encryptor_(std::move(encryptor)) {}

wire::chunk chunk_sealer::seal(std::string_view payload, std::uint64_t capture_time_us,
                               bool keyframe) {
  wire::chunk c;
  c.stream_id = stream_id_;
  c.seq = next_seq_++;
  c.capture_time_us = capture_time_us;
  c.flags = keyframe ? wire::chunk_flag_keyframe : 0;
  if (encryptor_) {
    c.flags |= wire::chunk_flag_encrypted;
    c.payload = encryptor_->seal(payload, c.nonce);
  } else {
    c.payload = std::string(payload);
  }
  c.body = wire::encode_chunk_body(c);
  if (signer_) {
    c.signature = signer_->sign(c.body);
  }
  wire::seal_chunk(c);
  return c;
}

}  // namespace treecast::core
