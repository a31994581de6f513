// The children of one node: its slots, who holds them, what each last
// reported of its subtree, and sending them the stream. A node its parent
// could not reach offers no slots (set_reachable).
//
// An inbound link becomes a child when its JoinRequest is accepted within
// max_children (while this node is attached and not leaving); otherwise the
// joiner is redirected (refusal() says why). Every verified chunk goes to
// every child in link order as the one shared frame, without a copy; a new
// or returning child is first served its backlog from the window: from the
// sequence number it asks to resume from when the window still holds it,
// else from the newest keyframe.
//
// A full node may still take a joiner clearly stronger than its weakest
// child (capacity_policy): that child is asked to move below the joiner and
// is fed until it has, or until move_out_timeout, when its link is closed;
// one such child at a time, so the node is over its slots by one at most.
// The joiner keeps one of its slots for that child (reserve_for) as long, so
// a flash crowd does not take it first and the child lands one hop down, not
// wherever there is room.
#pragma once

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/capacity_policy.hpp"
#include "core/chunk_window.hpp"
#include "core/health_table.hpp"
#include "core/link_table.hpp"
#include "core/node_context.hpp"
#include "core/rendition_subscriptions.hpp"

namespace treecast::core {

// Whether others can reach a child where we see it (reachability_check).
enum class reach_state { unchecked, reachable, unreachable };

struct child {
  link* l = nullptr;                           // its link in the table (stable while it is a child)
  reach_state reach = reach_state::unchecked;  // handed out only once reachable
  std::optional<wire::report> last_report;     // its latest report of its subtree, rows aside
  health_table health;                    // its subtree's health rows, as its reports built them
  time_point reported_at{};               // when it came
  std::optional<wire::path_update> told;  // the last path update sent to it
  duration rtt{};                         // its round trip to us as it measured it; 0 = unknown
  std::deque<shared_chunk> held;          // waiting for room on its link (late binding)
};

class children {
 public:
  // A joiner that wants sound alone gets this much backlog: the player's
  // first jitter target, so it starts at once and near the live edge.
  static constexpr duration sound_backlog = std::chrono::milliseconds(300);

  using map = std::map<link_id_t, child>;

  children(node_context& context, link_table& links, rendition_subscriptions& renditions)
      : ctx_(context), links_(links), renditions_(renditions) {}

  std::size_t count() const { return children_.size(); }
  // Whether our uplink is behind: half our children or more (one at least)
  // have bytes that waited more than gap_fill_uplink_limit to be written
  // (link_table::queue_age). One slow child alone is its own link's limit,
  // not ours.
  bool uplink_behind() const;

  // Slots a joiner could take now; `open` = this node is attached and not
  // leaving.
  std::size_t free_slots(bool open) const;
  // Whether a standby child switching to us fits: within max_children plus
  // standby_headroom.
  bool room_for_promotion(bool open) const;
  // How many standby children of one parent (they switch together) still
  // fit: free slots plus the headroom left.
  std::size_t promotion_room(bool open) const;

  // Why a join is refused when there is no free slot.
  std::string refusal(bool attached) const;

  // What our parent found when it connected back to us: a node others
  // cannot reach offers no slots (a leaf); true when that is news. Until
  // told, a node offers its slots (its parent hands it out only once
  // checked).
  bool set_reachable(bool reachable);

  // Slots we offer at most (upload_monitor: fewer when our uplink does not
  // carry more), never above max_children.
  void set_slot_limit(std::size_t limit) { slot_limit_ = limit; }
  std::size_t slots() const { return std::min(slot_limit_, ctx_.config.max_children); }
  bool unreachable() const { return reachable_ == false; }
  // We play less than the full rendition (our downlink does not carry it):
  // a leaf too, until we play it again.
  void set_narrow_downlink(bool narrow) { narrow_downlink_ = narrow; }
  bool narrow_downlink() const { return narrow_downlink_; }
  // Takes no children: unreachable, or a narrow downlink.
  bool leaf() const { return unreachable() || narrow_downlink_; }
  std::optional<bool> reachable() const { return reachable_; }  // nullopt: not told yet

  child* find(link_id_t id);
  const child* find(link_id_t id) const;
  bool contains(link_id_t id) const { return children_.count(id) != 0; }

  // Children whose link comes from `host`.
  std::size_t from_host(const std::string& host) const;

  // The link's join was accepted; `rtt`: its round trip to us as its
  // JoinRequest said.
  void add(link_id_t id, link& l, duration rtt = {});

  // The link went away; true when it was a child.
  bool remove(link_id_t id);

  void clear();

  // Keep one slot for `id` (a child moving below us) until `until`.
  void reserve_for(const wire::node_id_t& id, time_point until) { reserved_ = {id, until}; }
  // Whether a slot is kept for `id`; for anyone.
  bool reserved_for(const wire::node_id_t& id) const;
  bool keeping_slot() const { return reserving(); }

  // The children as capacity_policy sees them.
  std::vector<capacity_policy::child_view> capacities() const;
  // `id` was asked to move below a stronger joiner: fed until `until`.
  void start_move_out(link_id_t id, time_point until) { moving_out_ = {id, until}; }
  bool moving_out() const { return moving_out_.has_value(); }
  std::optional<time_point> move_out_deadline() const;
  // The child asked to move that has not by now: its link is to close.
  std::optional<link_id_t> take_overdue_move_out();

  // The renditions our children asked for, together.
  wire::rendition_set wanted() const;

  // Queues the chunk's shared frame to every child (late binding: a child
  // whose link already holds its send window gets it when there is room,
  // cut to what it wants then: one that steps down to sound alone gets
  // sound alone from then on, not the video waiting for its link).
  void forward(const shared_chunk& c);
  // The driver wrote some of `id`'s queue: the chunks that fit now go.
  // True when some did.
  bool on_written(link_id_t id);

  // Serves a child that just joined from `resume_from` (when the window
  // still holds it), else from the newest keyframe, or, to one that wants
  // sound alone, sound_backlog back from the newest chunk.
  void serve_backlog(link_id_t id, const chunk_window& window,
                     std::optional<wire::seq_t> resume_from);

  map::iterator begin() { return children_.begin(); }
  map::iterator end() { return children_.end(); }
  map::const_iterator begin() const { return children_.begin(); }
  map::const_iterator end() const { return children_.end(); }

 private:
  void send_chunk(link_id_t id, child& ch, const shared_chunk& c);
  // A narrow child too far behind (node_config::held_lag_limit) skips the
  // chunks held for it up to the newest it can start from.
  void skip_to_live_edge(link_id_t id, child& ch);
  void hand_over(link_id_t id, link& l, const wire::chunk& c);

  node_context& ctx_;
  link_table& links_;
  rendition_subscriptions& renditions_;  // which parts each child gets
  map children_;
  struct move_out {
    link_id_t id = 0;
    time_point until{};
  };
  std::optional<move_out> moving_out_;
  struct reservation {
    wire::node_id_t id{};
    time_point until{};
  };
  std::optional<reservation> reserved_;
  std::optional<bool> reachable_;
  bool narrow_downlink_ = false;
  std::size_t slot_limit_ = static_cast<std::size_t>(-1);
  bool reserving() const { return reserved_ && ctx_.now < reserved_->until; }
};

}  // namespace treecast::core
