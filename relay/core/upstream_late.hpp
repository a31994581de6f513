// The upstream-late notice (Heartbeat.upstream_late): a parent about to
// replace its own parent by its standby (late and quiet half the lag
// tolerance while the standby has the stream), or whose JoinRequest to it
// is out, tells its children so while it lasts (upstream_late_notice), and
// its children keep it meanwhile instead of switching to their standbys
// (upstream_hold). Not sooner: notices at the pace tolerance (15 ms) went
// out in flash crowds with no peer failing and kept relays below viewers
// (the rise scenario: 9 -> 17 over eight seeds).
//
// Why: every peer below a frozen one measures the same gap, so without the
// notice the whole subtree switched to its standbys in the same chunk
// interval. Those standbys filled beyond their headroom, or were switching
// themselves ("not attached"), and the repair went round the WAN: the netns
// lab's freeze repairs of 0.6-1.5 s, a step down to the low rendition and a
// 4 s stall. The parent is nearer the failure and back within its own
// switch; the chunks the child's standby has are still fetched meanwhile,
// so the picture goes on.
//
// Bounded: a parent that says so for longer than max_hold is left by the
// usual rule (a liar gains that much once per episode, while the standby
// feeds its children); an episode ends when no notice came for notice_ttl.
#pragma once

#include <optional>

#include "core/time.hpp"

namespace treecast::core {

// The parent's side: while the stream is stopped above it, one notice to
// its children every notice_interval.
class upstream_late_notice {
 public:
  static constexpr duration notice_interval = std::chrono::milliseconds(50);

  // `late`: whether the stream is stopped above us now. True when a notice
  // is to go out now.
  bool due(bool late, time_point now);
  // The next notice while late (nullopt otherwise).
  std::optional<time_point> next() const { return next_; }

 private:
  std::optional<time_point> next_;
};

// The child's side.
class upstream_hold {
 public:
  // A notice holds this long (two intervals and a margin for the way).
  static constexpr duration notice_ttl = std::chrono::milliseconds(120);
  // An episode holds this long at most: the parent's own switch (its lag
  // tolerance) and the round trip of its JoinRequest, with room to spare.
  static constexpr duration max_hold = std::chrono::milliseconds(500);

  // The parent said the stream stopped above it too.
  void on_notice(time_point now);
  // When the hold ends, while it holds (nullopt otherwise).
  std::optional<time_point> until(time_point now) const;
  bool holds(time_point now) const { return until(now).has_value(); }
  // While notices keep coming (held or beyond max_hold): the first one's
  // time, which names the episode (a parent kept is counted once in each).
  std::optional<time_point> episode_since(time_point now) const;
  // A new parent: the old one's episode says nothing of it.
  void reset();

 private:
  std::optional<time_point> since_;  // the episode's first notice
  std::optional<time_point> last_;   // its latest
};

}  // namespace treecast::core
