// How far a standby's copy of the stream runs ahead of the parent's, from
// the standby's Haves and the parent's chunks: the lead of one chunk is the
// parent's arrival minus the standby's Have (negative when the standby
// trails). The chunks the standby announced that the parent has not sent
// yet are kept too: the parent's copy of each is due a usual lead after its
// Have.
#pragma once

#include <deque>
#include <map>
#include <optional>

#include "core/time.hpp"
#include "wire/messages.hpp"

namespace treecast::core {

class standby_lead {
 public:
  // Leads needed before they are believed.
  static constexpr std::size_t samples_needed = 3;

  // The standby announced `seq` now; `parent_sent` is when the parent's copy
  // came, if it did; `stale` when the chunk is older than what we remember.
  void on_have(wire::seq_t seq, time_point now, std::optional<time_point> parent_sent, bool stale);
  // The parent's copy of `seq` came now.
  void on_parent_chunk(wire::seq_t seq, time_point now);

  // Announced by the standby, not yet sent by the parent: seq -> when announced.
  const std::map<wire::seq_t, time_point>& pending() const { return haves_; }

  // The largest recent lead (how long after a Have the parent's copy may
  // still come), or `unknown` while fewer than samples_needed are known.
  duration usual(duration unknown) const;
  // The median recent lead, once samples_needed are known: how much
  // earlier (or, negative, later) the stream would come through the standby.
  std::optional<duration> typical() const;

  // A new parent: the leads measured against the old one say nothing of it
  // (a move may add a hop); the announced chunks still wait for it.
  void forget_leads() { leads_.clear(); }
  void clear();

 private:
  void record(duration lead);

  static constexpr std::size_t haves_kept = 64;
  static constexpr std::size_t leads_kept = 16;

  std::map<wire::seq_t, time_point> haves_;
  std::deque<duration> leads_;
};

}  // namespace treecast::core
