// The stream through one node: checking each chunk before it is believed,
// the chunk window, gaps, and noticing a parent whose stream stopped.
//
// A chunk from the parent (or, during a handoff, the old parent) must be of
// this node's stream and carry the broadcaster's signature (check()); a
// chunk that fails is the node's to punish. One that passes enters the
// window once (accept()): a duplicate or one older than the window is
// dropped, a jump in sequence numbers is counted as chunks missed. The node
// then forwards it to its children and delivers it to the local player.
//
// Freshness: once the wall clock is known, a chunk captured more than
// max_chunk_age away from it is stale (a recording replayed by a peer).
//
// Starvation: a parent that keeps its link alive but sends no chunk for
// starvation_timeout (from the moment it accepted us, or from its last
// chunk) is to be replaced (starving()).
#pragma once

#include <optional>

#include "core/chunk_window.hpp"
#include "core/node_context.hpp"

namespace treecast::core {

class forwarder {
 public:
  enum class verdict {
    good,           // this stream's, signed by the broadcaster
    other_stream,   // another stream's id
    bad_signature,  // forged or altered on the way
    stale,          // signed, but captured too far from the wall clock: a replay
  };

  explicit forwarder(node_context& context);

  verdict check(const wire::chunk& c) const;

  // Stores a checked chunk; false when it was a duplicate or too old (it
  // goes no further).
  bool accept(const shared_chunk& c);

  const chunk_window& window() const { return window_; }

  // A parent accepted us: its stream is due from now on (a parent that
  // never sends a chunk starves us as one that stopped does).
  void expect_stream() { last_chunk_at_ = ctx_.now; }

  // True when a parent has kept us without a chunk past starvation_timeout.
  bool starving(bool has_parent) const;
  // When starving() becomes true; nullopt when it cannot.
  std::optional<time_point> starvation_deadline(bool has_parent) const;
  // How long the stream has been silent (zero before any chunk).
  duration silent_for() const;
  // Starvation was acted on: wait for the next chunk before checking again.
  void forget_last_chunk() { last_chunk_at_.reset(); }

 private:
  node_context& ctx_;
  chunk_window window_;
  std::optional<wire::seq_t> highest_seq_;
  std::optional<time_point> last_chunk_at_;
};

}  // namespace treecast::core
