// Why the engine closes a link. Each value becomes the reason carried by a
// close action, logged by the driver; none of them stops the node.
#pragma once

#include <system_error>

namespace treecast::core {

enum class node_errc {
  hello_expected = 1,     // the first message on a link was not Hello
  duplicate_hello,        // a second Hello on the same link
  version_mismatch,       // the peer speaks another protocol version
  unexpected_message,     // a message that makes no sense in the link's state
  chunk_not_from_parent,  // a chunk arrived on a link that is not our parent
  heartbeat_timeout,      // nothing heard from the peer for too long
  join_refused,           // the parent answered our join with a redirect
  loop_detected,          // the parent's path contains this node
  not_accepting,          // this node takes no children (capacity 0)
  shutting_down,          // the node is stopping
  parent_replaced,        // a newer link to a parent made this one redundant
  probe_done,             // a probe link that was not chosen
  query_done,             // a rendezvous query link, answered
  starved,                // the parent sent no chunk for too long
  bad_signature,          // a chunk's signature or stream id is not the broadcaster's
  unauthorized,           // the peer has no valid invite token
  rate_limited,           // more joins or queries than this peer serves per second
  send_queue_full,        // the peer stopped reading: its queued bytes passed the bound
  stale_chunk,            // a signed chunk captured too far from the wall clock (a replay)
  too_many_links,         // this node holds as many links as it may
  never_joined,           // an inbound link that did not join within its time
  flooding,               // more messages than a link may send per second
  impostor,               // the peer's Hello carries this node's own id
  standby_declined,       // a standby offer this node cannot use (no room, below us or our parent)
  parent_behind,          // the parent fell behind the standby: replaced by it
  standby_replaced,       // a standby whose stream comes sooner replaced this one
  standby_silent,         // the held standby heard nothing for parent_silence_misses beats
  moved_out,              // a child asked to move below a stronger joiner did not in time
  reach_checked,          // our connection back to a child, done (it answered or not)
};

const std::error_category& node_category() noexcept;

inline std::error_code make_error_code(node_errc e) noexcept {
  return {static_cast<int>(e), node_category()};
}

}  // namespace treecast::core

template <>
struct std::is_error_code_enum<treecast::core::node_errc> : std::true_type {};
