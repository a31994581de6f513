// Whether we feed our children as fast as the stream comes. A child whose
// queue (bytes handed to the driver and not yet written) stays above
// child_lag_limit of the stream for child_lag_patience is a child we cannot
// feed. When the other children keep up, the trouble lies on its way (its
// link, the path to it): it is handed to a peer with room, make-before-
// break (the node's Move), rather than dropped once its queue passes
// max_pending_bytes. When two children or more, and half of them or more,
// fall behind together, our own uplink does not carry them: we offer no
// slot beyond those that keep up, and hand off the child furthest behind,
// one at a time. (One child alone behind may be slow on its own link: it is
// handed off, and our slots stay.) A slot comes back after each slot_regrow_interval with no
// child behind, up to max_children (the flag is the upper bound; what the
// uplink measured is the rest).
//
// The stream's rate is what our parent (or the source) sent us over the
// last two seconds (the engine's chunk_bytes_received, sampled at each
// check: nothing on the per-chunk path); a backlog served at once to a
// joiner drains long before the patience runs out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>

#include "core/children.hpp"
#include "core/node_context.hpp"

namespace treecast::core {

class upload_monitor {
 public:
  upload_monitor(node_context& context, const children& kids)
      : ctx_(context),
        children_(kids),
        slot_limit_(context.config.max_children),
        uplink_slots_(context.config.max_children) {}

  // Looks at every child's queue (each check_interval); returns the child
  // to hand off now, if any.
  std::optional<link_id_t> on_timer();
  std::optional<time_point> deadline() const { return next_check_; }

  // Slots we may offer (max_children at most).
  std::size_t slot_limit() const { return slot_limit_; }

  // Our uplink was timed at `uplink_kbps` (link_timing; at least that when
  // `hidden` behind our downlink) for a stream of `stream_kbps`: no more
  // slots than it carries, with uplink_headroom, now or when slots grow
  // back. Returns true when the bound is new.
  bool bound_by_uplink(double uplink_kbps, double stream_kbps, bool hidden = false);

  // The children an uplink of `uplink_kbps` carries a stream of
  // `stream_kbps` to, with `headroom` (node_config::uplink_headroom), at
  // most `max_children`.
  static std::size_t slots_carried(double uplink_kbps, double stream_kbps, double headroom,
                                   std::size_t max_children);

  // Bytes of the stream per second, as received lately (0: not known yet).
  double stream_bytes_per_second() const;

  void start() { next_check_ = ctx_.now + check_interval; }
  void stop();

  static constexpr duration check_interval = std::chrono::milliseconds(250);

 private:
  // Notes the bytes of chunks received so far (counter::chunk_bytes_received).
  void sample_stream();

  node_context& ctx_;
  const children& children_;
  std::size_t slot_limit_;
  std::size_t uplink_slots_;  // what the timed uplink carries (max_children until timed)
  std::optional<time_point> next_check_;
  std::optional<time_point> calm_since_;  // no child behind since then
  std::map<link_id_t, time_point> behind_since_;
  struct sample {
    time_point at;
    std::uint64_t bytes;  // received in all by then
  };
  std::deque<sample> samples_;  // those of the last rate_window
};

}  // namespace treecast::core
