// Which probed peer a joiner attaches to.
//
// Order: a peer of the joiner's own site first (site_inference: by label,
// else by round trip; so a site's WAN link carries the stream as few times
// as possible), then one with a free slot (a full one only redirects us to
// its children), then the lowest round-trip time plus a
// small penalty per hop of depth (so that among near peers the shallower
// wins, keeping the tree flat).
//
// Weak joiners (few slots) take the nearest, not the one with the lowest
// delay from the broadcaster through it: arriving in random order, peers
// that each took the lowest delay spent the shallow slots on far peers
// (treecast-sim, 1000 peers, 20% crashing, seeds 1-6: stretch p50 4.44 ->
// 4.88, stall time 150 -> 258 s). Strong joiners (capacity_policy), whose
// slots serve many, take the lowest delay through the candidate (through()),
// which is also what the improvement loop moves by (move_policy).
#pragma once

#include <optional>
#include <vector>

#include "core/time.hpp"
#include "wire/messages.hpp"

namespace treecast::core {

struct probe_result {
  std::size_t index = 0;  // the caller's handle for this candidate
  duration rtt{};
  std::uint32_t depth = 0;
  std::uint32_t free_slots = 0;
  bool same_site = false;  // of the joiner's site (site_inference)
  duration root_delay{};   // its delay from the broadcaster, as it claims
};

class parent_scoring {
 public:
  // `by_delay`: rank by delay from the broadcaster through the candidate (a
  // strong joiner), else by round trip (a weak one).
  explicit parent_scoring(duration depth_penalty, bool by_delay = false)
      : depth_penalty_(depth_penalty), by_delay_(by_delay) {}

  // Whether it ranks by delay from the broadcaster (a strong joiner).
  bool by_delay() const { return by_delay_; }

  // The best of `results`; nullopt when `results` is empty.
  std::optional<probe_result> best(const std::vector<probe_result>& results) const;

  // True when `a` is preferred to `b`.
  bool better(const probe_result& a, const probe_result& b) const;

  // Our delay from the broadcaster if `r` were our parent: its root delay
  // plus half our round trip to it, plus the depth penalty (each hop costs
  // a chunk's serialization).
  duration through(const probe_result& r) const {
    return r.root_delay + r.rtt / 2 + depth_penalty_ * r.depth;
  }

  // A candidate of no nearer site whose round trip is at least this long
  // cannot be better than `r`: it costs at least its round trip (by delay,
  // half of it). So a joiner need not wait for probes slower than that.
  duration round_trip_to_beat(const probe_result& r) const {
    return by_delay_ ? 2 * cost(r) : cost(r);
  }

 private:
  // What better() ranks by, after site and room.
  duration cost(const probe_result& r) const {
    return by_delay_ ? through(r) : r.rtt + depth_penalty_ * r.depth;
  }

  duration depth_penalty_;
  bool by_delay_;
};

}  // namespace treecast::core
