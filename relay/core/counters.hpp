// Monotonic counters owned by a node: the runtime exports them, the simulator
// and the tests assert on them.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

namespace treecast::core {

enum class counter : std::size_t {
  chunks_received,        // chunks accepted from the parent or the source
  chunks_duplicate,       // chunks dropped because their seq was already held
  chunks_too_old,         // chunks dropped because they fell before the window
  chunks_sent,            // chunk frames queued to children (one per child)
  chunk_bytes_received,   // frame bytes of accepted chunks
  chunk_bytes_sent,       // frame bytes of chunks queued to children
  children_accepted,      // joins accepted
  children_refused,       // joins answered with a redirect
  protocol_errors,        // links closed because the peer broke the protocol
  heartbeat_timeouts,     // links closed because the peer went silent
  parent_attaches,        // times a parent accepted us
  parent_losses,          // times the parent link went away
  join_attempts,          // join rounds started (rendezvous queries)
  join_redirects,         // redirects followed
  probes_sent,            // candidates probed
  loops_refused,          // parents refused because this node was on their path
  repairs,                // parent lost, then a chunk from a new parent
  chunks_missed,          // sequence numbers skipped (gaps that could not be filled)
  chunks_forged,          // chunks whose signature or stream id failed: sender dropped
  peers_unauthorized,     // inbound peers refused for their invite token
  joins_rate_limited,     // joins and queries refused for the rate bound
  chunks_stale,           // signed chunks refused as replays (capture time far from the clock)
  claims_refused,         // probed peers not believed (path, depth 0 or slots they cannot prove)
  links_refused,          // inbound links turned away because the link bounds were reached
  reports_clamped,        // children's reports with implausible counts, clamped
  standby_promotions,     // a lost or lagging parent replaced by the warm standby
  parents_behind,         // parents left because they fell behind the standby
  parents_silent,         // parents left because they sent nothing for parent_silence_misses beats
  standby_bytes_sent,     // bytes of Have and StandbyOffer sent to standby children
  gap_fills,              // Fetches sent: the parent was late with chunks the standby had
  paced_fetches,          // of them, by the parent's pace, before the standby's Have
  gap_fill_chunks_sent,   // chunks sent to standby children that fetched them
  gap_fill_bytes_sent,    // and their bytes
  parent_moves,           // moves to a parent through which the stream comes sooner
  children_moved_out,     // children asked to move below a stronger joiner that took their place
  reach_checks,           // children we connected back to, to see whether others can reach them
  children_unreachable,   // of them, children we could not reach: never handed out
  children_handed_off,    // children that did not keep up, asked to move to a peer with room
  chunk_subsets_encoded,  // chunk frames cut to the renditions a child asked for
  subscriptions_sent,     // Subscribe messages: what we want from our parent or standby changed
  chunks_skipped_behind,  // chunks a narrow child too far behind skipped to reach the live edge
  upstream_late_notices,  // notices to our children that the stream stopped above us too
  parents_held,     // parents behind the standby kept: they said the stream stopped above them
  standbys_silent,  // held standbys dropped because they sent nothing for parent_silence_misses
                    // beats
  second_standby_promotions,  // of standby_promotions, by the second standby: the first could
                              // not (frozen or below the lost parent), or refused us
  gap_fills_withheld,         // fetched chunks not sent: our children's bytes were waiting
  count_
};

inline constexpr std::size_t counter_count = static_cast<std::size_t>(counter::count_);

// Names in Prometheus style, indexed by counter.
// clang-format off
inline constexpr std::array<const char*, counter_count> counter_names{
    "chunks_received",   "chunks_duplicate",     "chunks_too_old",     "chunks_sent",
    "chunk_bytes_received", "chunk_bytes_sent",  "children_accepted",  "children_refused",
    "protocol_errors",   "heartbeat_timeouts",   "parent_attaches",    "parent_losses",
    "join_attempts",     "join_redirects",       "probes_sent",        "loops_refused",
    "repairs",           "chunks_missed",        "chunks_forged",      "peers_unauthorized",
    "joins_rate_limited", "chunks_stale",      "claims_refused",
    "links_refused",     "reports_clamped",      "standby_promotions", "parents_behind",
    "parents_silent",
    "standby_bytes_sent", "gap_fills", "paced_fetches", "gap_fill_chunks_sent", "gap_fill_bytes_sent",
    "parent_moves",
    "children_moved_out", "reach_checks", "children_unreachable",
    "children_handed_off", "chunk_subsets_encoded", "subscriptions_sent",
    "chunks_skipped_behind", "upstream_late_notices",
    "parents_held", "standbys_silent", "second_standby_promotions", "gap_fills_withheld"};
// clang-format on
static_assert(counter_names.back() != nullptr, "a counter has no name");

class counters {
 public:
  void add(counter c, std::uint64_t n = 1) { values_[static_cast<std::size_t>(c)] += n; }
  // Takes back what was counted too soon (never below zero).
  void take_back(counter c, std::uint64_t n = 1) {
    auto& v = values_[static_cast<std::size_t>(c)];
    v -= std::min(v, n);
  }
  std::uint64_t get(counter c) const { return values_[static_cast<std::size_t>(c)]; }

 private:
  std::array<std::uint64_t, counter_count> values_{};
};

}  // namespace treecast::core
