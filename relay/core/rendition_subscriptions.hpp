// Which renditions of the stream go where (Rendition in treecast.proto).
//
// Every child and standby child says what it wants (JoinRequest,
// StandbyRequest, then Subscribe when that changes); our own player says
// what it plays (a relay and the broadcaster play nothing). We ask our
// parent and our standby for the union, so that a link carries only what
// the subtree below it needs: the full rendition alone where everyone plays
// it, the low one too where a weak viewer sits below. A node nobody asks
// anything of still asks for the full rendition, to serve whoever joins.
//
// A child gets the parts of each chunk it asked for; when the chunk has
// none of them (we asked our parent for them a moment ago), it gets what
// the chunk has, so that it never misses a seq. Except at its start: a
// joiner gets nothing before the first chunk that carries what it asked
// for (starts()), so that a narrow one does not begin with seconds of a
// rendition its link cannot carry (the join's backlog from a cache that
// held the full rendition alone took 10 s at 150 kbit/s). Frames of a subset are
// encoded once per chunk and subset and shared by the children asking the
// same.
#pragma once

#include <optional>
#include <vector>

#include "core/link_table.hpp"
#include "core/node_context.hpp"

namespace treecast::core {

class rendition_subscriptions {
 public:
  rendition_subscriptions(node_context& context, link_table& links);

  // What our own player plays (0: nothing).
  void set_own(wire::rendition_set set) { own_ = set; }

  // Works out what we ask for from what our children and standby children
  // want (after each input; a JoinRequest or StandbyRequest sent in between
  // carries the set as it stood, and tell() mends the difference).
  void refresh(wire::rendition_set below);
  wire::rendition_set upstream() const { return upstream_; }

  // The set a JoinRequest or StandbyRequest to `to` carries, noted as asked.
  wire::rendition_set ask(link& to) const {
    to.asked = upstream_;
    return upstream_;
  }

  // Asks `to` (our parent, our standby) for upstream() with a Subscribe
  // when it was last asked something else (link::asked).
  void tell(link_id_t to);

  // Whether a peer that wants `set` can start at `c`: it carries one of
  // them, or it is a keyframe chunk of a broadcast that has none of them
  // (its rates say so, or it carries none: one rendition).
  static bool starts(const wire::chunk& c, wire::rendition_set set);

  // The frame of `c` for a peer that wants `set`: the chunk's own when it
  // carries nothing else, else one of the parts in `set` only.
  wire::shared_bytes frame_for(const wire::chunk& c, wire::rendition_set set);

 private:
  node_context& ctx_;
  link_table& links_;
  wire::rendition_set own_;
  wire::rendition_set upstream_ = wire::rendition_bit(wire::rendition::full);
  // Frames of the latest chunk cut to a subset, by subset.
  struct cut {
    wire::rendition_set set = 0;
    wire::shared_bytes frame;
  };
  const wire::chunk* cut_chunk_ = nullptr;
  wire::seq_t cut_seq_ = 0;
  std::vector<cut> cuts_;
};

}  // namespace treecast::core
