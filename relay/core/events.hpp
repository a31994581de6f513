// Typed events the engine reports to its driver: what happened to this
// peer's place in the tree, for the programs' logs and status, the metrics
// and the simulator's measurements. An event changes nothing in the engine;
// a driver may ignore any of them.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "core/time.hpp"
#include "wire/messages.hpp"

namespace treecast::core {

// A parent accepted us (the first join, a repair or a handoff).
struct parent_changed_event {
  wire::endpoint parent;
  std::uint32_t depth = 0;
};

// Our parent went away (crash, silence, starvation, loop, leave): the
// stream now waits for a repair.
struct repair_started_event {
  wire::endpoint lost_parent;
};

// The stream flows again `took` after the parent was lost: the first new
// chunk from anyone (the new parent, the standby's fetch during the switch,
// or the old parent still feeding us make-before-break).
struct repair_finished_event {
  duration took{};
};

// A joiner was redirected (this peer is full, takes no children or is not
// attached).
struct child_refused_event {
  wire::endpoint joiner;
  std::string reason;
};

// The parent sent no chunk for `silent_for` while its link stayed alive:
// it is dropped and another one is found.
struct chunk_late_event {
  duration silent_for{};
};

// Our parent connected back to us at `seen_as`, or could not: a peer
// nobody can reach takes no children. Sent when that changes.
struct reachability_event {
  bool reachable = false;
  wire::endpoint seen_as;
};

using node_event = std::variant<parent_changed_event, repair_started_event, repair_finished_event,
                                child_refused_event, chunk_late_event, reachability_event>;

}  // namespace treecast::core
