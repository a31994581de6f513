// The slots the rendezvous (any peer answering CandidatesRequest) has
// recently pointed joiners to.
//
// Its view of who has room is a report old, and every joiner of a flash
// crowd asks within that time: all were handed the same few peers with
// room, raced for their slots, and nearly all were turned away and had to
// probe again (treecast-sim, 10 000 peers: ~9 000 redirects for 10 000
// joins). So each peer handed out counts, for `window`, as a share of one
// of its slots taken (a joiner probes several and takes one), and the next
// joiners are handed others; a peer with room keeps one slot, so it is
// ranked later, never left out. treecast-sim, 10 000 peers, seeds 1, 2, 7
// (means): redirects 8 905 -> 4 377, join p50 815 -> 621 ms, p99 1 998 ->
// 1 814 ms, capture-to-play p99 708 -> 682 ms; stretch p50 1.94 -> 2.04
// (joiners take a farther peer more often; the loop moves them later).
// Redirects are not counted: a repair's orphans all ask at once, and
// handing the later ones farther peers made freezes stall longer.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "core/time.hpp"
#include "wire/messages.hpp"

namespace treecast::core {

class handout_ledger {
 public:
  // `per_slot` handouts of a peer within `window` count as one slot taken.
  handout_ledger(duration window, std::uint32_t per_slot) : window_(window), per_slot_(per_slot) {}

  void record(const std::vector<wire::peer_summary>& handed, time_point now);

  // `p`'s free slots less those its recent handouts are presumed to have
  // taken.
  std::uint32_t free_slots(const wire::peer_summary& p, time_point now) const;

 private:
  struct entry {
    time_point since{};
    std::uint32_t count = 0;
  };
  static constexpr std::size_t max_entries = 4096;  // bounded whatever the crowd

  duration window_;
  std::uint32_t per_slot_;
  std::map<wire::node_id_t, entry> entries_;
};

}  // namespace treecast::core
