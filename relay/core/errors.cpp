#include "core/errors.hpp"

#include <string>

namespace treecast::core {
namespace {

class node_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "node"; }

  std::string message(int value) const override {
    switch (static_cast<node_errc>(value)) {
      case node_errc::hello_expected:
        return "first message was not hello";
      case node_errc::duplicate_hello:
        return "second hello on one link";
      case node_errc::version_mismatch:
        return "protocol version mismatch";
      case node_errc::unexpected_message:
        return "unexpected message for the link's state";
      case node_errc::chunk_not_from_parent:
        return "chunk from a peer that is not our parent";
      case node_errc::heartbeat_timeout:
        return "peer silent for too long";
      case node_errc::join_refused:
        return "parent refused the join";
      case node_errc::loop_detected:
        return "parent's path contains this node";
      case node_errc::not_accepting:
        return "this node accepts no children";
      case node_errc::shutting_down:
        return "node shutting down";
      case node_errc::parent_replaced:
        return "parent link replaced";
      case node_errc::probe_done:
        return "probe finished";
      case node_errc::query_done:
        return "rendezvous query answered";
      case node_errc::starved:
        return "parent sent no chunk for too long";
      case node_errc::rate_limited:
        return "too many joins right now";
      case node_errc::unauthorized:
        return "no valid invite token";
      case node_errc::too_many_links:
        return "too many links: new peers are turned away for now";
      case node_errc::never_joined:
        return "linked for too long without joining";
      case node_errc::standby_declined:
        return "standby offer declined";
      case node_errc::parent_behind:
        return "parent fell behind the standby";
      case node_errc::standby_replaced:
        return "a standby whose stream comes sooner replaced this one";
      case node_errc::standby_silent:
        return "standby silent";
      case node_errc::reach_checked:
        return "reachability check done";
      case node_errc::moved_out:
        return "asked to move below a stronger peer, it did not in time";
      case node_errc::impostor:
        return "the peer says hello with this node's own id";
      case node_errc::flooding:
        return "more messages than a peer may send per second";
      case node_errc::stale_chunk:
        return "chunk captured too far from the wall clock (replayed)";
      case node_errc::send_queue_full:
        return "peer stopped reading (send queue over its bound)";
      case node_errc::bad_signature:
        return "chunk not signed by the broadcaster (forged or altered)";
    }
    return "unknown node error";
  }
};

}  // namespace

const std::error_category& node_category() noexcept {
  static const node_category_impl category;
  return category;
}

}  // namespace treecast::core
