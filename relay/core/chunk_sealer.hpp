// Makes the stream's chunks at the root, once each: numbers them in order,
// stamps the capture time and flags, encrypts the payload (when a content
// key is given), signs the body with the stream key (when a signer is
// given) and encodes the frame every peer forwards unchanged. The
// broadcaster and the simulator both seal through it.
//
// Signing and encryption go through two small interfaces so the engine
// needs no crypto library: the runtime implements them with OpenSSL
// (runtime/ed25519.hpp, runtime/payload_cipher.hpp).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "wire/messages.hpp"

namespace treecast::core {

class chunk_signer {
 public:
  virtual ~chunk_signer() = default;
  // The stream key's signature over `body`. Thread-safe.
  virtual std::string sign(std::string_view body) const = 0;
};

class payload_encryptor {
 public:
  virtual ~payload_encryptor() = default;
  // The sealed payload; `nonce` receives the fresh nonce it used.
  virtual std::string seal(std::string_view plain, std::string& nonce) const = 0;
};

class chunk_sealer {
 public:
  // Chunks of `stream_id` numbered from `first_seq`. Null `signer` or
  // `encryptor`: unsigned or plain chunks (the simulator, tests).
  chunk_sealer(std::string stream_id, wire::seq_t first_seq,
               std::shared_ptr<const chunk_signer> signer = {},
               std::shared_ptr<const payload_encryptor> encryptor = {});

  // One rendition's payload of the next chunk.
  struct rendition_payload {
    wire::rendition kind = wire::rendition::full;
    std::string_view payload;
  };

  // The next chunk, ready for node::on_source_chunk (frame set), with one
  // part per rendition given (at least one, each rendition once), each
  // encrypted and signed on its own.
  // `rendition_kbps`: each rendition's measured kbit/s, stamped on keyframe
  // chunks.
  wire::chunk seal(std::span<const rendition_payload> parts, std::uint64_t capture_time_us,
                   bool keyframe, std::span<const std::uint32_t> rendition_kbps = {});
  // The same with the full rendition alone.
  wire::chunk seal(std::string_view payload, std::uint64_t capture_time_us, bool keyframe);

  // The sequence number the next chunk gets.
  wire::seq_t next_seq() const { return next_seq_; }

 private:
  void seal_part(const wire::chunk& c, wire::chunk_part& part, std::string_view payload) const;

  std::string stream_id_;
  wire::seq_t next_seq_;
  std::shared_ptr<const chunk_signer> signer_;
  std::shared_ptr<const payload_encryptor> encryptor_;
};

}  // namespace treecast::core
