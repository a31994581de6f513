// Chooses the bounded list of candidate parents a peer reports upward or
// hands to a joiner, from everything it knows of its subtree.
//
// Order of the result (seeds_first): the direct children (at the
// broadcaster: the seed relays) first, then peers with free slots from deeper
// levels; within each group the requester's site first, then one peer per
// site before a second of any (so every site stays represented as reports
// climb the tree), shallowest first. room_first puts peers with a free slot
// before all others, then the requester's site, then one peer per site
// before a second of any, direct children only after that: reports use it,
// so that a relay's many children do not crowd out the deeper peers of
// other sites (joiners of those sites found none and crossed the WAN:
// treecast-sim 1000 peers, 10 sites, seed 7, most copies into a site 49 ->
// 11). Ties are broken at random so joiners spread out.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "wire/messages.hpp"

namespace treecast::core {

struct known_peer {
  wire::peer_summary summary;
  bool direct_child = false;  // a child of the peer doing the sampling
};

// How to order the sample.
enum class sample_order {
  seeds_first,  // direct children first (the rendezvous: seed relays first)
  room_first,   // peers with a free slot first (a redirect or a report: where joiners fit)
};

// At most `limit` of `pool`, as described above. Deeper peers without a free
// slot are left out; direct children are kept even when full, because a full
// one redirects a joiner to its own children.
std::vector<wire::peer_summary> sample_candidates(std::vector<known_peer> pool,
                                                  const std::string& site, std::size_t limit,
                                                  sample_order order, std::mt19937_64& random);

}  // namespace treecast::core
