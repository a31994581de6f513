// A discrete-event simulator that drives the real peer engine (core::node)
// with virtual time.
//
// Every peer is a core::node exactly as shipped. The simulator plays the
// driver's part: it turns connect/send/close actions into events delayed by
// the latency model (plus each sender's upload serialization), delivers
// frames in order per link, and calls on_timer at each node's deadline.
// Peer 0 is the broadcaster: it gets a chunk from a virtual source every
// chunk_interval. Peers join at staggered times. Runs are reproducible: all
// randomness derives from the seed, and ties in time keep insertion order.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/node.hpp"
#include "latency_model.hpp"

namespace treecast::sim {

struct sim_config {
  std::size_t peers = 1000;  // including the broadcaster
  std::uint64_t seed = 1;
  // Peers join uniformly over this window (0 = peers / 2000 per second, at least 10 s).
  core::duration join_window{0};
  // Relays (office and data-centre nodes, up before the meeting) start over
  // this time before the viewers' join window (0 = in the same crowd).
  core::duration relays_early{0};
  // Simulated time after the last join before measuring.
  core::duration settle = std::chrono::seconds(20);
  int sites = 0;  // 0 = no sites
  // How peers placed in a site know it: told (--site), inferred from their
  // address as the runtime does (each site's peers hold addresses in
  // 10.<site>.0.0/16, up to 250 per /24; the broadcaster 10.255.0.1), or
  // not at all (a baseline).
  enum class site_labels_kind { given, inferred, none };
  site_labels_kind site_labels = site_labels_kind::given;
  // Serve joins at the engine's own rate bound (node_config's
  // max_joins_per_second): a flash crowd meets "busy" and retries. Off:
  // joins are served at any rate (tree building measured on its own).
  bool join_limit = false;
  // Peers put their subtree's health rows (the dashboard's) in their
  // reports, as real peers do, so that control bytes are counted right.
  // Off: a faster run of a very large tree, control bytes too low.
  bool health_rows = true;
  std::string latency_matrix;  // empty = plane model
  // Capacities: a fraction of the peers are relays, the rest viewers.
  double relay_fraction = 0.1;
  std::size_t relay_children = 16;
  std::size_t viewer_children = 2;
  std::size_t root_children = 3;
  // Upload rates, for serialization delay of each frame sent. Viewers'
  // uplinks are dealt in turn from the list (a distribution: home links
  // of 1-2 Mbit/s beside office desks).
  double relay_upload_mbps = 200;
  std::vector<double> viewer_upload_mbps = {10};
  double root_upload_mbps = 20;
  // A send counts as written (node::on_link_written, as the runtime's write
  // completion) once less than this is ahead of it on the sender's uplink:
  // the kernel's bound on bytes not yet sent (the runtime's
  // TCP_NOTSENT_LOWAT). An uplink that carries what is sent writes at once;
  // one that does not shows its children's queues growing, as the
  // runtime's does, and upload_monitor answers.
  std::size_t unsent_bound_bytes = 16 * 1024;
  // The stream: a chunk every chunk_interval of chunk_bytes on the wire
  // (simulated size; the payload carried is small). 50 000 bytes a 200 ms
  // is a 2 Mbit/s stream; treecast-sim scales the bytes with --chunk-ms.
  core::duration chunk_interval = std::chrono::milliseconds(200);
  std::size_t chunk_bytes = 50'000;
  // Churn: after the joins, this fraction of the peers is killed at random
  // times over churn_duration, in the given way.
  double churn = 0;
  core::duration churn_duration = std::chrono::seconds(60);
  // crash: the process dies, its host resets every connection; freeze: the
  // process stops (laptop lid, paused VM) or the host vanishes: links go
  // silent and new connections are never answered; leave: graceful; mixed:
  // each victim one of the three at random.
  enum class churn_kind { crash, freeze, leave, mixed } churn_mode = churn_kind::crash;
  // This fraction of the viewers accept no connection (a NAT, a home
  // router, a laptop's firewall): a SYN to one is never answered, and the
  // caller's connect timeout ends it. Relays (office and data-centre nodes)
  // are all reachable. Chosen with a generator of their own, so that the
  // rest of a seed's run is drawn as without them.
  double unreachable = 0;
  // A control for what learning capacity costs: each viewer is configured
  // with the slots its uplink carries (what link_timing would find) and an
  // unreachable one as consume only (max_children 0, no listening port),
  // so nothing is timed or checked: the same capacity, told in advance.
  bool capacity_told = false;
  // A connection not up within this long fails (the runtime's connect
  // timeout): what a frozen or vanished peer costs whoever calls it.
  core::duration connect_timeout = std::chrono::seconds(3);
  // The viewers' jitter buffer (the viewer's --latency): stalls are counted
  // against it (playout_model).
  core::duration playout_buffer = std::chrono::milliseconds(300);
  // The programs' defaults, which the defaults above predate (they keep the
  // simulator six times faster): the broadcaster's --chunk-ms, a chunk per
  // frame, and the viewer's --latency (a unit test holds it to
  // media::default_latency). The scenario tests of stalls run at these.
  static constexpr core::duration peers_chunk_interval = std::chrono::milliseconds(33);
  static constexpr core::duration peers_playout_buffer = std::chrono::milliseconds(200);
  // A chunk each `interval` of the 2 Mbit/s stream.
  void set_chunk_interval(core::duration interval) {
    chunk_interval = interval;
    chunk_bytes = static_cast<std::size_t>(
        2'000'000 / 8 * std::chrono::duration_cast<std::chrono::milliseconds>(interval).count() /
        1000);
  }
  // A chunk received later than this after its capture counts as late.
  core::duration playout_deadline = std::chrono::seconds(3);
  // Engine settings every peer uses (role, capacity and addresses are set per peer).
  core::node_config node_defaults{};
  // Optional log of every node's events (slow; for debugging small runs).
  core::log_sink log;
  // Debugging: log these peers' events, and every repair over 5 s, to stderr.
  std::vector<std::size_t> trace_peers;
  // Debugging: every stall to stderr, with the viewer's path to the
  // broadcaster at that moment (which repair or move caused it).
  bool trace_stalls = false;
  // Debugging: the settled tree as CSV to this file (peer, parent, slots,
  // depth, direct and path delay in ms), for looking at its tail.
  std::string dump_tree;
  // Debugging: every join as CSV to this file (peer, start_s, join_ms,
  // upload_mbps, reachable, relay), for pooling quantiles over seeds.
  std::string dump_joins;
};

struct sim_result {
  std::size_t peers = 0;
  std::size_t joined = 0;               // attached at the end (broadcaster excluded)
  std::size_t loops = 0;                // peers whose parent chain cycles
  std::size_t unrooted = 0;             // attached peers whose chain does not reach the broadcaster
  std::size_t capacity_violations = 0;  // peers with more children than their capacity
  std::size_t depth_max = 0;
  // Peers below a parent, not the broadcaster, they are clearly stronger
  // than (capacity_policy::clearly_stronger): strong peers not yet up.
  std::size_t strong_below_weak = 0;
  double depth_mean = 0;
  double fanout_median = 0;  // children per peer that has any
  double stretch_p50 = 0;    // tree path delay / direct delay from the broadcaster
  double stretch_p99 = 0;
  double join_ms_p50 = 0;  // start -> first attached
  double join_ms_p99 = 0;
  double join_ms_max = 0;  // the longest wait of any peer that joined
  std::size_t root_upload_streams = 0;
  double control_bytes_per_peer_per_s = 0;          // over the whole run, joins included
  double settled_control_bytes_per_peer_per_s = 0;  // the settled tree's (see simulator.cpp)
  // The same by message kind (wire::frame_message_name), for what to make cheaper.
  std::map<std::string, double> settled_control_bytes_by_message;
  std::size_t wan_copies_max = 0;    // with sites: most parent links into one site from outside
  double coordinate_error_p50 = 0;   // network coordinates: median |estimate - rtt| / rtt
  double coordinates_settled = 0;    // share of rooted peers whose coordinate is usable
  std::uint64_t join_attempts = 0;   // summed over peers
  std::uint64_t join_redirects = 0;  // summed over peers
  std::size_t gave_up = 0;           // peers that gave up joining
  // Churn (at the survivors).
  std::size_t killed = 0;
  std::size_t survivors = 0;
  // Children of killed peers when they were killed, and those of them that
  // held no standby able to take over (a repair round instead of a switch).
  std::uint64_t orphans = 0;
  std::uint64_t orphans_without_standby = 0;
  std::uint64_t repairs = 0;  // a child of a killed peer got a chunk from a new parent
  double repair_ms_p50 = 0;   // kill -> the stream flowing again
  double repair_ms_p99 = 0;
  double repair_ms_max = 0;
  double freeze_repair_ms_p99 = 0;  // repairs after a freeze (or a vanished host)
  std::uint64_t chunks_lost = 0;    // sequence numbers never received by a survivor
  // What surviving viewers saw at the playout buffer (playout_model).
  double stall_ms_total = 0;
  double late_ms_total = 0;  // all lateness, the player's unseen jitter included
  std::size_t viewers_stalled = 0;
  double rebuffer_ratio = 0;  // stall time / watch time, over surviving viewers
  // Stall time at viewers the churn killed later, before they died: not
  // in the survivors' figures above, but a picture that stood still.
  double stall_ms_departed = 0;
  // Capture -> play at the end, over surviving viewers: unlike stretch,
  // it counts every hop's uplink (a viewer forwarding to two children
  // sends each chunk twice over a home uplink).
  double play_latency_ms_p50 = 0;
  double play_latency_ms_p99 = 0;
  // Warm standby: switches to it, parents left for falling behind it (or
  // for silence, when no standby could tell), parents behind it kept as
  // they said the stream stopped above them (upstream_late.hpp), and what
  // announcing chunks to standby children costs, per peer, as a fraction
  // of the stream.
  std::uint64_t standby_promotions = 0;
  std::uint64_t parents_behind = 0;
  std::uint64_t parents_held = 0;
  std::uint64_t parents_silent = 0;
  std::uint64_t standbys_silent = 0;            // held standbys dropped for silence
  std::uint64_t second_standby_promotions = 0;  // the second took over: the first could not
  double standby_upload_share = 0;
  // The tree improving itself: moves to a sooner parent (the improvement
  // loop) and children moved below a stronger joiner that took their slot.
  std::uint64_t parent_moves = 0;
  std::uint64_t children_moved_out = 0;
  // Oscillation: parent moves in the settle phase (after the joins, and
  // after the churn if any), in all and at the peer that moved most, per
  // minute of that phase.
  std::uint64_t settle_moves = 0;
  double settle_moves_per_peer_per_min_max = 0;
  // Unreachable viewers (sim_config::unreachable), how many of them ended
  // with children, and connections attempted to them: their parents'
  // checks, and probes or joins by others (which the checks should spare),
  // counted apart.
  std::size_t unreachable_peers = 0;
  std::size_t unreachable_with_children = 0;
  std::uint64_t reach_checks_failed = 0;
  std::uint64_t connects_to_unreachable = 0;
  std::uint64_t connects_to_unreachable_by_others = 0;
  // Uplinks (sim_config::viewer_upload_mbps): peers ending with more
  // children than their uplink carries at the stream's rate, and children
  // handed off for not keeping up (upload_monitor).
  std::size_t children_beyond_uplink = 0;
  std::uint64_t children_handed_off = 0;
  double continuity = 0;  // chunks received within the playout deadline / chunks due
  double wall_s = 0;
  double peak_rss_mb = 0;
  double simulated_s = 0;
  std::uint64_t events = 0;

  std::string to_json() const;
};

sim_result run_simulation(const sim_config& config);

}  // namespace treecast::sim
