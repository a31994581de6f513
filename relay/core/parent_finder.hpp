// Finding a parent: the join procedure of every node but the root, as an
// explicit state machine, and repair and handoff as rounds of it.
//
//   querying    a join round asks the rendezvous (the invite link's
//               address; every other attempt the broadcaster when known)
//               for candidates;
//   probing     up to probe_fanout candidates are connected to and Pinged in
//               parallel, until every one answered or failed, or
//               probe_timeout, or twice the first usable answer's RTT (so
//               one candidate that never answers does not hold the round),
//               or (join and repair rounds) once no probe still unanswered
//               could be chosen over the best answer: a probe answers three
//               of its round trips after it went out, and costs at least
//               its round trip (parent_scoring::round_trip_to_beat);
//   requesting  JoinRequest went to the best answer (parent_scoring), from
//               the next sequence number the window misses. A JoinAccept
//               makes it the parent (the node attaches); a JoinRedirect
//               starts probing the redirect's candidates (descend), at most
//               max_redirects times per round. A weak newcomer (no parent,
//               no children) does not Ping them: the first to connect, the
//               nearest, is asked at once (racing_), the second kept as
//               the spare for a dead end (a redirect naming nobody);
//   backing_off a failed join round waits reconnect_min, doubling up to
//               reconnect_max, then queries again;
//   given_up    after max_join_attempts failed rounds (give_up_action).
//
// A repair round (the parent was lost) or a handoff round (the parent left
// and named where to go) starts at probing, over the grandparent, the other
// ancestors and the backups (or the handoff's targets), so repair needs no
// rendezvous; if none of them takes us, a join round follows at once.
//
// A move round (our parent took a stronger joiner in our place and asks us
// to go below it: Move) probes the peers it named, follows redirects, and
// joins the best while the parent still feeds us; if none takes us, our
// ancestors and backups once more, then peers with room the rendezvous
// names; if none of them either, the parent stays until it closes our link
// (children::move_out) and we repair.
//
// A strong joiner (capacity_policy) counts a full peer that would make room
// for it (Pong.room_for_max_children) as one with room, and says it can
// adopt (JoinRequest.can_adopt) when it has a free slot and the peer is not
// above it (the child that gives way could be our own ancestor).
//
// An improvement round (parent_improver decides when, and whom to ask)
// queries an ancestor while the parent still feeds us, probes the peers with
// room it names, and sends JoinRequest to the best only when move_policy
// says the delay through it is clearly lower; otherwise, or if anything
// fails, the round ends quietly and the parent stays.
//
// A rise round (parent_improver: we are clearly stronger than our parent,
// or strong) probes our ancestors above our parent and asks one to take us,
// saying we can adopt unless we are over our slots already (the child
// giving way may be our own ancestor: it comes below us once we have left
// its subtree): the grandparent if we are
// clearly stronger than our parent and it has room or would make room for
// us (Pong.room_for_max_children), unless that would leave a parent of our
// site for one of another (the WAN would carry the stream once more; a
// parent adopted below us keeps it once); else the one through which the
// stream comes soonest, among those with room or that would give us a
// farther child's place (Pong.room_within_rtt_us: capacity_policy's nearer
// strong peers up), if move_policy says it is worth moving.
//
// Exclusions: a candidate with this node on its path (a loop), one below the
// parent being left (its subtree is going away; unless that parent is the
// broadcaster, above everyone) and one that sent a forged chunk are never
// chosen.
//
// The finder owns its links (rendezvous, probes, the requested one) until
// one becomes the parent; the node tells it when any of them goes away.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/children.hpp"
#include "core/chunk_window.hpp"
#include "core/link_table.hpp"
#include "core/link_timing.hpp"
#include "core/move_policy.hpp"
#include "core/network_coordinate.hpp"
#include "core/node_context.hpp"
#include "core/parent_scoring.hpp"
#include "core/peer_claims.hpp"
#include "core/rendition_subscriptions.hpp"
#include "core/site_inference.hpp"
#include "core/tree_position.hpp"

namespace treecast::core {

class parent_finder {
 public:
  enum class phase { idle, querying, probing, requesting, backing_off, given_up };

  // Every probe's round trip places `coordinate`.
  parent_finder(node_context& context, link_table& links, const tree_position& position,
                const children& kids, const chunk_window& window, network_coordinate& coordinate,
                rendition_subscriptions& renditions);

  phase current() const { return phase_; }
  // Our downlink as the first join timed it; nullopt when not (yet) timed.
  const std::optional<link_timing::measure>& downlink() const { return timing_.measured(); }
  const link_timing& timing() const { return timing_; }
  std::optional<double> uplink_kbps() const { return timing_.uplink_kbps(); }
  bool uplink_hidden() const { return timing_.uplink_hidden(); }
  const std::vector<std::uint32_t>& rates_seen() const { return timing_.rates_seen(); }

  // The node runs (start) or has stopped (stop: every round abandoned).
  void start();
  void stop();

  // A join round: query the rendezvous.
  void start_join();
  // The parent was lost: probe its replacements, or query when there are none.
  void start_repair(const std::vector<wire::endpoint>& targets);
  // The parent left and handed us `targets`: probe them (its link keeps
  // feeding us meanwhile).
  void start_handoff(const std::vector<wire::endpoint>& targets);
  // The parent is being replaced by the warm standby on `standby` (a link up
  // and admitted): JoinRequest on it at once. If it cannot take us, or says
  // nothing for longer than its holder ever does (promotion_quiet_limit: it
  // froze with the parent), the next standby `next_standby` hands over (a
  // link up, a slot offered: one round trip), if any; else a repair round
  // over the peers it names and `fallback` follows.
  using standby_source = std::function<std::optional<link_id_t>()>;
  void start_promotion(link_id_t standby, std::vector<wire::endpoint> fallback,
                       standby_source next_standby);

  // While attached and idle: ask `ancestor` for peers with room and move to
  // one if the stream comes clearly sooner through it (see above).
  // `site_gathering`: we are where the stream enters our site, and ask for
  // peers of our site (parent_improver).
  void start_improvement(const wire::endpoint& ancestor, bool site_gathering);
  // While attached and idle: ask our ancestors above our parent to take us
  // (see above).
  void start_rise();
  // Whether we are clearly stronger than our parent (a rise to the
  // grandparent: parent_improver).
  bool outranks_parent() const;
  // Our parent gave our slot to a stronger joiner: join one of `targets`
  // (it first) while the parent still feeds us.
  void start_move(const std::vector<wire::endpoint>& targets);
  bool idle() const { return phase_ == phase::idle; }
  // Parentless and not yet asking anyone to take us: querying the
  // rendezvous, probing or backing off (a standby that offers now is
  // sooner: one JoinRequest on a link already up).
  bool seeking_candidates() const {
    return joining() &&
           (phase_ == phase::querying || phase_ == phase::probing || phase_ == phase::backing_off);
  }
  // Our JoinRequest is out to the warm standby that replaces our lost
  // parent: back within its round trip, as a rule.
  bool promoting() const {
    return joining() && phase_ == phase::requesting && round_ == round_kind::promotion;
  }
  // Whether our parent is of our site (site_inference).
  site_match parent_site() const;
  // Hops up to where the stream enters our site (tree_position.hpp's
  // site_entry): one more than our parent's when it is surely of our site,
  // else 0 (the stream enters it through us).
  std::uint32_t site_entry_hops() const;
  // site_entry::tag() of that entry; 0 when we cannot tell our site.
  std::uint32_t site_entry_tag() const;
  std::optional<site_entry> our_site_entry() const;

  // The runner-up of the last probe round, kept open to become the warm
  // standby (connected, admitted, not below the chosen parent); once, when
  // the chosen peer has answered: until then it is the one asked next if
  // that peer turns us away or goes (ask_spare_instead). Not the second
  // peer up in a race (not Pinged: it may be below the chosen one).
  std::optional<link_id_t> take_spare() {
    return phase_ == phase::requesting || spare_raced_ ? std::nullopt
                                                       : std::exchange(spare_, std::nullopt);
  }

  // One of the finder's links is up: ask it (candidates or a ping).
  void on_connected(link_id_t id, link& l);
  // Messages on the finder's links. False when the message is out of place
  // (a protocol error for the node to close the link with).
  bool on_candidates(link_id_t id, link& l, wire::candidates&& m);
  bool on_pong(link_id_t id, link& l, wire::pong&& m);
  bool on_redirect(link_id_t id, link& l, wire::join_redirect&& m);

  // A link went away (closed by either side): a probe counts as answered.
  void on_link_gone(link_id_t id, link_kind kind);
  // The driver reported the link failed or closed: the round it served fails.
  void on_link_failed(link_kind kind, const std::error_code& why);

  // The current round cannot succeed: try again (after a backoff), or give up.
  void failed(const std::string& why);

  // Nothing can succeed (the link is not for this stream, our invite is
  // refused): stop joining, and tell the driver why (give_up_action).
  void give_up(const std::string& why);

  // A peer we asked answered with Leave instead. "busy: ..." (a join rate
  // bound) from the rendezvous: try again after a jittered backoff that does
  // not count as a failed attempt (a flash crowd is not a failure).
  // "refused: ..." from the rendezvous: our invite does not admit us; give
  // up at once, naming why (from any other peer it could be a lie meant to
  // make us give up). From the peer we asked to join: the round failed. From
  // a probe: that candidate is gone from this round.
  void on_turned_away(link_kind kind, const std::string& reason);

  // `id` (the requested link) accepted us; the round is over.
  void on_attached(link_id_t id);

  // The parent is being lost: time the repair from now.
  void repair_started(const wire::endpoint& lost_parent);
  // A new chunk arrived, from anyone (the new parent, a fetch during the
  // switch, the old parent feeding us meanwhile): a repair, if any, is done.
  void stream_resumed();
  // Parent lost -> the stream flowing again, for the last repairs.
  const std::vector<duration>& repair_times() const { return repairs_; }

  // Never choose `id`'s subtree while leaving it (reset once attached).
  void avoid(const wire::node_id_t& id) { avoid_ = id; }
  // Never choose this peer again (it sent a forged chunk).
  void ban(const wire::endpoint& where, const std::optional<wire::node_id_t>& id);
  // Do not choose this peer, by address or by id, for distrust_period (it
  // starved us or lied about its place).
  void distrust(const wire::endpoint& where, const std::optional<wire::node_id_t>& id);
  bool trusted(const wire::endpoint& where, const wire::node_id_t& id) const;

  std::optional<time_point> deadline() const;
  void on_timer();

 private:
  enum class round_kind {
    join,       // through the rendezvous
    repair,     // ancestors and backups, or a handoff's targets
    promotion,  // the warm standby, asked directly
    improve,    // attached: looking for a parent through which the stream comes sooner
    move,       // attached: the parent asked us to go below a stronger joiner
    rise,       // attached: asking an ancestor above our parent to take us
  };

  struct probe {
    time_point ping_sent{};
    std::uint64_t nonce = 0;
    std::optional<wire::pong> answer;
  };

  bool joining() const;
  // The chosen peer turned us away (`why`) or went, while we have no parent:
  // the round's runner-up, probed and still connected, is asked at once (one
  // round trip), not the peers a redirect names or a new round (a connect,
  // a handshake and a probe each, and a wait for the slowest: 0.5-1 s in
  // the simulator, while the stream stood still). True when it was.
  bool ask_spare_instead(const std::string& why);
  // A racing probe connected (racing_): the first is asked at once, the
  // second kept as the spare.
  void on_racer_connected(link_id_t id, link& l);
  // A promotion refused (`why`): the JoinRequest on the next standby, if any.
  bool ask_next_standby(const std::string& why);
  // An improvement or move round: the parent feeds us meanwhile.
  bool while_attached() const {
    return round_ == round_kind::improve || round_ == round_kind::move ||
           round_ == round_kind::rise;
  }
  void fail_round(const std::string& why, bool counts);
  // An improvement or move round found nothing, or failed: the parent stays.
  void end_attached_round(const std::string& why);
  // Never a parent: below us (a loop), below the parent we are leaving (its
  // subtree is going away), banned or distrusted.
  bool excluded(const link& l, const wire::pong& answer) const;
  // A full peer that answered `answer` on `l` would take us all the same.
  bool makes_room_for_us(const link& l, const wire::pong& answer) const;
  // Whether the probed peer `r` (on link `id`), full, gives us a weaker
  // child's place and the stream comes no later through it than through
  // our parent (`current`): a strong peer takes it whatever the gain, so
  // relays end up above viewers all the way up (relays first, as a planner
  // with full knowledge builds the tree).
  bool takes_weaker_place(const probe_result& r, link_id_t id,
                          const move_policy::option& current) const;
  // Whether we can take a child of `l`'s peer in our place.
  bool can_adopt_from(const link& l) const;
  // The parent as move_policy sees it.
  move_policy::option current_option() const;
  // Whether a peer labelled `site`, at `where` if it told, `rtt` away if
  // measured, is of our site.
  bool of_my_site(const std::string& site, const std::optional<wire::coordinate>& where,
                  std::optional<duration> rtt) const;
  // Our coordinate once a round trip placed it, else nothing to tell.
  std::optional<wire::coordinate> where_we_sit() const;
  // Whether the peer probed on `probe` is our parent.
  bool is_parent(link_id_t probe) const;
  bool is_grandparent(const wire::node_id_t& id) const;
  // Whether `id` is on our path above our parent.
  bool is_above_parent(const wire::node_id_t& id) const;
  // A move round's probes answered: request the joiner that took our place,
  // else the peer with room through which the stream comes soonest.
  void choose_move_below(std::vector<probe_result> results, const std::vector<link_id_t>& ids);
  // A rise round's probes answered: request the ancestor that may take us
  // (see above), if any.
  void choose_rise(const std::vector<probe_result>& results, const std::vector<link_id_t>& ids);
  // An improvement round's probes answered: request the best if worth it.
  void choose_move(const std::vector<probe_result>& results, const std::vector<link_id_t>& ids);
  // Asks `target` for candidates (querying); the round is set by the caller.
  void start_query(const wire::endpoint& target);
  void start_probes(const std::vector<wire::endpoint>& targets);
  void maybe_choose();
  void choose();
  void request(link_id_t id);
  // While a promotion waits for the standby's answer: when the standby,
  // heard from last at `since` or later, has been silent too long.
  time_point promotion_silence_limit(time_point since) const;
  // When the promoted standby has said nothing for longer than its holder
  // ever does (standby_holder_beat: a Have per chunk, else a heartbeat) plus
  // promotion_quiet_margin: then the next standby, if any, is asked instead.
  time_point promotion_quiet_limit() const;
  // The best usable answer after `chosen`, not below it, with room.
  std::optional<std::size_t> runner_up(const std::vector<probe_result>& results,
                                       const std::vector<link_id_t>& ids, link_id_t chosen) const;
  void close_join_links(std::optional<link_id_t> keep,
                        std::optional<link_id_t> spare = std::nullopt);
  void close_own(link_id_t id, std::error_code why);

  static constexpr std::size_t max_repairs_kept = 256;
  // After the first usable Pong, the round waits twice its RTT plus this;
  // at most until no probe still unanswered could be chosen over the best
  // answer (the time it would take to answer, plus this).
  static constexpr duration probe_grace = std::chrono::milliseconds(20);
  // A probe answers three of its round trips after it went out: its
  // connection takes two (TCP, TLS 1.3), the Ping one.
  static constexpr int round_trips_to_answer = 3;
  // A promoted standby silent for twice its RTT plus this froze too (a
  // parent and its standby can fail together): the repair targets then, not
  // the heartbeat timeout a second later. One still heard is waited for.
  static constexpr duration promotion_grace = std::chrono::milliseconds(100);
  // A promoted standby is quiet, not just slow to answer, once it has said
  // nothing this long past its holder's beat. A parent and its first
  // standby froze or crashed within 7 ms of each other (simulator, 1 000
  // peers, seed 10): waiting two round trips plus promotion_grace (336 ms
  // for a standby 118 ms away) for the first before asking the second stalled
  // the viewer 136 ms; the second standby, already up, is one round trip.
  static constexpr duration promotion_quiet_margin = std::chrono::milliseconds(30);

  node_context& ctx_;
  link_table& links_;
  const tree_position& position_;
  const children& children_;
  const chunk_window& window_;
  network_coordinate& coordinate_;
  rendition_subscriptions& renditions_;  // what a JoinRequest asks for
  link_timing timing_;                   // the first join's timing of our downlink and uplink
  site_inference sites_;
  parent_scoring scoring_;
  parent_scoring move_scoring_;  // a move round: by delay through the candidate
  move_policy moves_;
  peer_claims claims_;

  bool running_ = false;
  phase phase_ = phase::idle;
  round_kind round_ = round_kind::join;
  std::optional<time_point> deadline_;  // probing: the probe timeout; backing_off: the next round
  std::map<link_id_t, probe> probes_;
  time_point probes_opened_{};  // when the round's probes went out
  // The round's probes race: the first to connect is asked to take us at
  // once (a redirected newcomer; see on_redirect).
  bool racing_ = false;
  int attempts_ = 0;   // failed join rounds in a row
  int redirects_ = 0;  // redirects followed in this round
  // How far a move round has looked: the peers our parent named, then our
  // ancestors and backups, then the rendezvous's peers with room.
  enum class move_stage { named, ancestors_and_backups, rendezvous };
  move_stage move_stage_ = move_stage::named;
  wire::endpoint move_target_;   // the joiner that took our place (keeps us a slot)
  bool site_gathering_ = false;  // the improvement round under way gathers our site
  duration backoff_;

  std::optional<wire::node_id_t> avoid_;  // the parent being left: its subtree is no home
  std::set<wire::endpoint> banned_;       // peers that sent forged chunks
  std::set<wire::node_id_t> banned_ids_;
  std::map<wire::endpoint, time_point> distrusted_;  // until when
  std::map<wire::node_id_t, time_point> distrusted_ids_;
  static constexpr std::size_t max_distrusted = 1024;

  std::optional<link_id_t> spare_;        // the runner-up kept for the standby
  bool spare_raced_ = false;              // the spare connected second in a race: not Pinged
  link_id_t requested_ = 0;               // the link our last JoinRequest went on
  std::vector<wire::endpoint> fallback_;  // a promotion's repair targets
  standby_source next_standby_;           // a promotion's standby after this one
  link_id_t promoted_ = 0;                // a promotion's standby link
  // When the round chose a full peer (of our site), the round's peers that
  // had room: where to go if it redirects us with no candidate (nothing
  // below it takes children: full, or none can be reached).
  std::vector<wire::endpoint> room_elsewhere_;
  std::optional<time_point> repair_started_;
  std::vector<duration> repairs_;
};

}  // namespace treecast::core
