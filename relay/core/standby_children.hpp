// The peers this node holds as standby children: each keeps a link to us,
// outside its own parent's subtree, so that it can switch to us with one
// JoinRequest when its parent fails. We tell each what we hold as we get it
// (Have, a few bytes per chunk), so that it notices its parent falling
// behind within a chunk or standby_have_interval, and our position whenever
// it changes (StandbyOffer, so it never holds a standby that has moved below
// it or below its parent).
//
// A standby child whose parent is late may fetch the chunks we announced
// (gap fill, Fetch), or the next ones before we have them (they go as they
// come), each chunk once: it costs at most what a child costs.
// Asking again for a chunk it had is a flood.
//
// A standby child is no child: it takes no slot and receives no chunk until
// its JoinRequest is accepted (and then leaves this set), above max_children
// if need be (standby_headroom). Children of one parent lose it together and
// switch together, so a holder takes no more of them than it has room for
// (free slots and headroom): their siblings look elsewhere. When a child
// takes a free slot later, the ones that no longer fit are sent on at once
// (beyond()), not when their parent fails.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "core/children.hpp"
#include "core/chunk_window.hpp"
#include "core/link_table.hpp"
#include "core/node_context.hpp"
#include "core/rendition_subscriptions.hpp"
#include "core/silence_rule.hpp"

namespace treecast::core {

class standby_children {
 public:
  standby_children(node_context& context, link_table& links, rendition_subscriptions& renditions,
                   const children& ours)
      : ctx_(context), links_(links), renditions_(renditions), ours_(ours) {}

  bool contains(link_id_t id) const { return held_.count(id) != 0; }
  std::size_t count() const { return held_.size(); }
  bool has_room() const { return held_.size() < ctx_.config.max_standby_children; }
  // Each standby child's link, and how often it hears from us at least: a
  // heartbeat only when no Have came for half a child heartbeat interval
  // past its Have interval (when our stream stops), so that none goes just
  // before a Have; never more often than a child's.
  template <typename F>
  void for_each_link(F&& f) const {
    for (const auto& [id, h] : held_) {
      f(id, standby_holder_beat(h.have_interval, ctx_.config));
    }
  }

  // Standby children held whose parent is `parent`.
  std::size_t of_parent(const wire::node_id_t& parent) const;
  // The renditions they asked for (what gap fills carry), together.
  wire::rendition_set wanted() const;

  // Holds the link (whose path runs from the broadcaster through its parent
  // to itself: two ids at least) and sends it `offer`. A standby child heartbeats only every
  // standby_heartbeat_interval (it only proves it is alive): its link is
  // marked so.
  void add(link_id_t id, std::vector<wire::node_id_t> path, const wire::standby_offer& offer,
           std::uint32_t have_interval_ms);
  // It asked again (StandbyRequest on its held link): Haves this often now.
  void set_have_interval(link_id_t id, std::uint32_t have_interval_ms);
  // The link became a child or went away.
  void remove(link_id_t id);
  void clear() { held_.clear(); }

  // The standby children that no longer fit when `fit` of each parent's do
  // (the ones held longest are kept), with the path each was held with.
  std::vector<std::pair<link_id_t, std::vector<wire::node_id_t>>> beyond(std::size_t fit) const;

  // A chunk was accepted: Have to every standby child, unless one went to
  // it less than its Have interval ago (at least standby_have_interval:
  // chunks may come a frame apart; longer for a second standby, which only
  // shows it lives).
  void announce(wire::seq_t seq, std::size_t free_slots);
  // Our position may have changed: the new offer to every standby child
  // that was offered something else.
  void offer_all(const wire::standby_offer& offer);

  // A standby child's Fetch: the chunks asked for that `window` holds go on
  // its link, and those it does not hold yet as they come (send_fetched).
  // False when it asked for a chunk it fetched before.
  //
  // Our children come first: while our uplink is behind with them
  // (children::uplink_behind, asked only when a fetched chunk would go) no
  // fetched chunk goes, now or as it comes (counter gap_fills_withheld).
  // A fetch costs what a child costs, and when the stream stops above many
  // peers at once every standby child of ours fetches: the extra copies made
  // our own children late, their subtrees fetched in turn, and the
  // broadcaster ended sending each chunk to 13-18 links, hundreds of viewers
  // stalling (simulator, 1 000 peers, seeds 42 and 13). A child whose fill
  // is withheld still has our Haves: its parent, if it stays late, is left
  // for us (a switch, bounded by our slots).
  bool serve_fetch(link_id_t id, const wire::fetch& m, const chunk_window& window);

  // A chunk was accepted: to each standby child that fetched it before it
  // came (each chunk once; withheld while our uplink is behind).
  void send_fetched(const wire::chunk& c);

 private:
  struct held {
    wire::node_id_t parent;                // its parent: children of one parent fail together
    std::vector<wire::node_id_t> path;     // as it asked
    std::optional<wire::seq_t> fetch_end;  // it fetched the chunks before this
    // Fetched chunks not sent yet, [from, end) each: sent as they come. A
    // later Fetch starts at or after the previous end, so ranges stay apart.
    std::deque<std::pair<wire::seq_t, wire::seq_t>> owed;
    wire::standby_offer offered;  // the last offer sent to it
    duration have_interval{};     // it asked for Haves at most this often
    std::optional<time_point> last_have;
  };

  duration have_interval(std::uint32_t asked_ms) const;

  // Fetched ranges still owed to one standby child, at most.
  static constexpr std::size_t max_owed_ranges = 4;

  void send(link_id_t id, const wire::shared_bytes& frame);
  class uplink_check;
  void send_fetched_to(link_id_t id, const wire::chunk& c, uplink_check& uplink);

  node_context& ctx_;
  link_table& links_;
  rendition_subscriptions& renditions_;  // which parts gap fills carry
  const children& ours_;                 // whose links come before gap fills
  std::map<link_id_t, held> held_;
};

}  // namespace treecast::core
