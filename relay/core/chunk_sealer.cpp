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

wire::chunk chunk_sealer::seal(std::span<const rendition_payload> parts,
                               std::uint64_t capture_time_us, bool keyframe,
                               std::span<const std::uint32_t> rendition_kbps) {
  wire::chunk c;
  c.stream_id = stream_id_;
  c.seq = next_seq_++;
  c.capture_time_us = capture_time_us;
  if (keyframe) {
    c.rendition_kbps.assign(rendition_kbps.begin(), rendition_kbps.end());
  }
  c.kind = parts.front().kind;
  c.flags = keyframe ? wire::chunk_flag_keyframe : 0;
  seal_part(c, c, parts.front().payload);
  for (const auto& p : parts.subspan(1)) {
    wire::chunk_part& part = c.more.emplace_back();
    part.kind = p.kind;
    part.flags = keyframe ? wire::chunk_flag_keyframe : 0;
    seal_part(c, part, p.payload);
  }
  wire::seal_chunk(c);
  return c;
}

wire::chunk chunk_sealer::seal(std::string_view payload, std::uint64_t capture_time_us,
                               bool keyframe) {
  const rendition_payload full{wire::rendition::full, payload};
  return seal(std::span(&full, 1), capture_time_us, keyframe);
}

void chunk_sealer::seal_part(const wire::chunk& c, wire::chunk_part& part,
                             std::string_view payload) const {
  if (encryptor_) {
    part.flags |= wire::chunk_flag_encrypted;
    part.payload = encryptor_->seal(payload, part.nonce);
  } else {
    part.payload = std::string(payload);
  }
  part.body = wire::encode_chunk_body(c, part);
  if (signer_) {
    part.signature = signer_->sign(part.body);
  }
}

}  // namespace treecast::core
