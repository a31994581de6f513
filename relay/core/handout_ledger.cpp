#include "core/handout_ledger.hpp"

#include <algorithm>

namespace treecast::core {

void handout_ledger::record(const std::vector<wire::peer_summary>& handed, time_point now) {
  if (entries_.size() >= max_entries) {
    std::erase_if(entries_, [&](const auto& e) { return now - e.second.since >= window_; });
  }
  for (const auto& p : handed) {
    auto it = entries_.find(p.node_id);
    if (it == entries_.end()) {
      if (entries_.size() >= max_entries) {
        continue;  // full of live entries: this one goes uncounted
      }
      it = entries_.emplace(p.node_id, entry{now, 0}).first;
    } else if (now - it->second.since >= window_) {
      it->second = {now, 0};  // a new window: the view has been refreshed since
    }
    ++it->second.count;
  }
}

std::uint32_t handout_ledger::free_slots(const wire::peer_summary& p, time_point now) const {
  const auto it = entries_.find(p.node_id);
  if (it == entries_.end() || now - it->second.since >= window_) {
    return p.free_slots;
  }
  // One slot stays: a peer with room is ranked after the others, never left
  // out (a repair's orphans, all asking at once, would find nowhere to go).
  const std::uint32_t taken = it->second.count / per_slot_;
  return std::max(std::min(p.free_slots, 1u), p.free_slots - std::min(p.free_slots, taken));
}

}  // namespace treecast::core
