// Strong peers up, weak peers down: when a full parent gives a joiner the
// place of one of its children.
//
// A peer that accepts many children belongs high in the tree, where its
// slots serve many; one that accepts few belongs near the leaves (Overcast,
// Narada, Skype's supernodes). Joiners arrive in any order, so without this
// the upper tree fills with 2-slot viewers and the tree grows as deep as a
// binary one. A full parent therefore still takes a joiner that accepts
// clearly more children than its weakest child (at least min_strong, and at
// least twice as many; a child that takes none, consume only or unreachable,
// gives way to any joiner that takes one), and asks that child to move below
// the joiner (Move), feeding it until it has: the child goes one hop down,
// the joiner and the slots it brings come up.
//
// Of several weakest children, the one with the smallest subtree moves: the
// fewest peers go a hop deeper.
//
// Nearer strong peers up: among strong peers, the one nearer the parent
// belongs above the farther one. Relays join in any order, so the
// broadcaster's seeds and the next levels were whichever came first, often
// far away, and every path below them went out there and back (10 000
// peers: the seeds 15-48 ms from the broadcaster, relays at depth 2 at 1.6
// times their direct delay). So a full parent also takes a strong joiner
// clearly nearer to it (half the round trip and min_nearer_gain less) than
// a child no stronger than the joiner, the farthest such, which moves below
// the joiner: it loses a little (the joiner is near the parent), the joiner
// and what it carries gain much. Round trips are as the peers measured
// them when they probed the parent (JoinRequest.rtt_us): a peer lying
// about one wins a place near the top, as one lying about its slots does;
// it must still deliver or be left (liveness).
//
// Place first: the stream must not cross a site's WAN more often because of
// a move. A child gives way only to a joiner of its own site, or of the
// parent's (then the WAN edge the child had becomes the joiner's edge to it),
// as site_inference tells (labels, else round trips estimated from network
// coordinates). A site nobody can tell matches any.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/actions.hpp"
#include "core/site_inference.hpp"
#include "core/time.hpp"

namespace treecast::core {

class capacity_policy {
 public:
  // A child as the policy sees it.
  struct child_view {
    link_id_t id = 0;
    std::uint32_t max_children = 0;  // as its Hello said; 0 if nobody can reach it
    std::uint32_t subtree_size = 1;  // as it last reported
    place at;                        // its Hello's label, its last report's coordinate
    duration rtt{};                  // its round trip to us as it measured it; 0 = unknown
  };

  // A joiner as the policy sees it, and the parent's place.
  struct joiner_view {
    std::uint32_t max_children = 0;
    place at;
    place parent_at;
    duration rtt{};  // its round trip to the parent as it measured it; 0 = unknown
  };

  explicit capacity_policy(site_inference sites) : sites_(sites) {}

  static constexpr std::uint32_t min_strong = 4;
  static constexpr duration min_nearer_gain = std::chrono::milliseconds(10);

  // A peer accepting this many children belongs high in the tree: it joins
  // where the stream comes soonest, and may take a weaker child's place.
  static bool strong(std::uint32_t max_children) { return max_children >= min_strong; }

  // Whether a peer accepting `stronger` children may take the place of one
  // accepting `weaker` (the measure gives_way applies).
  static bool clearly_stronger(std::size_t stronger, std::size_t weaker) {
    return stronger >= needed_against(weaker);
  }

  // Whether a peer `nearer` (round trip) to a parent may take the place of
  // one `farther` from it, as strong: half the round trip, and
  // min_nearer_gain less. Unknown (zero) round trips are never nearer.
  static bool clearly_nearer(duration nearer, duration farther) {
    return nearer > duration{} && farther > duration{} && nearer <= nearest_against(farther);
  }

  // A joiner at `joiner`'s place (max_children unused) accepting at least this
  // many children may take the place of one of `kids`; 0 when none would
  // give way to it.
  std::uint32_t room_for(std::span<const child_view> kids, const joiner_view& joiner) const;

  // A strong `joiner` (its rtt unused) with a round trip at most this would
  // take the place of one of `kids` as strong and clearly farther; zero
  // when none would give way to it so.
  duration room_within(std::span<const child_view> kids, const joiner_view& joiner) const;

  // The child that gives way to `joiner`: the weakest, when the joiner is
  // clearly stronger than it; else the farthest of those as strong as the
  // joiner at most, when the joiner is strong and clearly nearer; nullopt
  // when none.
  std::optional<link_id_t> gives_way(std::span<const child_view> kids,
                                     const joiner_view& joiner) const;

  // A parent one child over its slots (it rose and took the child that
  // gave way to it below: parent_improver.hpp) moves one out, below that
  // child `newcomer`: the weakest of the others, preferably one that may
  // share its site (the WAN carries the stream no more often); nullopt
  // when there is no other.
  std::optional<link_id_t> to_shed(std::span<const child_view> kids, link_id_t newcomer,
                                   const joiner_view& newcomer_place) const;

 private:
  // What a joiner must accept to take the place of a child accepting `weaker`.
  static std::size_t needed_against(std::size_t weaker) {
    // A child that takes no children (consume only, or nobody can reach
    // it) gives way to any joiner that takes one: the tree grows only
    // through peers that do.
    return weaker == 0 ? 1 : std::max<std::size_t>(min_strong, 2 * weaker);
  }
  // The round trip a peer must have at most to take the place of one
  // `farther` from the parent.
  static duration nearest_against(duration farther) {
    return std::min(farther / 2, farther - min_nearer_gain);
  }
  // The weakest of `kids` that may give way to `joiner` (place), of those
  // the one with the smallest subtree.
  const child_view* weakest(std::span<const child_view> kids, const joiner_view& joiner,
                            bool any_place = false) const;
  // The farthest of `kids` (round trip known) that may give way to a strong
  // `joiner` as strong as it at least (place); nullptr when none.
  const child_view* farthest(std::span<const child_view> kids, const joiner_view& joiner) const;
  bool place_kept(const child_view& k, const joiner_view& joiner) const {
    return may_share_site(k.at, joiner.at) || may_share_site(joiner.at, joiner.parent_at);
  }
  // Unless surely of other sites.
  bool may_share_site(const place& a, const place& b) const {
    return sites_.match(a, b) != site_match::other;
  }

  site_inference sites_;
};

}  // namespace treecast::core
