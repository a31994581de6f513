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
// Site gathering (site_gather_interval; node_config::gathers_sites): a
// peer whose parent is surely of another site is where the stream enters
// its site. Its rounds, loop on or off, ask the broadcaster, whose view
// covers every site, with CandidatesRequest.gathering: the peers of its
// site below the site's first-ranked entry come first (candidate_sampler),
// and move_policy takes one of them whatever the delay. So after a flash
// crowd or a repair across the WAN, a site's peers end up below one entry
// and its WAN carries the stream once.
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
  // interval away.
  void on_attached();
  void stop() { next_round_.reset(); }

  // When a round is due and there is an ancestor above the parent to ask:
  // whom to ask (the next round is scheduled). `idle`: no join, repair or
  // handoff under way.
  // `site_entry`: our parent is of another site (site gathering, below).
  struct round {
    wire::endpoint ask;
    bool site_gathering = false;  // ask for peers of our site (CandidatesRequest.gathering)
  };
  std::optional<round> take_round(bool idle, bool site_entry);

  std::optional<time_point> deadline() const { return next_round_; }

 private:
  void schedule();
  duration interval() const;  // between rounds, before the back-off

  static constexpr std::uint32_t max_quiet_rounds = 3;
  static constexpr std::uint32_t max_backoff = 1u << max_quiet_rounds;

  node_context& ctx_;
  const tree_position& position_;
  std::optional<time_point> next_round_;
  std::uint32_t quiet_rounds_ = 0;  // rounds since we last attached
};

}  // namespace treecast::core
