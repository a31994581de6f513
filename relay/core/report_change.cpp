#include "core/report_change.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace treecast::core {

namespace {

// Coordinates carry tenths of a millisecond.
constexpr double units_per_ms = 10.0;
// Their error is trusted or not at a few hundred permille: a tenth is news.
constexpr std::int64_t error_permille_step = 100;

bool gauge_moved(std::int64_t a, std::int64_t b, const report_tolerance& t) {
  if ((a < 0) != (b < 0)) {
    return true;  // known <-> unknown (-1)
  }
  const double allowed = std::max(static_cast<double>(t.gauge_ms),
                                  t.gauge_fraction * static_cast<double>(std::abs(a)));
  return static_cast<double>(std::abs(a - b)) > allowed;
}

bool delay_moved(std::uint32_t a_us, std::uint32_t b_us, const report_tolerance& t) {
  const auto diff = std::abs(static_cast<std::int64_t>(a_us) - static_cast<std::int64_t>(b_us));
  return diff > std::chrono::duration_cast<std::chrono::microseconds>(t.root_delay).count();
}

bool coordinate_moved(const std::optional<wire::coordinate>& a,
                      const std::optional<wire::coordinate>& b, const report_tolerance& t) {
  if (!a || !b) {
    return a.has_value() != b.has_value();
  }
  const double moved =
      std::hypot(static_cast<double>(a->x) - b->x, static_cast<double>(a->y) - b->y) +
      std::abs(static_cast<double>(a->height) - b->height);
  const double allowed =
      std::chrono::duration<double, std::milli>(t.coordinate).count() * units_per_ms;
  return moved > allowed ||
         std::abs(static_cast<std::int64_t>(a->error_permille) -
                  static_cast<std::int64_t>(b->error_permille)) >= error_permille_step;
}

bool candidate_changed(const wire::peer_summary& a, const wire::peer_summary& b,
                       const report_tolerance& t) {
  return a.node_id != b.node_id || a.address != b.address || a.depth != b.depth ||
         a.free_slots != b.free_slots || a.site != b.site || a.role != b.role ||
         a.site_entry_hops != b.site_entry_hops || a.site_entry_tag != b.site_entry_tag ||
         a.room_for_max_children != b.room_for_max_children ||
         coordinate_moved(a.where, b.where, t) || delay_moved(a.root_delay_us, b.root_delay_us, t);
}

template <typename T, typename Changed>
bool lists_differ(const std::vector<T>& a, const std::vector<T>& b, Changed changed) {
  if (a.size() != b.size()) {
    return true;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (changed(a[i], b[i])) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool row_says_something_new(const wire::peer_health& a, const wire::peer_health& b,
                            const report_tolerance& t) {
  return a.node_id != b.node_id || a.parent_id != b.parent_id || a.address != b.address ||
         a.depth != b.depth || a.children != b.children || a.max_children != b.max_children ||
         a.chunks_missed != b.chunks_missed || a.site != b.site || a.role != b.role ||
         a.stalls != b.stalls || a.stall_ms != b.stall_ms || a.browsers != b.browsers ||
         a.playing != b.playing || gauge_moved(a.rtt_ms, b.rtt_ms, t) ||
         gauge_moved(a.buffer_ms, b.buffer_ms, t) || gauge_moved(a.latency_ms, b.latency_ms, t);
}

bool says_something_new(const wire::path_update& last, const wire::path_update& next) {
  return last.depth != next.depth || last.path != next.path || last.ancestors != next.ancestors ||
         last.backups != next.backups || last.root_delay_us != next.root_delay_us ||
         last.site_entry_hops != next.site_entry_hops;
}

bool says_something_new(const wire::report& last, const wire::report& next,
                        const report_tolerance& t) {
  if (last.subtree_size != next.subtree_size || last.subtree_depth != next.subtree_depth ||
      last.free_slots != next.free_slots || last.viewers != next.viewers ||
      last.relays != next.relays || last.chunks_missed != next.chunks_missed ||
      last.stall_ms != next.stall_ms || last.peers_stalled != next.peers_stalled ||
      last.browsers != next.browsers || last.site_entry_hops != next.site_entry_hops ||
      last.site_entry_tag != next.site_entry_tag ||
      last.room_for_max_children != next.room_for_max_children) {
    return true;
  }
  if (coordinate_moved(last.where, next.where, t) ||
      delay_moved(last.root_delay_us, next.root_delay_us, t)) {
    return true;
  }
  return lists_differ(last.candidates, next.candidates,
                      [&](const auto& a, const auto& b) { return candidate_changed(a, b, t); }) ||
         lists_differ(last.health, next.health, [&](const auto& a, const auto& b) {
           return row_says_something_new(a, b, t);
         });
}

}  // namespace treecast::core
