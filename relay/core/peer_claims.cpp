#include "core/peer_claims.hpp"

#include <algorithm>

namespace treecast::core {

// Beyond node_config's own bound on max_children: no honest peer offers more.
constexpr std::uint32_t max_plausible_slots = 10000;

wire::node_id_t root_node_id(std::string_view stream_id) {
  wire::node_id_t id{};
  std::copy_n(stream_id.begin(), std::min(stream_id.size(), id.size()), id.begin());
  return id;
}

std::string root_proof_message(std::uint64_t nonce, const wire::node_id_t& root) {
  std::string message = "treecast root";
  for (int shift = 56; shift >= 0; shift -= 8) {
    message.push_back(static_cast<char>((nonce >> shift) & 0xff));
  }
  message.append(root.begin(), root.end());
  return message;
}

std::string sign_root_proof(const chunk_signer& signer, std::uint64_t nonce,
                            const wire::node_id_t& root) {
  return signer.sign(root_proof_message(nonce, root));
}

peer_claims::peer_claims(std::string stream_id, std::shared_ptr<const chunk_verifier> verifier)
    : stream_id_(std::move(stream_id)), verifier_(std::move(verifier)) {
  if (!stream_id_.empty()) {
    root_ = root_node_id(stream_id_);
  }
}

std::optional<std::string> peer_claims::check(const wire::pong& answer, std::uint64_t nonce,
                                              const wire::node_id_t& sender) const {
  if (!answer.attached) {
    return std::nullopt;  // claims nothing
  }
  if (answer.path.empty() || answer.path.back() != sender ||
      answer.path.size() != static_cast<std::size_t>(answer.depth) + 1) {
    return "its path does not lead from the root to itself";
  }
  if (root_ && answer.path.front() != *root_) {
    return "its path does not start at this stream's broadcaster";
  }
  if (answer.depth == 0 && verifier_ &&
      !verifier_->verify(root_proof_message(nonce, sender), answer.root_signature)) {
    return "it claims to be the broadcaster without the stream key's signature";
  }
  if (answer.free_slots > max_plausible_slots) {
    return "it claims " + std::to_string(answer.free_slots) + " free slots";
  }
  return std::nullopt;
}

}  // namespace treecast::core
