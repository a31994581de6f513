// When a peer that streams to us (our parent, our warm standby) has been
// silent too long to be alive: nothing heard for `misses` of its beat, and
// two round trips of its link.
//
// Its beat: a peer heartbeats each child and standby child idle
// child_heartbeat_interval (nothing sent it), but chunks come no closer
// than their pace (a long one may wait behind the peer's other children's),
// and until the pace is known the sweep's heartbeat_interval is what we
// count on. The two round trips: a lost segment at the end of a burst is
// resent after about that (TCP's tail loss probe), with nothing heard
// meanwhile.
#pragma once

#include <algorithm>
#include <optional>

#include "core/link_table.hpp"
#include "core/node_config.hpp"

namespace treecast::core {

inline time_point silent_after(const link& l, std::optional<duration> pace, int misses,
                               const node_config& config) {
  const duration beat =
      pace ? std::max(config.child_heartbeat_interval, *pace) : config.heartbeat_interval;
  return l.last_heard + beat * misses + 2 * l.rtt;
}

// How long a standby holder goes at most without a word to a standby child
// that asked for a Have every `have_interval`: when no Have went for half a
// child heartbeat past it (its stream stopped), a heartbeat goes; never
// more often than a child's.
inline duration standby_holder_beat(duration have_interval, const node_config& config) {
  return std::max(config.child_heartbeat_interval,
                  have_interval + config.child_heartbeat_interval / 2);
}

}  // namespace treecast::core
