#include "core/node_config.hpp"

namespace treecast::core {

std::string node_config::validate() const {
  const bool is_root = role == wire::peer_role::broadcaster;
  if (is_root && parent) {
    return "the broadcaster has no parent";
  }
  if (!is_root && !parent) {
    return "a parent address is required";
  }
  if (parent && (parent->host.empty() || parent->port == 0)) {
    return "parent address needs a host and a non-zero port";
  }
  if (max_children > 10000) {
    return "max_children must be at most 10000";
  }
  if (window_span < std::chrono::seconds(1) || window_span > std::chrono::minutes(10)) {
    return "window must be between 1 s and 10 min";
  }
  if (heartbeat_interval < std::chrono::milliseconds(10)) {
    return "heartbeat interval must be at least 10 ms";
  }
  if (heartbeat_misses < 1) {
    return "heartbeat misses must be at least 1";
  }
  if (reconnect_min <= duration::zero() || reconnect_max < reconnect_min) {
    return "reconnect delays must be positive and min <= max";
  }
  return {};
}

}  // namespace treecast::core
