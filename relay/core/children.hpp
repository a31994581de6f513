// The children of one node: its slots, who holds them, what each last
// reported of its subtree, and sending them the stream.
//
// An inbound link becomes a child when its JoinRequest is accepted within
// max_children (while this node is attached and not leaving); otherwise the
// joiner is redirected (refusal() says why). Every verified chunk goes to
// every child in link order as the one shared frame, without a copy; a new
// or returning child is first served its backlog from the window: from the
// sequence number it asks to resume from when the window still holds it,
// else from the newest keyframe.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "core/chunk_window.hpp"
#include "core/link_table.hpp"
#include "core/node_context.hpp"

namespace treecast::core {

struct child {
  link* l = nullptr;                        // its link in the table (stable while it is a child)
  std::optional<wire::report> last_report;  // its latest report of its subtree
  time_point reported_at{};                 // when it came
};

class children {
 public:
  using map = std::map<link_id_t, child>;

  children(node_context& context, link_table& links) : ctx_(context), links_(links) {}

  std::size_t count() const { return children_.size(); }

  // Slots a joiner could take now; `open` = this node is attached and not
  // leaving.
  std::size_t free_slots(bool open) const;
  // Whether a standby child switching to us fits: within max_children plus
  // standby_headroom.
  bool room_for_promotion(bool open) const;

  // Why a join is refused when there is no free slot.
  std::string refusal(bool attached) const;

  child* find(link_id_t id);
  const child* find(link_id_t id) const;
  bool contains(link_id_t id) const { return children_.count(id) != 0; }

  // Children whose link comes from `host`.
  std::size_t from_host(const std::string& host) const;

  // The link's join was accepted.
  void add(link_id_t id, link& l);

  // The link went away; true when it was a child.
  bool remove(link_id_t id) { return children_.erase(id) != 0; }

  void clear() { children_.clear(); }

  // Queues the chunk's shared frame to every child.
  void forward(const wire::chunk& c);

  // Serves a child that just joined from `resume_from` (when the window
  // still holds it) or from the newest keyframe.
  void serve_backlog(link_id_t id, const chunk_window& window,
                     std::optional<wire::seq_t> resume_from);

  map::iterator begin() { return children_.begin(); }
  map::iterator end() { return children_.end(); }
  map::const_iterator begin() const { return children_.begin(); }
  map::const_iterator end() const { return children_.end(); }

 private:
  void send_chunk(link_id_t id, link& l, const wire::chunk& c);

  node_context& ctx_;
  link_table& links_;
  map children_;
};

}  // namespace treecast::core
