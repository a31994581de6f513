// Chooses the bounded list of candidate parents a peer reports upward or
// hands to a joiner, from everything it knows of its subtree.
//
// Order of the result: the direct children (at the broadcaster: the seed
// relays) first, shallowest first, then peers with free slots from deeper
// levels, shallowest first, with the requester's site moved ahead within each
// group. Ties are broken at random so joiners spread over equal peers.
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

// At most `limit` of `pool`, as described above. Deeper peers without a free
// slot are left out; direct children are kept even when full, because a full
// one redirects a joiner to its own children.
std::vector<wire::peer_summary> sample_candidates(std::vector<known_peer> pool,
                                                  const std::string& site, std::size_t limit,
                                                  std::mt19937_64& random);

}  // namespace treecast::core
