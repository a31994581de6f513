// This node's warm standby parent: a peer outside its parent's subtree that
// holds it as a standby child (standby_children on its side). The link is
// up, admitted and asked, so that replacing a failed parent costs one
// JoinRequest, not a connect, a TLS handshake and a probe round across the
// WAN; and the standby announces each chunk it gets (Have), so a parent
// that falls behind it is noticed from the stream itself within about a
// chunk, not after missed heartbeats.
//
// Where a standby comes from: the runner-up of the join round that found
// the parent (already probed, adopt()); else the ancestors above the parent,
// nearest first, and the peers with room that a full one names (its
// JoinRedirect), at most max_standby_tries a round, then again after
// standby_retry. One that offers after the parent was lost, while the node
// still probes for another, is joined at once (node.cpp). One that has not
// answered within probe_timeout is passed over for the next (it may be
// frozen: drop_if_unanswered). An offer is declined when the holder has no
// room or its path holds this node (a loop) or the parent (it would fail
// with it; the broadcaster excepted, on every path). A holder that fills up
// later keeps us while we fit in its headroom, else sends us on
// (JoinRedirect).
//
// The parent's usual lag behind the standby (signed: negative when the
// parent is usually first) turns each Have into the time the parent's copy
// is due. Gap fill: gap_fill_tolerance past that, the parent silent as long,
// the chunks the standby announced are fetched from it (Fetch, each once),
// so the picture goes on while the parent may yet catch up. Sooner still,
// by the stream's own pace (parent_pace): a parent pace_fetch_tolerance
// late with its next chunk has the next ones fetched before any Have, and
// the standby sends each as it comes. Suspicion
// (parent_behind): parent_lag_tolerance past it, the parent silent as long,
// the standby replaces the parent. Silent here means no bytes but
// heartbeats: a heartbeat says the parent lives and its link is empty, not
// that a long chunk is on its way, and a parent heartbeats its idle
// children often (child_heartbeat_interval). A chunk the standby sent us
// that the parent has not is proof as good as a Have: its copy was due by the
// parent's pace, and parent_lag_tolerance past that the standby replaces
// it (a Have may be late or, spaced by standby_have_interval, never come
// for that chunk). A live parent whose own upstream stalled is kept
// while it says so (Heartbeat.upstream_late, upstream_late.hpp: it is
// nearer the failure and back within its own switch), the gap fill going on
// meanwhile; if it says so longer than upstream_hold::max_hold, it is left
// as well: the standby has the stream, so it is the better parent now.
//
// Two of them: a standby can fail with the parent (frozen or gone at the
// same moment, or found silent, or moved below the parent, just before),
// and then the parent's failure costs the viewers below a repair round,
// longer than their buffer. So a second standby is held as the first is
// (asked of the same peers, never below the first), announced to more
// sparsely (a Have each second_standby_have_interval), and kept
// alive-checked; it replaces the first when that is dropped, and the
// parent when the first cannot (silent too, or below the lost parent) or
// turns us away at the JoinRequest (parent_finder asks it next,
// node::promote). Measured in the simulator, double failures of this kind
// were most of the stalls left once the first standby and the silence rule
// were in place.
//
// Kept near: a switch stops the stream for the standby's round trip (the
// JoinRequest out, its first chunk back), or for its trail behind the
// parent when longer (its switch gap). A held standby that trails the
// parent's stream by more than standby_max_trail (the median of recent
// chunks), or is more than standby_max_rtt away, would cost the viewers
// below that much of their buffer when it takes over. The second's switch
// gap is measured too, and the two swap places when the second's is
// shorter by swap_margin; when it is no shorter while the first is
// slow, the next peer is asked in the second's place (the ancestors, then
// the peers with a free slot they name), make-before-break: the first
// serves until then. Searches that find nothing sooner come ever less
// often, until the parent changes.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "core/chunk_window.hpp"
#include "core/link_table.hpp"
#include "core/link_timing.hpp"
#include "core/node_context.hpp"
#include "core/parent_pace.hpp"
#include "core/rendition_subscriptions.hpp"
#include "core/standby_lead.hpp"
#include "core/tree_position.hpp"
#include "core/upstream_late.hpp"

namespace treecast::core {

class warm_standby {
 public:
  warm_standby(node_context& context, link_table& links, const tree_position& position,
               const chunk_window& window, const rendition_subscriptions& renditions,
               const link_timing& timing)
      : ctx_(context),
        links_(links),
        position_(position),
        window_(window),
        renditions_(renditions),
        timing_(timing) {}

  // The link of the standby held (its offer taken), if any.
  std::optional<link_id_t> held() const;

  // A connected, admitted link (the join round's runner-up): ask it.
  void adopt(link_id_t id);

  // Attached to a new parent: a standby below it is dropped; one is looked
  // for at once when there is none.
  void on_attached();

  // The held standby, if it can replace the lost parent `lost` (its path
  // clear of it) and, with `heard_since`, was heard after then, is handed
  // over (the link is no longer the standby's) for a JoinRequest; else the
  // second, if it can; nullopt otherwise.
  std::optional<link_id_t> take_for(const std::optional<wire::node_id_t>& lost,
                                    std::optional<time_point> heard_since = std::nullopt);

  // Messages on a standby link. False when out of place (a protocol error).
  bool on_offer(link_id_t id, link& l, wire::standby_offer&& m);
  bool on_have(link_id_t id, const wire::have& m);
  // The asked peer refused, naming peers with room: they are asked next.
  bool on_redirect(link_id_t id, const wire::join_redirect& m);
  void on_connected(link_id_t id);
  // The link is gone (either side): look for another.
  void on_link_gone(link_id_t id);

  // A chunk came from the parent: its lag behind the standby, for the tolerance.
  void on_parent_chunk(const wire::chunk& c);
  // When the parent is late (see above): Fetch the missing chunks from the
  // standby; `parent_heard` is when the parent last sent anything but a
  // heartbeat (link::last_stream_heard: a long chunk may still be arriving).
  void fill_gap(time_point parent_heard);
  // Whether a chunk `seq` on link `id` is one this node fetched.
  bool fetched(link_id_t id, wire::seq_t seq) const;
  // A fetched chunk came from the standby: proof that it has the stream,
  // as a Have would be, for the parent's copy is not here yet.
  void on_fetched_chunk(wire::seq_t seq);
  // True when the parent fell behind the standby (see above); `parent_heard`
  // as for fill_gap.
  bool parent_behind(time_point parent_heard);
  // How far behind the standby the parent is (zero when it is not).
  duration parent_lag() const;
  // The parent's chunk interval (parent_pace), once enough chunks came.
  std::optional<duration> parent_chunk_interval() const { return pace_.interval(); }
  // The parent said the stream stopped above it too (upstream_late.hpp):
  // it is not left for falling behind while that holds.
  void on_upstream_late() { hold_.on_notice(ctx_.now); }
  // Whether a held standby, the first or the second, could replace the
  // parent if it failed now (its path clear of it): what take_for would
  // find, the standbys' own silence aside.
  bool covers_parent() const;
  // Whether the held standby could replace the parent (its path clear of
  // it) and showed a chunk the parent has not sent (a Have, or a fetched
  // chunk): the parent will be replaced within the lag tolerance, not after
  // a repair round, and not by a standby that waits for the stream as well.
  bool standby_ahead() const {
    return can_replace(parent_id()) && (!lead_.pending().empty() || fetched_unsent_.has_value());
  }
  // When the parent's next chunk is overdue by the stream's pace, and the
  // parent quiet, half the lag tolerance: half way to the switch, when our
  // children are told (upstream_late_notice). nullopt while the pace is
  // not known.
  std::optional<time_point> parent_overdue_at(time_point parent_heard) const;

  // The held standby heard nothing for `misses` of its beats and two round
  // trips (silence_rule.hpp; a holder heartbeats its idle standby children
  // as its children, and sends a Have per chunk): frozen or gone, it could
  // not replace the parent, and the parent's failure would find it so only
  // then (a repair round instead of a switch). When; and dropping it, not
  // asking it again for a while, and looking for another.
  std::optional<time_point> silent_at(int misses) const;
  void drop_if_silent(int misses);
  // A peer asked to be a standby that has not answered (offer or redirect)
  // within probe_timeout of being asked, or of its link opening (a frozen
  // process accepts and says nothing; a vanished host drops the SYN until
  // the 3 s connect timeout): given up, not asked again for a while, and
  // the next asked, so that no switch or failure finds the only standby
  // still waiting for its answer (deadline() includes when).
  void drop_if_unanswered();

  void stop();
  std::optional<time_point> deadline(std::optional<time_point> parent_heard) const;
  void on_timer();

 private:
  enum class state { none, asking, held };

  // The second standby (see above), on its own link.
  struct second_standby {
    explicit second_standby(link_id_t id) : link(id) {}
    link_id_t link = 0;
    bool asked = false;                    // the StandbyRequest went out
    bool held = false;                     // it offered: it can take over
    bool outrun = false;                   // measured no sooner than a first slow to take over
    std::optional<time_point> answer_due;  // asked, not answered: given up then
    std::vector<wire::node_id_t> path;
    standby_lead lead;
  };

  // Forgets the standby link and what it told (the link itself is the
  // caller's to close); reset() forgets the round of targets too.
  void forget_link();
  void reset();
  void ask_next();
  // Sends our StandbyRequest on `id` (as the second standby, Haves only
  // every second_standby_have_interval) and marks it `asked`; or again on a
  // held link whose role changed. An ask is answered by then (`due`).
  void request(link_id_t id, bool& asked, std::optional<time_point>& due, bool second = false);
  // When an ask opened or sent now is given up unanswered (see above).
  time_point answer_due() const { return ctx_.now + ctx_.config.probe_timeout; }
  void send_request(link_id_t id, bool second);
  // How often a held standby's link carries something (its chunk pace, or
  // the second's Have interval); nullopt while the pace is unknown.
  std::optional<duration> beat_of(link_id_t id) const;
  // When the held standby on `id` counts as silent (silence_rule.hpp).
  time_point silent_time(link_id_t id, int misses) const;
  void fill_targets();
  // Appends the ancestors a standby is asked of (see fill_targets).
  void ancestors_to_ask(std::deque<wire::endpoint>& targets) const;
  void drop(std::error_code why);
  // Not to be asked until pass_over_memory from now: at all when it fell
  // silent, else (no sooner) when a sooner standby is looked for; whether
  // it is not.
  void pass_over(const wire::endpoint& peer, bool silent);
  bool passed_over(const wire::endpoint& peer, bool for_sooner) const;
  // The parent's usual lag behind the standby (the largest recent one; long
  // until enough are known).
  duration usual_lag() const;
  // Whether a standby whose path is `path` may serve us (not below our
  // parent, not below us).
  bool usable(const std::vector<wire::node_id_t>& path) const;
  // What a switch to a standby would cost the viewers below: the stream
  // stops for the round trip of the JoinRequest (the first chunk comes back
  // on it), or for the standby's trail behind the parent when longer.
  // nullopt until its lead is known.
  std::optional<duration> switch_gap(const standby_lead& lead, link_id_t id) const;
  // The second standby (see above): why the first is slow to take over, if
  // it is; look for a second when none is held, or for a sooner one in its
  // place; ask the next target; its offer; swap the two when the second's
  // switch gap is shorter; a search ended (paused, ever longer when it
  // found nothing sooner); whether a standby on `path` would fail with the
  // first; the second in the first's place; close it.
  bool slow_to_take_over() const;
  std::string why_slow() const;  // for the log, when it is
  void weigh_standbys();         // a lead changed: swap, or look for another
  void look_for_second();
  std::optional<time_point> second_search_due() const;
  void ask_next_second();
  void on_second_offer(const link& l, wire::standby_offer&& m);
  void weigh_second();
  void end_search();
  bool fails_with_first(const std::vector<wire::node_id_t>& path) const;
  void swap_with_second();
  void promote_second();
  void become_first(second_standby&& next);  // its link, state, path and lead as the first's
  void drop_second(std::error_code why);
  // The held standby on `id` is silent (silence_rule.hpp): logged,
  // counted, and passed over for a while.
  bool silent(link_id_t id, int misses);
  // Whether the held standby can replace `lost` (its path clear of it).
  bool can_replace(const std::optional<wire::node_id_t>& lost) const;
  // The same for the second standby.
  bool second_can_replace(const std::optional<wire::node_id_t>& lost) const;
  // When the parent, last heard at `parent_heard`, is `tolerance` late with
  // the oldest chunk the standby announced and it has not sent.
  std::optional<time_point> late_by(duration tolerance, time_point parent_heard) const;
  // The same for a chunk the standby sent us (fetched) and the parent has
  // not: its copy was due by the parent's pace.
  std::optional<time_point> late_with_fetched(duration tolerance, time_point parent_heard) const;
  // Their common rule: the standby showed it has the chunk at `proof`, the
  // parent's copy was expected at `expected`.
  time_point late_after(time_point proof, time_point expected, duration tolerance,
                        time_point parent_heard) const;
  // The oldest announced chunk the parent has not sent and we have not
  // fetched.
  std::optional<wire::seq_t> first_to_fetch() const;
  // When the next chunks are fetched by the parent's pace (see above):
  // nullopt without a pace, a standby that could replace the parent, or
  // once done for the parent's newest chunk.
  std::optional<time_point> paced_fetch_due(time_point parent_heard) const;
  void fetch_by_pace(time_point parent_heard);
  // The time a lag deadline `due` takes effect: not while the parent's
  // notice holds.
  std::optional<time_point> after_hold(std::optional<time_point> due) const;
  // parent_lag_tolerance and pace_fetch_tolerance, at least 3/4 and 1/5 of
  // the parent's chunk interval.
  duration lag_tolerance() const;
  duration pace_tolerance() const;
  // `floor`, or num/den of the parent's chunk interval when that is longer.
  duration at_least_share_of_pace(duration floor, int num, int den) const;
  // Sends Fetch{from, count} on the standby link and records it.
  void send_fetch(wire::seq_t from, std::uint32_t count);
  std::optional<wire::node_id_t> parent_id() const;

  static constexpr std::size_t arrivals_kept = 64;
  // How far back from the standby's newest chunk a gap is fetched: older
  // chunks than that would play too late to matter (1 s at a chunk per
  // frame).
  static constexpr wire::seq_t fetch_reach = 4 * wire::max_fetch_chunks;
  // The parent's lag assumed until the standby's lead is known.
  static constexpr duration unknown_lag = std::chrono::milliseconds(300);
  // The second swaps places with the first only when this much sooner (noise).
  static constexpr duration swap_margin = std::chrono::milliseconds(20);
  // Peers measured no sooner than the standby: not asked again for this
  // long (paths change), and at most this many remembered (passed_over_).
  // Likewise a standby that fell silent (frozen, gone): asked again, it
  // would take a try and a connect timeout.
  static constexpr duration pass_over_memory = std::chrono::seconds(60);
  static constexpr std::size_t passed_over_kept = 8;
  // Searches that found nothing sooner double the pause before the next,
  // up to 2^this times standby_challenge_pause (10 s -> 80 s): where no
  // sooner standby exists, asking every 10 s was the largest control cost
  // of a settled tree (connect, hello, request, redirect, six times). A new
  // parent or a sooner standby starts again from the pause.
  static constexpr int max_search_backoff = 3;

  node_context& ctx_;
  link_table& links_;
  const tree_position& position_;
  const chunk_window& window_;
  const rendition_subscriptions& renditions_;  // what gap fills carry
  const link_timing& timing_;                  // our downlink, told the holder

  state state_ = state::none;
  std::optional<link_id_t> link_;
  bool asked_ = false;                    // the StandbyRequest went out on link_
  std::optional<time_point> answer_due_;  // asked (or its link opening), not answered
  std::vector<wire::node_id_t> path_;
  standby_lead lead_;                           // the held standby's, against the parent
  std::map<wire::seq_t, time_point> arrivals_;  // seq -> when the parent sent it, recent
  struct fetch_record {
    link_id_t link;
    wire::seq_t from;
    wire::seq_t end;  // the chunks [from, end) were asked for on `link`, in one or more Fetches
  };
  std::optional<fetch_record> fetch_;  // the latest (kept when the link is promoted)
  // The oldest fetched chunk the parent has not sent yet, and when it came.
  std::optional<std::pair<wire::seq_t, time_point>> fetched_unsent_;
  parent_pace pace_;                        // of the parent's chunks
  std::optional<wire::seq_t> paced_after_;  // the parent's newest chunk at the last paced fetch
  upstream_hold hold_;                      // of the parent's upstream-late notices
  std::optional<time_point> held_episode_;  // the episode a parent behind was last kept in
  std::deque<wire::endpoint> targets_;      // to ask next, this round
  int tries_ = 0;                           // asked this round
  std::optional<time_point> next_round_;

  std::optional<second_standby> second_;
  std::deque<wire::endpoint> second_targets_;     // to ask next, this search
  int second_tries_ = 0;                          // asked this search
  bool sooner_wanted_ = false;                    // this search is for a sooner one
  std::optional<time_point> next_second_search_;  // none started before then
  int fruitless_searches_ = 0;  // in a row: each doubles the pause, up to max_search_backoff
  // Not asked, as either standby, until then: measured no sooner, or silent.
  struct passed {
    wire::endpoint peer;
    time_point until;
    bool silent = false;
  };
  std::deque<passed> passed_over_;
};

}  // namespace treecast::core
