// When an attached peer moves to another parent (the improvement loop,
// parent_improver), make-before-break.
//
// Place first: a parent of our own site is never left for one of another
// site (the site's WAN link would carry the stream once more), and a parent
// of another site is left for one of ours whatever the delay (site
// gathering: after a flash crowd or a repair across the WAN, a site's peers
// gather under one of their own again), if the site's entry through it
// ranks before ours (site_entry: shallower, then by id): so every peer of
// a site gathers below the same one, and two peers where the stream enters
// one site, each looking at the other's subtree, never move below each
// other at once (a loop). Ranking by delay instead left two entries a few
// ms apart stuck: neither was later than the other's subtree.
//
// Then delay from the broadcaster, only for a clear gain, so that noise in
// round trips does not make the tree oscillate: lower by at least min_gain
// and by at least min_gain_fraction of the current delay (both: a few ms
// matter near the broadcaster, a few percent far from it).
//
// Within our site, hops: every delay there is a few ms, so a site's peers
// gathered one below another in a chain of 2-slot viewers never gained
// enough to move, and each hop costs an uplink's serialization and a peer
// whose failure stalls everyone below. A parent of our site two hops
// shallower, no later, is worth it.
#pragma once

#include <cstdint>

#include "core/time.hpp"

namespace treecast::core {

class move_policy {
 public:
  // A parent, current or candidate, as the policy sees it.
  struct option {
    duration delay{};        // ours from the broadcaster through it (parent_scoring::through)
    bool same_site = false;  // of our site (false when we know none)
    // Where the stream enters our site through it, ranked before where it
    // enters through us (site_entry's order).
    bool entry_ranks_first = false;
    std::uint32_t hops = 0;  // ours from the broadcaster through it (its depth + 1)
  };

  move_policy(duration min_gain, double min_gain_fraction)
      : min_gain_(min_gain), min_gain_fraction_(min_gain_fraction) {}

  bool worth_moving(const option& current, const option& candidate) const;

  // True when `a` is the better place to move to (the same order).
  bool better(const option& a, const option& b) const;

 private:
  static constexpr std::uint32_t min_hops_saved = 2;
  duration min_gain_;
  double min_gain_fraction_;
};

}  // namespace treecast::core
