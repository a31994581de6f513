// Chooses the bounded list of candidate parents a peer reports upward or
// hands to a joiner, from everything it knows of its subtree.
//
// Order of the result (seeds_first): peers with room first, the direct
// children (at the broadcaster: the seed relays) among them first, then
// peers with free slots from deeper levels, and full direct children last
// (they can only send a joiner on to their own children: handed out first,
// they were 3 of a newcomer's 8 candidates all through a flash crowd);
// within each group the requester's site first, then one peer per
// site before a second of any (so every site stays represented as reports
// climb the tree), peers with room for several joiners (relays) before those
// with room for one or two (viewers), then the shallowest first: so joiners
// are handed relays and viewers end up as leaves (treecast-sim 3000 peers,
// seeds 1-4, with nearer strong peers up: stretch p50 2.51 -> 2.28, depth
// mean 4.77 -> 4.47). room_first puts peers with a free slot
// before all others, then the requester's site, then one peer per site
// before a second of any, direct children only after that: reports use it,
// so that a relay's many children do not crowd out the deeper peers of
// other sites (joiners of those sites found none and crossed the WAN:
// treecast-sim 1000 peers, 10 sites, seed 7, most copies into a site 49 ->
// 11). Ties are broken at random so joiners spread out.
//
// "Site" is site_inference's: labels, else network coordinates (peers
// without labels are grouped by where they sit, in cells of
// place_cell, so a report still names every region).
//
// When the requester tells where it sits, half the sample (the first half)
// is the peers with room through which the stream would reach it soonest by
// estimate (their delay from the broadcaster plus half the estimated round
// trip to them), its site first; the other half is the sample above. The
// estimate picks whom a joiner probes, the probe picks its parent, so a
// peer lying about its coordinate wins a place in the sample, not a child.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "core/site_inference.hpp"
#include "core/time.hpp"
#include "wire/messages.hpp"

namespace treecast::core {

struct known_peer {
  wire::peer_summary summary;
  bool direct_child = false;  // a child of the peer doing the sampling
};

// How to order the sample.
enum class sample_order {
  seeds_first,  // direct children with room first (the rendezvous: seed relays first)
  room_first,   // peers with a free slot first (a redirect or a report: where joiners fit)
  // Site gathering (move_policy): peers of the requester's site with room
  // first, those below the first-ranked place where the stream enters the
  // site (tree_position.hpp's site_entry) ahead; then as room_first.
  site_entry_first,
};

// Unlabelled peers this far apart (estimated round trip) count as two
// regions when a sample keeps every region represented.
inline constexpr duration place_cell = std::chrono::milliseconds(30);

// At most `limit` of `pool` for a requester at `requester`, as described
// above. Deeper peers without a free slot are left out; direct children are
// kept even when full, because a full one redirects a joiner to its own
// children.
std::vector<wire::peer_summary> sample_candidates(std::vector<known_peer> pool,
                                                  const place& requester, std::size_t limit,
                                                  sample_order order, const site_inference& sites,
                                                  std::mt19937_64& random);

}  // namespace treecast::core
