#include "core/node_config.hpp"

namespace treecast::core {

std::string node_config::validate() const {
  const bool is_root = role == wire::peer_role::broadcaster;
  if (!is_root && !rendezvous) {
    return "a rendezvous address (the invite link) is required";
  }
  if (rendezvous && (rendezvous->host.empty() || rendezvous->port == 0)) {
    return "rendezvous address needs a host and a non-zero port";
  }
  if (probe_fanout < 1 || probe_fanout > wire::max_peer_summaries) {
    return "probe fanout must be between 1 and " + std::to_string(wire::max_peer_summaries);
  }
  if (child_lag_limit <= duration::zero() || child_lag_patience <= duration::zero() ||
      slot_regrow_interval <= duration::zero()) {
    return "child_lag_limit, child_lag_patience and slot_regrow_interval must be positive";
  }
  if (reach_check_timeout < std::chrono::milliseconds(10)) {
    return "reach_check_timeout must be at least 10 ms";
  }
  if (probe_timeout < std::chrono::milliseconds(10)) {
    return "probe timeout must be at least 10 ms";
  }
  if (max_redirects < 0 || max_join_attempts < 0) {
    return "redirect and join attempt bounds must not be negative";
  }
  if (report_interval < std::chrono::milliseconds(10)) {
    return "report interval must be at least 10 ms";
  }
  if (report_refresh < report_interval) {
    return "report refresh must be at least the report interval";
  }
  if (!(max_joins_per_second > 0)) {
    return "max joins per second must be positive";
  }
  if (candidate_sample < 1 || candidate_sample > wire::max_peer_summaries ||
      seed_candidate_sample < 1 || seed_candidate_sample > wire::max_peer_summaries) {
    return "candidate samples must be between 1 and " + std::to_string(wire::max_peer_summaries);
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
  if (child_heartbeat_interval < std::chrono::milliseconds(10)) {
    return "child heartbeat interval must be at least 10 ms";
  }
  if (standby_heartbeat_interval < heartbeat_interval) {
    return "the standby heartbeat interval must be at least the heartbeat interval";
  }
  if (heartbeat_misses < 1) {
    return "heartbeat misses must be at least 1";
  }
  if (reconnect_min <= duration::zero() || reconnect_max < reconnect_min) {
    return "reconnect delays must be positive and min <= max";
  }
  if (!(max_joins_per_address_per_second > 0) || !(max_messages_per_second > 0)) {
    return "per-address join and per-link message rates must be positive";
  }
  if (max_links < 1 || max_unadmitted_links < 1) {
    return "link bounds must be at least 1";
  }
  if (parent_lag_tolerance < std::chrono::milliseconds(10) || max_standby_tries < 1 ||
      standby_retry < std::chrono::milliseconds(100)) {
    return "parent lag tolerance must be at least 10 ms, standby tries at least 1 and the "
           "standby retry at least 100 ms";
  }
  if (gap_fill_tolerance < std::chrono::milliseconds(10) ||
      gap_fill_tolerance > parent_lag_tolerance) {
    return "gap fill tolerance must be at least 10 ms and at most the parent lag tolerance";
  }
  if (standby_max_trail < duration::zero() || standby_max_rtt < duration::zero() ||
      standby_challenge_pause < std::chrono::milliseconds(100)) {
    return "standby max trail and round trip must not be negative and the challenge pause at "
           "least 100 ms";
  }
  if (improve_interval < duration::zero() || site_gather_interval < duration::zero() ||
      rise_interval < duration::zero() || improve_min_gain < duration::zero() ||
      improve_min_gain_fraction < 0 || improve_min_gain_fraction >= 1) {
    return "the improve, rise and site gather intervals and the gain must not be negative, the "
           "gain fraction in [0, 1)";
  }
  if (same_site_rtt < duration::zero() || same_site_rtt > std::chrono::seconds(1)) {
    return "the same-site round trip must be between 0 and 1 s";
  }
  if (move_out_timeout < std::chrono::milliseconds(100)) {
    return "the move-out timeout must be at least 100 ms";
  }
  if (max_pending_bytes < 64 * 1024) {
    return "max pending bytes must be at least 64 KiB";
  }
  return {};
}

}  // namespace treecast::core
