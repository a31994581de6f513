// The improvement loop: an attached peer keeps looking for a parent through
// which the stream reaches it sooner, and moves there make-before-break.
//
// The tree is built in join order, and every repair lengthens paths; nothing
// else would ever shorten them. So every improve_interval (jittered, so
// peers do not ask in step), a peer asks one of its ancestors above its
// parent, chosen at random (the broadcaster as often as any, so no one peer
// carries the load), for peers with room in its subtree; parent_finder
// probes them and, if the delay through the best (parent_scoring::through)
// beats ours by move_policy's margin, asks it to take us while our parent
// keeps feeding us; once it accepts, the old parent is closed. No chunk is
// lost: the new parent serves from the next one we miss.
//
// Bounded: one round per interval, no round while a join, repair or handoff
// is under way, and none within improve_interval of a move (at most one
// move per interval, so the tree cannot oscillate faster than that). Each
// round that does not move us doubles the next interval, up to
// max_backoff times it: once the tree has settled, the rounds (a query and
// a probe round each, ~2 KB) cost little; a move, a repair or a join
// starts again at one interval.
//
// Strong peers up (rise_interval): a peer clearly stronger than its parent
// (capacity_policy::clearly_stronger) asks its grandparent, rise_interval
// after it attached, to take it; the grandparent, full, gives a weaker
// child's place (capacity_policy: its own site rule included), often our
// parent's, which then moves below us. So a relay that joined below a
// viewer (it came late, or a repair or site gathering put it there) climbs
// hop by hop until its parent is as strong as it, and the tree's fan-out
// is the strong peers' (10 000 peers: half the relays sat below viewers).
// A strong peer also asks the ancestors above its parent (nearer strong
// peers up: capacity_policy): one that is full may give it the place of a
// farther child as strong, if the stream then comes clearly sooner
// (move_policy); so the relays nearest the broadcaster end up on top.
// Refused, it asks again after twice the wait, up to max_backoff times.
//
// Relays above viewers all the way up: a full peer with a weaker child
// says so in its reports (room_for_max_children), and a strong asker is
// handed such places as slots (subtree_view). A strong peer's round or rise
// takes one whenever the stream comes no later through it, whatever the
// gain (parent_finder::takes_weaker_place): the displaced viewer goes one
// hop down below it, and the relays that a flash crowd put deep below
// other relays come up (10 000 peers: relays' depth 3 340 -> 515, of 945).
//
// Site gathering (site_gather_interval; node_config::gathers_sites): a
// peer whose parent is surely of another site is where the stream enters
// its site. Its rounds, loop on or off, ask the broadcaster, whose view
// covers every site, with CandidatesRequest.gathering: the peers of its
// site below the site's first-ranked entry come first (candidate_sampler),
// and move_policy takes one of them whatever the delay. So after a flash
// crowd or a repair across the WAN, a site's peers end up below one entry
// and its WAN carries the stream once. An entry's first round comes soon
// after it attached (a fifth of the interval: the other orphans of the
// same failure have repaired by then), and a round that finds no place
// does not put off the next, as the loop's do: a site's entries wait on
// its peers to repair or rise, and until then the WAN carries the stream
// once more for each. 1 000 peers in 10 sites, sites inferred, 20% churn,
// a chunk per frame: one copy into every site 10 s after the churn at 20
// of seeds 21-40, not 16.
#pragma once

#include <cstdint>
#include <optional>

#include "core/node_context.hpp"
#include "core/tree_position.hpp"
#include "wire/messages.hpp"

namespace treecast::core {

class parent_improver {
 public:
  parent_improver(node_context& context, const tree_position& position)
      : ctx_(context), position_(position) {}

  // A new parent (a join, a repair or a move): the next round is an
  // interval away; so is a rise, if we may rise (situation::may_rise). A
  // parent of another site (`site_entry`, with gathering on): the first
  // gathering round comes a fifth of the gathering interval away, once the
  // other orphans of the same failure have repaired too.
  void on_attached(bool may_rise, bool site_entry = false);
  void stop() {
    next_round_.reset();
    next_rise_.reset();
  }

  // What the node knows when a round may be due.
  struct situation {
    bool idle = false;        // no join, repair or handoff under way
    bool site_entry = false;  // our parent is of another site (site gathering)
    bool may_rise = false;    // strong: a rise may find us a place above our parent
    // Our downlink carries less than the full rendition: no round at all.
    // A round's query and probes are TLS handshakes, ~15 KB down; on a
    // 150 kbit/s link playing sound alone, each held the sound back up to
    // a second (netns lab: 7-10 audio gaps per viewer in 40 s, all during
    // rounds), and such a peer is a leaf whose place matters to no one.
    bool narrow_downlink = false;
  };
  enum class kind {
    improve,  // ask an ancestor for peers with room through which the stream comes sooner
    gather,   // ask the broadcaster for peers of our site (CandidatesRequest.gathering)
    rise,     // ask our ancestors above our parent to take us (`ask`: the grandparent)
  };
  // When a round is due and there is someone to ask: whom, and what for
  // (the next round is scheduled).
  struct round {
    wire::endpoint ask;
    enum kind kind = kind::improve;
  };
  std::optional<round> take_round(const situation& now);

  std::optional<time_point> deadline() const;

 private:
  void schedule();
  duration interval() const;  // between rounds, before the back-off
  std::optional<round> take_rise(const situation& now);

  static constexpr std::uint32_t max_quiet_rounds = 3;
  static constexpr std::uint32_t max_backoff = 1u << max_quiet_rounds;

  node_context& ctx_;
  const tree_position& position_;
  std::optional<time_point> next_round_;
  std::uint32_t quiet_rounds_ = 0;  // rounds since we last attached
  std::optional<time_point> next_rise_;
  std::uint32_t refused_rises_ = 0;  // since we last attached
};

}  // namespace treecast::core
