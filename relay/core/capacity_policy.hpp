// Strong peers up, weak peers down: when a full parent gives a joiner the
// place of one of its children.
//
// A peer that accepts many children belongs high in the tree, where its
// slots serve many; one that accepts few belongs near the leaves (Overcast,
// Narada, Skype's supernodes). Joiners arrive in any order, so without this
// the upper tree fills with 2-slot viewers and the tree grows as deep as a
// binary one. A full parent therefore still takes a joiner that accepts
// clearly more children than its weakest child (at least min_strong, and at
// least twice as many), and asks that child to move below the joiner (Move),
// feeding it until it has: the child goes one hop down, the joiner and the
// slots it brings come up.
//
// Of several weakest children, the one with the smallest subtree moves: the
// fewest peers go a hop deeper.
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

namespace treecast::core {

class capacity_policy {
 public:
  // A child as the policy sees it.
  struct child_view {
    link_id_t id = 0;
    std::uint32_t max_children = 0;  // as its Hello said
    std::uint32_t subtree_size = 1;  // as it last reported
    place at;                        // its Hello's label, its last report's coordinate
  };

  // A joiner as the policy sees it, and the parent's place.
  struct joiner_view {
    std::uint32_t max_children = 0;
    place at;
    place parent_at;
  };

  explicit capacity_policy(site_inference sites) : sites_(sites) {}

  static constexpr std::uint32_t min_strong = 4;

  // A peer accepting this many children belongs high in the tree: it joins
  // where the stream comes soonest, and may take a weaker child's place.
  static bool strong(std::uint32_t max_children) { return max_children >= min_strong; }

  // Whether a peer accepting `stronger` children may take the place of one
  // accepting `weaker` (the measure gives_way applies).
  static bool clearly_stronger(std::size_t stronger, std::size_t weaker) {
    return stronger >= needed_against(weaker);
  }

  // A joiner at `joiner`'s place (max_children unused) accepting at least this
  // many children may take the place of one of `kids`; 0 when none would
  // give way to it.
  std::uint32_t room_for(std::span<const child_view> kids, const joiner_view& joiner) const;

  // The child that gives way to `joiner`; nullopt when the joiner is not
  // clearly stronger than the weakest child that may give way to it.
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
    return std::max<std::size_t>(min_strong, 2 * weaker);
  }
  // The weakest of `kids` that may give way to `joiner` (place), of those
  // the one with the smallest subtree.
  const child_view* weakest(std::span<const child_view> kids, const joiner_view& joiner,
                            bool any_place = false) const;
  // Unless surely of other sites.
  bool may_share_site(const place& a, const place& b) const {
    return sites_.match(a, b) != site_match::other;
  }

  site_inference sites_;
};

}  // namespace treecast::core
