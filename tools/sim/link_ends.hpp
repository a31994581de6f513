// One simulated peer's open links: for each of its link ids, who is at the
// other end and under which id.
//
// A flat vector sorted by link id, not a hash map per peer: a node hands out
// link ids in increasing order, so an insertion appends, a lookup is a
// binary search in one cache line or two, and at 100 000 peers the
// simulator spends its time on the engine rather than on chasing buckets.
#pragma once

#include <algorithm>
#include <utility>
#include <vector>

#include "core/actions.hpp"
#include "core/time.hpp"

namespace treecast::sim {

// One end's view of a link: who is at the other end, under which id.
struct remote_end {
  std::uint32_t peer = 0;
  core::link_id_t link = 0;         // 0 while the connection is being set up
  core::time_point last_arrival{};  // frames on one link arrive in order
};

class link_ends {
 public:
  using entry = std::pair<core::link_id_t, remote_end>;

  remote_end* find(core::link_id_t id) {
    const auto it = lower_bound(id);
    return it != entries_.end() && it->first == id ? &it->second : nullptr;
  }

  bool contains(core::link_id_t id) { return find(id) != nullptr; }

  // Adds or replaces the link's entry.
  void set(core::link_id_t id, const remote_end& remote) {
    if (entries_.empty() || entries_.back().first < id) {
      entries_.emplace_back(id, remote);  // the usual case: the newest link
      return;
    }
    const auto it = lower_bound(id);
    if (it != entries_.end() && it->first == id) {
      it->second = remote;
    } else {
      entries_.emplace(it, id, remote);
    }
  }

  // False when the link was not there.
  bool erase(core::link_id_t id) {
    const auto it = lower_bound(id);
    if (it == entries_.end() || it->first != id) {
      return false;
    }
    entries_.erase(it);
    return true;
  }

  void clear() { entries_.clear(); }

  std::vector<entry>::const_iterator begin() const { return entries_.begin(); }
  std::vector<entry>::const_iterator end() const { return entries_.end(); }

 private:
  std::vector<entry>::iterator lower_bound(core::link_id_t id) {
    return std::lower_bound(entries_.begin(), entries_.end(), id,
                            [](const entry& e, core::link_id_t key) { return e.first < key; });
  }

  std::vector<entry> entries_;
};

}  // namespace treecast::sim
