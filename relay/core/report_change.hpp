// Whether a report says something the last one sent to the same parent did
// not. subtree_view sends a report every report_interval only when it does
// (and every report_refresh regardless), so a settled subtree costs its
// parent's link next to nothing: in the simulator reports were 42% of all
// control bytes, the same report again nearly every second.
//
// What the tree runs on is compared exactly: sizes, depths, room, the
// candidates' identities and room, misses and stalls, the health rows'
// identities and counters. What drifts a little every second without
// meaning anything new is compared with a tolerance: the health rows'
// gauges (latency, buffer, round trip), coordinates and delays from the
// broadcaster.
#pragma once

#include <cstdint>

#include "core/time.hpp"
#include "wire/messages.hpp"

namespace treecast::core {

struct report_tolerance {
  // A gauge (ms) changed when it moved by more than this, or by more than
  // gauge_fraction of its value, whichever is larger.
  std::int64_t gauge_ms = 20;
  double gauge_fraction = 0.1;
  // A coordinate moved by more than this (ms of round trip).
  duration coordinate = std::chrono::milliseconds(5);
  // A delay from the broadcaster changed by more than this.
  duration root_delay = std::chrono::milliseconds(5);
};

bool says_something_new(const wire::report& last, const wire::report& next,
                        const report_tolerance& tolerance = {});

// The same test for a path update, all of it exactly: the child computes
// its own delay from the broadcaster from ours, and its children from
// theirs, so a tolerance would add up hop by hop (it changes only when a
// peer above reattaches anyway).
bool says_something_new(const wire::path_update& last, const wire::path_update& next);

// The same test for one health row (health_table.hpp sends only the rows
// for which it holds).
bool row_says_something_new(const wire::peer_health& last, const wire::peer_health& next,
                            const report_tolerance& tolerance = {});

}  // namespace treecast::core
