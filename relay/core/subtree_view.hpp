// What one node knows of its subtree, from its children's reports, and what
// it tells about it: the report it sends its parent, the candidate parents
// it hands to joiners (the broadcaster's answer is the rendezvous), the
// backups it gives each child, and the health rows for the dashboard.
//
// Reports go up every report_interval when they say something new
// (report_change.hpp) and every report_refresh regardless, and sooner (at
// most every report_min_interval) when the subtree changed: a child came or
// went, or a child's room changed. Their health rows go as changes to what
// the parent holds (health_table.hpp).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/candidate_sampler.hpp"
#include "core/children.hpp"
#include "core/handout_ledger.hpp"
#include "core/health_table.hpp"
#include "core/link_table.hpp"
#include "core/network_coordinate.hpp"
#include "core/node_context.hpp"
#include "core/tree_position.hpp"

namespace treecast::core {

// What only the driver knows of this node's health: the wall clock's view
// of latency, the player's buffer and the time its picture stood still.
struct local_health {
  std::int32_t latency_ms = -1;            // capture -> arrival, -1 unknown
  std::int32_t buffer_ms = -1;             // media ahead of the picture (viewers), -1 unknown
  std::uint32_t stalls = 0;                // times the picture stood still (viewers)
  std::uint64_t stall_ms = 0;              // and for how long, in all
  std::uint32_t browsers = 0;              // watching through this peer (a browser gateway)
  std::optional<wire::rendition> playing;  // the rendition the player plays (viewers)
};

// What the node says of itself in its views.
struct self_view {
  bool attached = false;
  std::size_t free_slots = 0;
  std::uint32_t site_entry_hops = 0;  // parent_finder::site_entry_hops
  std::uint32_t site_entry_tag = 0;   // parent_finder::site_entry_tag
  // Full: a joiner accepting at least this many children still gets a
  // weaker child's place (capacity_policy::room_for, any place); 0 = none.
  std::uint32_t room_for_max_children = 0;
};

class subtree_view {
 public:
  subtree_view(node_context& context, link_table& links, const children& kids,
               const tree_position& position, const network_coordinate& coordinate)
      : ctx_(context),
        links_(links),
        children_(kids),
        position_(position),
        coordinate_(coordinate),
        sites_(context.config.same_site_rtt) {}

  // Peers in the subtree, this node included.
  std::uint32_t size() const;
  // Deepest depth in the subtree.
  std::uint32_t deepest() const;
  // Peers of `role` (viewer or relay) in the subtree, this node included.
  std::uint32_t count(wire::peer_role role) const;
  // Chunks missed summed over the subtree.
  std::uint64_t chunks_missed() const;
  // Time pictures stood still summed over the subtree, and the peers of it
  // whose picture ever did.
  std::uint64_t stall_ms() const;
  std::uint32_t peers_stalled() const;
  // Browsers watching through gateways of the subtree, this peer included.
  std::uint32_t browsers() const;
  // This node's health row, then its subtree's as its children reported them
  // (nearest first), at most `limit` rows.
  std::vector<wire::peer_health> health(std::size_t limit, const self_view& self) const;

  // What only the driver knows of this node's health: carried by the next
  // report.
  void set_local_health(const local_health& health) { local_ = health; }

  // Candidate parents in the subtree for a joiner at `requester`; with
  // `include_self`, this node first when it has room. The subtree of a
  // child on `avoid` (the asker's path) is left out: the asker's parent, or
  // the asker itself, is somewhere in it. So are the peers whose site entry
  // is the `asker` (site gathering): they hang below it, and once its site
  // has gathered, a same-site-first sample of them alone would leave an
  // entry that lost its parent nowhere to go.
  // A full peer that would give a joiner accepting `asker_max_children` a
  // weaker child's place (room_for_max_children) counts as one with a slot:
  // so a relay finds the places near the top that viewers hold.
  std::vector<wire::peer_summary> candidates(const place& requester, bool include_self,
                                             sample_order order, const self_view& self,
                                             std::span<const wire::node_id_t> avoid = {},
                                             const std::optional<wire::node_id_t>& asker = {},
                                             std::uint32_t asker_max_children = 0);

  // The same, at most `limit`, for a joiner to probe (the rendezvous's
  // answer), counting the peers recently handed out as fuller than
  // reported (handout_ledger), and remembering these.
  std::vector<wire::peer_summary> hand_out(const place& requester, bool include_self,
                                           sample_order order, const self_view& self,
                                           const std::optional<wire::node_id_t>& asker,
                                           std::uint32_t asker_max_children, std::size_t limit);

  // Peers with room outside `child`'s subtree: our other children and what
  // they reported. Not ourselves: we are what the child would be replacing.
  std::vector<wire::endpoint> backups_for(link_id_t child, const self_view& self);

  // A child's report arrived; true when the room it reports changed (so
  // ours is worth reporting soon).
  bool on_report(link_id_t id, child& c, wire::report&& r);

  // Report timing.
  void start();
  void stop() { next_report_.reset(); }
  void report_soon();
  std::optional<time_point> deadline() const { return next_report_; }
  bool report_due() const { return next_report_ && ctx_.now >= *next_report_; }
  // When due: sends the report to the parent (if any) and schedules the next.
  void on_timer(const self_view& self);

 private:
  wire::report make_report(const self_view& self);
  // Everything we know of our subtree as candidates: ourselves (with
  // `include_self`, when we have room), our children, what they reported;
  // leaving out the subtrees of children on `avoid`.
  std::vector<known_peer> known_peers(bool include_self, const self_view& self,
                                      std::span<const wire::node_id_t> avoid) const;
  // A child as a candidate: its address as we see it, the rest as it reported.
  wire::peer_summary summary_of(const link& l, const child& c) const;
  // Full, with no peer below it and no place to give: it could only redirect
  // a joiner nowhere.
  static bool turns_everyone_away(const child& c);
  // `pool` sampled for `requester` (candidate_sampler), less what hangs
  // below `asker` as its site's entry; the places a joiner accepting
  // `asker_max_children` would be given count as slots (see candidates()).
  std::vector<wire::peer_summary> sample(std::vector<known_peer> pool, const place& requester,
                                         sample_order order,
                                         const std::optional<wire::node_id_t>& asker,
                                         std::uint32_t asker_max_children);
  // Full peers of `pool` that would give a strong joiner a weaker child's
  // place, the shallowest first, at most `limit`: a report carries them up
  // beside the peers with free slots.
  static std::vector<wire::peer_summary> places_for_strong(const std::vector<known_peer>& pool,
                                                           std::size_t limit);
  // A report field summed over the children that reported.
  template <typename Field>
  std::uint64_t sum_reports(Field field) const;

  static constexpr std::size_t max_backups = 4;
  static constexpr std::uint64_t report_ties_seed = 0x7265706f7274;  // "report"

  node_context& ctx_;
  link_table& links_;
  const children& children_;
  const tree_position& position_;
  const network_coordinate& coordinate_;
  site_inference sites_;
  // Four handouts a slot, for two report intervals (treecast-sim 10 000
  // peers, seed 7, redirects counted too: join p50 850 -> 630 ms with 4;
  // 2, 6 and 8 no better).
  handout_ledger handouts_{std::chrono::seconds(2), 4};
  local_health local_;
  std::optional<time_point> next_report_;
  time_point last_report_sent_{};
  // The last report sent (its rows aside), and the parent link it went to.
  std::optional<std::pair<link_id_t, wire::report>> last_sent_;
  // The health rows the parent holds from us: reports carry what changed.
  health_table parent_health_;
};

}  // namespace treecast::core
