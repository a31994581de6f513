// The peer engine: one node of the broadcast tree, sans-IO.
//
// A node owns no socket, thread or clock. Its driver (the Asio runtime or the
// simulator) calls an on_* input with the current time, then drains the
// actions the input produced (send, connect, close, deliver, give up) and
// arms one timer for next_deadline().
//
// Joining (every node but the root):
//   discover: connect to the rendezvous, send CandidatesRequest, get
//             Candidates (seed relays first, then sampled peers with room);
//   probe:    connect to up to probe_fanout candidates in parallel, Ping each,
//             collect Pongs (RTT, depth, free slots, path) until all answered
//             or probe_timeout;
//   join:     JoinRequest on the best probe link (parent_scoring): a same-site
//             peer first, then one with a free slot, then the nearest. A
//             candidate whose path holds this node is skipped (no loop);
//   accepted: JoinAccept carries the parent's path; chunks follow. A
//             JoinRedirect starts a probe round over the redirect's
//             candidates (descend), up to max_redirects;
//   failed:   an empty round, a refused connection, too many redirects: try
//             again after a backoff; after max_join_attempts, give up.
//
// Serving (every node): an inbound link first sends Hello, then Ping (answered
// with Pong), CandidatesRequest (answered from this node's view of its
// subtree), or JoinRequest (accepted within capacity, else redirected to the
// children). Children report their subtree every report_interval; the root's
// view of its children's reports is the rendezvous.
//
// Chunks from the parent (at the root, from the source) enter the window
// once; their frame is queued unchanged to every child and delivered locally.
// A lost parent is rejoined through the same procedure, resuming from the
// next missing sequence number; children keep their links meanwhile and get a
// PathUpdate when the node is attached again (a child finding itself in the
// new path detaches: no loop survives).
//
// Failures: a malformed frame or a message out of place closes that link
// with the reason; other links are untouched. A link silent for
// heartbeat_misses intervals is closed.
//
// The node is a thin front over parts with one responsibility each, which
// share one node_context (config, now, outbox, counters, log, random):
//   link_table     links, the Hello/admission gate, liveness, queue bounds;
//   parent_finder  query, probe, join, backoff, give up; repair, handoff,
//                  and moves (improvement, a rise, or below a stronger
//                  joiner);
//   network_coordinate  where we sit in the network (Vivaldi), from the
//                  round trips our probes measure;
//   tree_position  parent, depth, path, ancestors, backups, loop checks;
//   children       slots, admission of children, fan-out, backlog, the child
//                  moving out below a stronger joiner (capacity_policy) and
//                  the slot kept for one moving in; none offered when our
//                  parent could not reach us;
//   reachability_check  connects back to each new child: one nobody can
//                  reach is never handed out and is told so;
//   upload_monitor whether our children keep up: one that does not is
//                  handed to a peer with room; fewer slots when our uplink
//                  does not carry them all;
//   subtree_view   reports, candidates, backups, health rows;
//   forwarder      chunk checks, the window, gaps, starvation;
//   warm_standby   our standby parent, and a parent falling behind it
//                  (held while it says the stream stopped above it too:
//                  upstream_late);
//   standby_children  the peers we are the standby of (Have, offers);
//   parent_improver   when to look for a parent through which the stream
//                     comes sooner, or of our site, and when a strong peer
//                     asks its ancestors above its parent to take it (the
//                     finder's improvement and rise rounds move).
// It dispatches every input to them and answers next_deadline() as the
// earliest of theirs. Typed events (events.hpp) go out with the actions.
//
// Threading: not thread-safe; the driver calls it from one thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/actions.hpp"
#include "core/children.hpp"
#include "core/errors.hpp"
#include "core/forwarder.hpp"
#include "core/join_gate.hpp"
#include "core/link_table.hpp"
#include "core/network_coordinate.hpp"
#include "core/node_context.hpp"
#include "core/parent_finder.hpp"
#include "core/parent_improver.hpp"
#include "core/reachability_check.hpp"
#include "core/standby_children.hpp"
#include "core/subtree_view.hpp"
#include "core/tree_position.hpp"
#include "core/upload_monitor.hpp"
#include "core/upstream_late.hpp"
#include "core/warm_standby.hpp"
#include "wire/messages.hpp"

namespace treecast::core {

class node {
 public:
  // `config` must be valid (node_config::validate() empty). `seed` drives
  // every random choice (nonces, sampling), so a run is reproducible.
  node(node_config config, wire::node_id_t id, std::uint64_t seed, log_sink log = {});

  node(const node&) = delete;
  node& operator=(const node&) = delete;

  // Starts the node: a non-root node starts joining.
  void start(time_point now);

  // Says goodbye on every link and closes them; the node stays idle after.
  void stop(time_point now);

  // Graceful leave: hands the children to this node's parent and ancestors
  // (Leave with handoff), keeps forwarding while they rejoin there
  // (make-before-break), and stops once they are gone or after leave_linger.
  // Without children, or at the root, the same as stop().
  void leave(time_point now);

  // True once the node has stopped (after stop() or a finished leave()).
  bool stopped() const { return stopped_; }

  // Parent lost -> the stream flowing again, for the last repairs.
  const std::vector<duration>& repair_times() const { return finder_.repair_times(); }

  // The driver's wall clock (Unix time, microseconds) read at `now`: the
  // engine's only source of wall time (invite expiry). Without it, wall
  // time is taken to be `now`.
  void on_wall_clock(std::int64_t unix_us, time_point now);

  // The driver accepted a connection from `remote`; returns its link id.
  link_id_t on_link_accepted(const wire::endpoint& remote, time_point now);

  // The connection asked for by connect_action `link` is up.
  void on_link_connected(link_id_t link, time_point now);

  // The link failed to connect or went away. Not called for links the node
  // closed itself.
  void on_link_closed(link_id_t link, std::error_code why, time_point now);

  // The driver wrote `bytes` of the frames queued to `link` (to the socket
  // or kernel). Bytes queued and not yet written count against
  // max_pending_bytes: a peer over it stopped reading and is dropped (at
  // the end of the input that queued too much). A child's chunks held for
  // room on its link go now (late binding): true when actions wait, the
  // driver drains them; false (the usual case) when there are none.
  bool on_link_written(link_id_t link, std::size_t bytes, time_point now);

  // Bytes arrived on `link` that complete no frame yet: the peer is alive
  // and sending (liveness counts bytes, not whole frames: a large chunk on a
  // slow link or TCP's retransmission backoff is no silence). No action
  // follows: the driver need not drain after it.
  void on_link_heard(link_id_t link, time_point now);

  // A complete frame arrived on `link` (see wire::frame_decoder). Malformed
  // frames close that link.
  void on_frame(link_id_t link, const wire::shared_bytes& frame, time_point now);

  // The driver found the link's bytes unusable (e.g. an oversize frame) and
  // stopped reading it: counted as a protocol error, logged and closed.
  void on_protocol_error(link_id_t link, std::error_code why, time_point now);

  // A decoded message arrived on `link`.
  void on_message(link_id_t link, wire::message message, time_point now);

  // Root only: a new chunk from the media source, already sealed (frame set).
  void on_source_chunk(wire::chunk c, time_point now);

  // The timer armed for next_deadline() fired (early or late calls are fine).
  void on_timer(time_point now);

  // When on_timer wants to be called next; nullopt when nothing is pending.
  std::optional<time_point> next_deadline() const;

  // Actions produced since the last call, in order.
  std::vector<action> take_actions() { return ctx_.take_actions(); }

  const wire::node_id_t& id() const { return ctx_.id; }
  const node_config& config() const { return ctx_.config; }
  bool is_root() const { return ctx_.is_root(); }
  // True when chunks flow to this node: the root always, others once accepted.
  bool attached() const;
  // Hops from the broadcaster (root = 0); meaningful when attached().
  std::uint32_t depth() const { return position_.depth(); }
  // Where this node sits in the network (its Vivaldi coordinate).
  wire::coordinate coordinate() const { return coordinate_.current(); }
  // Broadcaster .. this node; meaningful when attached().
  const std::vector<wire::node_id_t>& path() const { return position_.path(); }
  std::optional<wire::endpoint> parent_endpoint() const;
  std::size_t child_count() const { return children_.count(); }
  // Whether a warm standby we hold would replace our parent if it failed
  // now (warm_standby::covers_parent): else its failure costs a repair round.
  bool standby_covers_parent() const { return standby_.covers_parent(); }
  // Whether our parent could connect back to us (nullopt: not checked yet).
  // A node nobody can reach takes no children.
  std::optional<bool> reachable() const { return children_.reachable(); }
  // Whether link `id` is one of our reach checks (a connection back to a
  // child, to see whether others could reach it).
  bool is_reach_check(link_id_t id) const {
    const link* l = links_.find(id);
    return l != nullptr && l->kind == link_kind::reach_check;
  }
  std::size_t free_slots() const;
  // Peers in this node's subtree, itself included, as its children last reported.
  std::uint32_t subtree_size() const { return subtree_.size(); }
  // Deepest depth in this node's subtree, as its children last reported.
  std::uint32_t subtree_depth() const { return subtree_.deepest(); }
  // Viewers and relays in this node's subtree, itself included.
  std::uint32_t subtree_viewers() const { return subtree_.count(wire::peer_role::viewer); }
  std::uint32_t subtree_relays() const { return subtree_.count(wire::peer_role::relay); }
  // Chunks missed summed over this node's subtree.
  std::uint64_t subtree_chunks_missed() const { return subtree_.chunks_missed(); }
  // This node's health row, then its subtree's as its children reported
  // them (nearest first), at most `limit` rows.
  std::vector<wire::peer_health> subtree_health(std::size_t limit) const {
    return subtree_.health(limit, self());
  }
  // Time viewers' pictures stood still, summed over this node's subtree,
  // and the viewers of it whose picture ever did.
  std::uint64_t subtree_stall_ms() const { return subtree_.stall_ms(); }
  std::uint32_t subtree_peers_stalled() const { return subtree_.peers_stalled(); }
  std::uint32_t subtree_browsers() const { return subtree_.browsers(); }
  // What only the driver knows of this node's health (the wall clock's view
  // of latency, the player's buffer and stalls): reported with the next report.
  void set_local_health(const local_health& health) { subtree_.set_local_health(health); }
  // The renditions our own player plays (a viewer: the full one until told);
  // we ask our parent for them and for what our children want.
  // `narrow_downlink`: we play less than the full rendition because our
  // downlink does not carry it: we take no children meanwhile.
  void want_renditions(wire::rendition_set set, bool narrow_downlink, time_point now);
  wire::rendition_set renditions_asked() const { return renditions_.upstream(); }
  // Our downlink as our first join timed it (node_config's
  // rendition_for_downlink); nullopt when not timed.
  const std::optional<link_timing::measure>& downlink() const { return finder_.downlink(); }

  const chunk_window& window() const { return forwarder_.window(); }
  const counters& stats() const { return ctx_.stats; }

 private:
  void handle(link_id_t id, link& l, wire::hello&& m);
  void handle(link_id_t id, link& l, wire::join_request&& m);
  void handle(link_id_t id, link& l, wire::join_accept&& m);
  void handle(link_id_t id, link& l, wire::join_redirect&& m);
  void handle(link_id_t id, link& l, wire::chunk&& m);
  void handle(link_id_t id, link& l, wire::heartbeat&& m);
  void handle(link_id_t id, link& l, wire::leave&& m);
  void handle(link_id_t id, link& l, wire::ping&& m);
  void handle(link_id_t id, link& l, wire::pong&& m);
  void handle(link_id_t id, link& l, wire::path_update&& m);
  void handle(link_id_t id, link& l, wire::report&& m);
  void handle(link_id_t id, link& l, wire::candidates_request&& m);
  void handle(link_id_t id, link& l, wire::candidates&& m);
  void handle(link_id_t id, link& l, wire::standby_request&& m);
  void handle(link_id_t id, link& l, wire::standby_offer&& m);
  void handle(link_id_t id, link& l, wire::have&& m);
  void handle(link_id_t id, link& l, wire::fetch&& m);
  void handle(link_id_t id, link& l, wire::move&& m);
  void handle(link_id_t id, link& l, wire::reachability&& m);
  void handle(link_id_t id, link& l, wire::subscribe&& m);

  // Every input: set the time first, close links that overflowed last.
  void begin_input(time_point now) { ctx_.now = now; }
  void end_input();
  // Asks our parent and standby for what we and the peers below us want.
  void ask_for_renditions();
  // A child (or standby child) that said its downlink is narrow is sent no
  // faster than it carries (child_pacing), from now on.
  void pace_child(link_id_t id, const link& l);

  self_view self() const {
    return {attached(), free_slots(), finder_.site_entry_hops(), finder_.site_entry_tag(),
            room_for_strong()};
  }
  // Full and settled (attached, no child moving out or slot kept): a joiner
  // may yet be given a child's place (capacity_policy).
  bool may_give_place() const;
  // What a joiner of any place must accept to be given one: 0 = none.
  std::uint32_t room_for_strong() const;
  bool joining() const { return !is_root() && running_ && !position_.has_parent(); }
  void attach(link_id_t id, link& l, std::uint32_t parent_depth,
              std::vector<wire::node_id_t> parent_path, duration parent_root_delay,
              std::uint32_t parent_site_entry_hops);
  void detach(const wire::endpoint& lost, const std::optional<wire::node_id_t>& lost_id);
  // A standby that offers while we look for a parent replaces the round.
  void promote_late_standby();
  // Measures the parent against the standby's Haves: a late chunk is
  // fetched from the standby, a parent later still is left for it.
  void check_parent_pace();
  // The parent fell behind the warm standby: switch to it, taking the old
  // parent's chunks until the standby accepts.
  void leave_lagging_parent();
  // The parent sent nothing for parent_silence_misses child heartbeat
  // intervals and two round trips: the standby if it is heard from, else a
  // repair round, while the parent may still feed us
  // (parent_silence_deadline() is when).
  void leave_silent_parent();
  std::optional<time_point> parent_silence_deadline() const;
  // How many beats a parent or standby may miss (silence_rule.hpp): more on
  // a downlink our player found narrow (our own queue delays all).
  int silence_misses() const;
  // The upstream-late notice (upstream_late.hpp): from when the stream
  // counts as stopped above us (our parent half way to being replaced by a
  // standby that has the stream, or lost and being replaced: now) while we
  // have children to tell, nullopt when it does not; whether it is now;
  // when to look again; the notice to every child, at most every
  // notice_interval.
  bool may_tell_children() const;
  std::optional<time_point> upstream_late_from() const;
  bool upstream_late() const;
  std::optional<time_point> upstream_late_deadline() const;
  void tell_children_if_upstream_late();
  // Each child and standby child hears from us at least every
  // child_heartbeat_interval (a heartbeat when nothing else went): it tells
  // us dead from a stream that stopped above us within
  // parent_silence_misses of those. When the next one is due; sending those
  // due.
  std::optional<time_point> next_child_heartbeat() const;
  void heartbeat_idle_children();
  // Each child's and standby child's link, and how often it hears from us
  // at least.
  template <typename F>
  void for_each_downstream_link(F&& f) const {
    for (const auto& [id, c] : children_) {
      if (const link* l = links_.find(id)) {
        f(id, *l, ctx_.config.child_heartbeat_interval);
      }
    }
    standby_children_.for_each_link([&](link_id_t id, duration beat) {
      if (const link* l = links_.find(id)) {
        f(id, *l, beat);
      }
    });
  }
  // Links are swept (heartbeats, timeouts) twice a heartbeat interval: a
  // link idle for just under an interval at one sweep gets its heartbeat
  // at the next, so a peer hears from us at least every 1.5 intervals.
  duration sweep_interval() const { return ctx_.config.heartbeat_interval / 2; }
  // Make-before-break: the parent on `id` is left but keeps feeding us until
  // a new one accepts; its subtree is no home meanwhile; the repair is timed
  // from now.
  void move_off_parent(link_id_t id, const link& l);
  // The warm standby on `standby` replaces the lost parent `lost`; should it
  // refuse or fall silent, the next one held (heard since `heard_since`).
  void promote(link_id_t standby, std::optional<wire::node_id_t> lost,
               std::vector<wire::endpoint> fallback,
               std::optional<time_point> heard_since = std::nullopt);
  // Where a joiner on `l`, sitting at `where`, fits instead of here.
  wire::join_redirect redirect_for(const link& l, std::string reason,
                                   const std::optional<wire::coordinate>& where = std::nullopt);
  // Where a would-be standby child on `l`, whose path is `path`, may be held
  // instead: peers with a free slot, none on its path or below it.
  wire::join_redirect standby_redirect_for(const link& l, std::string reason,
                                           std::span<const wire::node_id_t> path);
  wire::standby_offer standby_offer();
  // What a child is told of where we hang (JoinAccept, then PathUpdate).
  wire::path_update lineage_for(link_id_t child);
  // Full: the child that gives way to the joiner on `l` (capacity_policy),
  // if it is clearly stronger and no other child is moving out.
  std::optional<link_id_t> child_giving_way(const link& l, const wire::join_request& m) const;
  // Where we sit: our label and coordinate.
  place here() const { return {ctx_.config.site, coordinate_.current()}; }
  // Whether a rise may find us a place above our parent (parent_improver):
  // we are strong (clearly stronger than the parent, or nearer than a
  // child of an ancestor: parent_finder decides which).
  bool may_rise() const;
  // Whether one of our slots is kept for the peer on `l` (it is moving
  // below us from a parent that gave its place to us).
  bool slot_kept_for(const link& l) const;
  // Asks `child` to move below the joiner on `joiner` (Move).
  void move_out(link_id_t child, const link& joiner);
  // A child we cannot feed (upload_monitor) is asked to move to a peer
  // with room (its backups), make-before-break; one at a time.
  void hand_off_slow_child(link_id_t child);
  // Playing below the full rendition: our children go elsewhere, one at a time.
  void shed_children_of_narrow_downlink();
  // Our slots bounded by what our uplink carried when timed (link_timing).
  void bound_slots_by_uplink();
  // Asks `child` to move to a peer with room (Move), one at a time.
  void hand_off_child(link_id_t child, const std::string& why);
  // Tells the peer where to go instead (JoinRedirect) and closes its link.
  void send_away(link_id_t id, const wire::join_redirect& redirect);
  void finish_leave();
  void send_path_updates();
  // Standby children of one parent beyond what we could still take if it
  // failed (a child took a free slot since they were held) are sent to
  // peers with room now, not when their parent fails.
  void release_standby_children_beyond_room();
  // False (and the asker told and dropped) when a candidate `query` or a
  // join is over its bound (join_gate).
  bool within_join_rate(link_id_t id, bool query);
  // `from_parent`: the chunk came down the tree (not a gap fill).
  void accept_chunk(shared_chunk c, bool from_parent);
  void protocol_error(link_id_t id, std::error_code why);
  // Closes the link for `why` and fails the join round that relied on it.
  void drop(link_id_t id, std::error_code why);
  // Tells the peer `reason` (Leave) and closes its link.
  void turn_away(link_id_t id, const std::string& reason, node_errc why);
  // The peer's invite does not admit it: tell it why and drop it.
  void refuse(link_id_t id, const link& l, const std::string& why);
  void close_link(link_id_t id, std::error_code why);
  // The link is gone: every part that held it lets go.
  void forget(link_id_t id);

  node_context ctx_;
  link_table links_;
  network_coordinate coordinate_;  // where we sit in the network
  capacity_policy capacity_;
  tree_position position_;
  rendition_subscriptions renditions_;  // which renditions go where
  children children_;
  reachability_check reach_;  // whether others can reach our new children
  upload_monitor uploads_;    // whether our children keep up with the stream
  subtree_view subtree_;
  forwarder forwarder_;
  parent_finder finder_;
  join_gate joins_;                    // joins and candidate queries served
  warm_standby standby_;               // our standby parent
  standby_children standby_children_;  // peers we are the standby of
  parent_improver improver_;           // when to look for a sooner parent

  bool running_ = false;
  bool leaving_ = false;
  bool stopped_ = false;
  std::optional<time_point> leave_deadline_;
  std::optional<time_point> next_heartbeat_;
  upstream_late_notice upstream_notice_;
  std::optional<time_point> next_backups_;
};

}  // namespace treecast::core
