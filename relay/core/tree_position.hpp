// Where one node hangs in the tree: its parent link, depth and path (the
// broadcaster .. this node), the ancestors' addresses and the backups its
// parent gave it, and, during a handoff, the old parent still feeding it.
//
// Loop freedom rests here: a node never attaches below itself (its id on a
// candidate's path), and a path update that contains it makes it leave its
// parent (the node closes the link; see node.cpp). The root's path is
// itself, at depth 0, for good.
#pragma once

#include <algorithm>
#include <optional>
#include <span>
#include <tuple>
#include <vector>

#include "core/actions.hpp"
#include "wire/messages.hpp"

namespace treecast::core {

// True when `id` is on `path`.
inline bool on_path(std::span<const wire::node_id_t> path, const wire::node_id_t& id) {
  return std::find(path.begin(), path.end(), id) != path.end();
}

// Where the stream enters a site: the peer at `depth` on `path` (the first
// of an unbroken run of one site's peers: Pong.site_entry_hops above the
// answering peer). Entries rank shallower first, then by id. Every peer
// below an entry but itself is deeper, so an entry ranks before every other
// entry in its subtree: peers that move only below a better-ranked entry
// than their own can never, moving at once, end up below each other (a
// loop).
struct site_entry {
  std::uint32_t depth = 0;
  wire::node_id_t id{};
  bool operator<(const site_entry& other) const {
    return std::tie(depth, id) < std::tie(other.depth, other.id);
  }
  // The first 4 bytes of the id, big-endian: ordered as the id is (ties
  // aside), and what reports carry (PeerSummary.site_entry_tag).
  std::uint32_t tag() const { return tag_of(id); }
  static std::uint32_t tag_of(const wire::node_id_t& id) {
    return (std::uint32_t{id[0]} << 24) | (std::uint32_t{id[1]} << 16) |
           (std::uint32_t{id[2]} << 8) | std::uint32_t{id[3]};
  }
};

// The entry at `depth` on `path`; nullopt when the path is too short (a lie).
inline std::optional<site_entry> entry_on(std::span<const wire::node_id_t> path,
                                          std::uint32_t depth) {
  if (depth >= path.size()) {
    return std::nullopt;
  }
  return site_entry{depth, path[depth]};
}

class tree_position {
 public:
  tree_position(const wire::node_id_t& self, bool is_root);

  std::optional<link_id_t> parent() const { return parent_; }
  bool has_parent() const { return parent_.has_value(); }
  // Round trip to the parent, as probed before joining it.
  duration parent_rtt() const { return parent_rtt_; }
  // Our delay from the broadcaster, without clocks: the parent's (as it
  // told us) plus half our round trip to it; zero at the root. It ranks
  // parents by what a viewer sees, not by hops.
  duration root_delay() const { return parent_root_delay_ + parent_rtt_ / 2; }
  // The parent's, as it told us.
  duration parent_root_delay() const { return parent_root_delay_; }
  // Hops above our parent to where the stream enters its site, as it told
  // us (JoinAccept/PathUpdate.site_entry_hops; at most its depth).
  std::uint32_t parent_site_entry_hops() const { return parent_site_entry_hops_; }
  void set_parent_site_entry_hops(std::uint32_t hops) {
    parent_site_entry_hops_ = std::min(hops, depth_ > 0 ? depth_ - 1 : 0);
  }

  // Hops from the broadcaster (root = 0); meaningful when attached.
  std::uint32_t depth() const { return depth_; }
  // Broadcaster .. this node; meaningful when attached.
  const std::vector<wire::node_id_t>& path() const { return path_; }
  // Broadcaster .. our parent, by address.
  const std::vector<wire::endpoint>& ancestors() const { return ancestors_; }
  // Peers with room elsewhere in the tree, from our parent.
  const std::vector<wire::endpoint>& backups() const { return backups_; }

  // What a parent told us in JoinAccept or PathUpdate: its own ancestors
  // (to which its address `parent` is added) and backups.
  void set_lineage(std::vector<wire::endpoint> parent_ancestors, const wire::endpoint& parent,
                   std::vector<wire::endpoint> backups);

  // `parent` accepted us: we hang at parent_depth + 1 below parent_path,
  // parent_root_delay from the broadcaster and `rtt` from it.
  void attach(link_id_t parent, duration rtt, std::uint32_t parent_depth,
              std::vector<wire::node_id_t> parent_path, duration parent_root_delay);

  // The parent's path changed (PathUpdate); true when ours changed with it.
  // Its root delay is taken either way.
  bool update_path(std::uint32_t parent_depth, std::vector<wire::node_id_t> parent_path,
                   duration parent_root_delay);

  // The parent link is gone (or moving away: see feeder()).
  void lose_parent() { parent_.reset(); }
  // The parent on our latest path: while we look for another, the one lost.
  std::optional<wire::node_id_t> latest_parent_id() const {
    return path_.size() >= 2 ? std::optional(path_[path_.size() - 2]) : std::nullopt;
  }

  // During a handoff, the old parent keeps feeding us until a new one
  // accepts; its chunks are still taken, its path updates ignored.
  std::optional<link_id_t> feeder() const { return feeder_; }
  void set_feeder(link_id_t id) { feeder_ = id; }
  void clear_feeder() { feeder_.reset(); }

  // A lost parent's replacements, in order: the grandparent, the other
  // ancestors upward, then the backups.
  std::vector<wire::endpoint> repair_targets() const;

  // Where a leaving node sends its children: its parent, then its other
  // ancestors upward, at most `limit` distinct.
  std::vector<wire::endpoint> handoff_targets(const std::optional<wire::endpoint>& parent,
                                              std::size_t limit) const;

 private:
  wire::node_id_t self_;
  std::optional<link_id_t> parent_;
  duration parent_rtt_{};
  duration parent_root_delay_{};
  std::uint32_t parent_site_entry_hops_ = 0;
  std::optional<link_id_t> feeder_;
  std::uint32_t depth_ = 0;
  std::vector<wire::node_id_t> path_;
  std::vector<wire::endpoint> ancestors_;
  std::vector<wire::endpoint> backups_;
};

}  // namespace treecast::core
