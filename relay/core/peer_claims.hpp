// What a probed peer claims about its place (Pong: attached, depth, path,
// free slots), checked against what it can prove before it is believed.
//
// - Its path runs from the root to itself: it ends at the id it said hello
//   with, is depth + 1 long, and (when the stream is known) starts at the
//   root's id, which is derived from the stream key.
// - Depth 0 is the root's alone: a Pong claiming it must carry the stream
//   key's signature over the Ping's nonce and the root's id.
// - Free slots within what any peer may offer.
// What cannot be proven this way (depth 1 under the real root, say) is
// judged by what the peer then delivers: a parent that sends no stream is
// left and distrusted (see forwarder and parent_finder).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/chunk_sealer.hpp"
#include "core/chunk_verifier.hpp"
#include "wire/messages.hpp"

namespace treecast::core {

// The root's peer id: the first bytes of the stream id (its public key), so
// that every peer holding the link knows who the root is.
wire::node_id_t root_node_id(std::string_view stream_id);

// What the root signs to answer a Ping with nonce `nonce`.
std::string root_proof_message(std::uint64_t nonce, const wire::node_id_t& root);

// The root's Pong signature for `nonce`.
std::string sign_root_proof(const chunk_signer& signer, std::uint64_t nonce,
                            const wire::node_id_t& root);

class peer_claims {
 public:
  // `stream_id` "" and `verifier` null skip the checks that need them (the
  // simulator, tests).
  peer_claims(std::string stream_id, std::shared_ptr<const chunk_verifier> verifier);

  // nullopt when `answer` (to a Ping with `nonce`, from a peer that said
  // hello as `sender`) is plausible; otherwise what is wrong with it.
  std::optional<std::string> check(const wire::pong& answer, std::uint64_t nonce,
                                   const wire::node_id_t& sender) const;

 private:
  std::string stream_id_;
  std::optional<wire::node_id_t> root_;
  std::shared_ptr<const chunk_verifier> verifier_;
};

}  // namespace treecast::core
