// Configuration of one peer engine. Defaults are the documented defaults of
// every program; validate() names the first field out of range.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "core/admission_policy.hpp"
#include "core/chunk_sealer.hpp"
#include "core/chunk_verifier.hpp"
#include "core/time.hpp"
#include "wire/limits.hpp"
#include "wire/messages.hpp"

namespace treecast::core {

using namespace std::chrono_literals;

struct node_config {
  // What this peer is; the broadcaster is the root and has no parent.
  wire::peer_role role = wire::peer_role::relay;

  // Site label reported to other peers ("" = unknown): given (--site), or
  // inferred from the peer's address ("net:...", site_inference.hpp).
  std::string site;

  // The stream this peer relays (the broadcaster's public key, from the
  // invite link). A chunk of another stream is refused. "" = any (tests, sim).
  std::string stream_id;

  // Checks every chunk's signature before it is stored or forwarded; a chunk
  // that fails gets its sender dropped and banned. Null = no check (sim).
  std::shared_ptr<const chunk_verifier> verifier;

  // The root only: the stream key, to prove in every Pong that it is the
  // root (peers believe no depth-0 claim without it). Null = no proof (sim).
  std::shared_ptr<const chunk_signer> root_signer;

  // Checks the invite token in every inbound Hello; a peer without a valid
  // one is told why and dropped. Null = everyone is admitted (sim).
  std::shared_ptr<const admission_policy> admission;

  // This peer's own invite token, presented in its Hello.
  std::string token;

  // Port on which this peer accepts children (0 = it accepts none).
  std::uint16_t listen_port = 0;

  // Where joiners ask for candidate parents (the broadcaster's address, from
  // the invite link). Required for every role but the broadcaster.
  std::optional<wire::endpoint> rendezvous;

  // Health entries a report carries up (this peer's and its subtree's, the
  // nearest first): the broadcaster's dashboard rows. 0 = none (the
  // simulator's large trees); counts are aggregated either way.
  std::size_t max_health_entries = wire::max_health_entries;

  // Children accepted at most; a join beyond it is redirected.
  std::size_t max_children = 8;

  // A full node still takes a joiner clearly stronger than its weakest
  // child (capacity_policy) and asks that child to move below it; the child
  // is fed until it has, or this long, then its link is closed.
  duration move_out_timeout = std::chrono::seconds(3);
  // A child whose queue stays above child_lag_limit of the stream for
  // child_lag_patience is one we cannot feed (upload_monitor): handed to a
  // peer with room; when most children fall behind together, we offer
  // fewer slots, one more again per slot_regrow_interval of calm.
  duration child_lag_limit = std::chrono::milliseconds(500);
  duration child_lag_patience = std::chrono::seconds(2);
  duration slot_regrow_interval = std::chrono::seconds(30);
  // A child costs the full rendition's rate times this of our uplink (TLS,
  // TCP, control, the uplink's other traffic): slots beyond what the uplink
  // timed at the join carries are not offered (link_timing).
  double uplink_headroom = 1.25;

  // How far back, in capture time, the chunk window reaches.
  duration window_span = std::chrono::seconds(10);

  // Bound on the window's bytes, whatever its span (a safety net).
  std::size_t window_max_bytes = 64 * 1024 * 1024;

  // A heartbeat goes to every idle linked peer this often, except from a
  // standby child to its standby: that one feeds it (a Have per chunk)
  // and it only proves it is alive, every standby_heartbeat_interval; a
  // vanished standby child costs its holder a standby place for a few
  // seconds, nothing a viewer sees. (A child's heartbeats to its parent
  // stay fast: a frozen child's slot is the first its orphans ask for.)
  duration heartbeat_interval = std::chrono::milliseconds(250);
  duration standby_heartbeat_interval = std::chrono::seconds(1);

  // A peer silent for this many of its heartbeat intervals is dropped.
  int heartbeat_misses = 4;

  // A parent heartbeats each child idle this long (no chunk sent it), so
  // that a child tells a dead or frozen parent from a stream stopped above
  // it sooner than by heartbeat_interval: that was the wait of the
  // simulator's largest stalls, a parent lost while no standby could show
  // the stream (2026-12-06). While the stream flows it costs nothing.
  duration child_heartbeat_interval = std::chrono::milliseconds(100);

  // A parent silent for this many child heartbeat intervals (of its chunk
  // intervals when longer; of heartbeat intervals until its pace is known),
  // and two round trips (no chunk, no heartbeat: a lost segment at the end
  // of a burst is resent after about two), is left make-before-break, before
  // heartbeat_misses: it feeds us if it comes back before another parent
  // takes us. This is the notice when the warm standby cannot give it (none
  // held, or silent too: a parent and standby that froze together); a false
  // alarm costs a move, not a stall.
  int parent_silence_misses = 2;

  // First delay before reconnecting to a lost parent; doubles per failure.
  duration reconnect_min = std::chrono::milliseconds(100);

  // Upper bound of the reconnect delay.
  duration reconnect_max = std::chrono::seconds(2);

  // Candidates probed in parallel per join round.
  std::size_t probe_fanout = 8;

  // How long a join round waits for probe answers before choosing.
  duration probe_timeout = std::chrono::milliseconds(1000);
  // How long connecting back to a new child (and its Hello) may take before
  // it is taken to be unreachable (reachability_check): the runtime's
  // connect timeout, so a dropped SYN ends the same way either side.
  duration reach_check_timeout = std::chrono::milliseconds(3000);

  // Redirects followed within one join attempt before starting over.
  int max_redirects = 16;

  // Join attempts (rendezvous -> probe -> join) before giving up; 0 = never give up.
  int max_join_attempts = 10;

  // Added to a candidate's RTT per hop of depth when choosing a parent.
  duration depth_penalty = std::chrono::milliseconds(5);

  // A child reports its subtree to its parent this often when the report
  // says something new (report_change.hpp), and every report_refresh
  // regardless.
  duration report_interval = std::chrono::seconds(1);
  duration report_refresh = std::chrono::seconds(10);

  // A change in the subtree (a child joins or leaves, a child's room changes)
  // is reported early, but at most this often.
  duration report_min_interval = std::chrono::milliseconds(100);

  // A parent that sends no chunk for this long (while alive), counted from
  // the moment it accepted us, is left and distrusted.
  duration starvation_timeout = std::chrono::seconds(3);

  // A peer that starved us or lied about its place is not chosen again for
  // this long, whether it comes back under the same address or another id.
  duration distrust_period = std::chrono::seconds(60);

  // A chunk captured further than this from the wall clock (before or after)
  // is refused as a replay, and its sender dropped. Checked once the driver
  // gave the wall clock (node::on_wall_clock); 0 = never.
  duration max_chunk_age = std::chrono::seconds(120);

  // Parents refresh their children's ancestors and backups this often.
  duration backup_interval = std::chrono::seconds(5);

  // A leaving peer waits at most this long for its children to move.
  duration leave_linger = std::chrono::seconds(2);

  // Joins and candidate queries served per second at most (bursts of twice
  // that); beyond it the asker is told to come back later and dropped.
  double max_joins_per_second = 1000;

  // Bytes queued to one link (handed to the driver, not yet written) before
  // its peer counts as one that stopped reading and is dropped. Bounds memory
  // whatever the peers do.
  std::size_t max_pending_bytes = 8 * 1024 * 1024;

  // Late binding (children): a child's chunks go to the driver while less
  // than what its link writes in send_window is queued there (at least
  // min_send_window; initial_send_window before its pace is known); the
  // rest wait in the engine, cut to what the child wants when they go.
  duration send_window = std::chrono::milliseconds(250);
  // A child that asked for no full rendition (a narrow link: it takes no
  // children) whose chunks waiting in the engine span more than this of
  // the stream skips to the newest it can start from: a live stream that
  // late would play late for good. Lab: a 150 kbit/s viewer whose trial of
  // the low video failed had ~10 s queued here, sent on as sound alone in
  // order: its sound stayed 8-12 s late to the end of the run.
  duration held_lag_limit = std::chrono::seconds(2);
  std::size_t min_send_window = 8 * 1024;
  std::size_t initial_send_window = 32 * 1024;

  // Set by a viewer whose player chooses its rendition: its first join
  // times its downlink (link_timing) and asks for the renditions this
  // returns for the measured kbit/s and the renditions' rates (as a Pong of
  // the round said). Unset: no timing, the join asks for what the player
  // said (want_renditions).
  std::function<wire::rendition_set(double kbps, std::span<const std::uint32_t> rendition_kbps)>
      rendition_for_downlink;

  // Joins and candidate queries served per second from any one address
  // (bursts of twice that).
  double max_joins_per_address_per_second = 100;

  // Children from any one address at most (0 = no bound). A bound limits
  // what one host can take with many ids (Sybils); offices behind one NAT
  // address would feel it too, hence off by default.
  std::size_t max_children_per_address = 0;

  // Inbound links held at most besides children (probes, queries, joiners);
  // beyond it a new peer is told "busy" and dropped. Children never
  // compete for these: max_children bounds them.
  std::size_t max_links = 1000;

  // Inbound links that have not yet said Hello, at most (a flood of
  // half-open connections costs little, is cut, and cannot take every link).
  std::size_t max_unadmitted_links = 512;

  // An inbound link that has not become a child within this long is closed
  // (probes and queries last a round trip or two).
  duration idle_link_timeout = std::chrono::seconds(10);

  // Messages other than chunks one link may send per second (bursts of
  // twice that); a peer above it is dropped as a flood.
  double max_messages_per_second = 100;

  // Keep a warm standby parent (warm_standby.hpp): a switch is one message
  // and a parent falling behind it is noticed within a chunk.
  bool warm_standby = true;

  // And a second one (warm_standby.hpp), for when the first fails with the
  // parent: the double failures that were most of the simulator's stalls
  // once one standby was held. Costs its holder a standby place and Haves
  // (a few bytes a chunk).
  bool second_standby = true;
  // The second asks its holder for Haves (heartbeats when idle) only this
  // often: it only shows it lives, and its lead is measured from those.
  // Each chunk, as the first gets them, it doubled the simulator's settled
  // control bytes (383 -> 681 B/peer/s). Under heartbeat_interval, so that
  // the link sweep finds it never idle enough to add a heartbeat.
  duration second_standby_have_interval = std::chrono::milliseconds(200);

  // A parent this far behind the standby (beyond its usual lag), and silent
  // as long, is replaced by the standby; at least 3/4 of the parent's chunk
  // interval (a long chunk's arrival varies with its length on every hop).
  // Wide enough for a busy machine's scheduling delays (a 2-core box
  // running 30 peers missed 60 ms). 150 ms until chunks per frame: with
  // 100 here and 15 for the paced fetch, the simulator at the peers'
  // defaults (1 000 peers, 20% churn, seeds 1-12) stalled 11.7 s in all
  // against 16.2, and made 12 switches where nothing failed (seeds 1-3, no
  // churn) against 2; 80 made 59.
  duration parent_lag_tolerance = std::chrono::milliseconds(100);

  // A parent this late with a chunk the standby announced (and silent as
  // long) has that chunk fetched from the standby (gap fill): a false alarm
  // costs one chunk of the standby's upload, not a switch.
  duration gap_fill_tolerance = std::chrono::milliseconds(50);

  // A parent this late with its next chunk, by the pace of its recent ones
  // (parent_pace), and silent as long, has the next chunks fetched from the
  // standby at once, before the standby's Have could say it has them: the
  // standby sends each as it comes (a pending Fetch). Across a 40 ms WAN
  // the Have alone came too late for a 150 ms buffer. A false alarm costs
  // the standby's upload of the chunks until the switch would have come,
  // so this is short; at least 1/5 of the parent's chunk interval.
  duration pace_fetch_tolerance = std::chrono::milliseconds(15);

  // A standby holder whose children's links have more than this of the
  // stream waiting (half of them or more) sends no gap fill: its uplink is
  // behind, and its children come first (standby_children::serve_fetch).
  duration gap_fill_uplink_limit = std::chrono::milliseconds(50);

  // Haves to standby children at most this often: a Have a chunk at 30
  // frames a second (~12 bytes each, 0.2% of a 2 Mbit/s stream), fewer when
  // chunks are shorter still. Sparser Haves show a failed parent later: at
  // one per 100 ms a frozen parent stalled the viewers' 150 ms buffer
  // (tests/integration/repair_test.cpp, frozen relay).
  duration standby_have_interval = std::chrono::milliseconds(30);

  // Peers held as standby children at most (each costs a few bytes a Have).
  std::size_t max_standby_children = 16;

  // Children above max_children a node takes when its standby children
  // switch to it: it promised each a one-message repair, and slots fill
  // after the promise (a redirect then costs a probe round across the WAN).
  std::size_t standby_headroom = 1;

  // Peers asked per round when looking for a standby, and the pause after a
  // round that found none.
  int max_standby_tries = 6;
  duration standby_retry = std::chrono::seconds(2);

  // A standby whose stream usually comes this much later than the parent's
  // has a sooner one looked for (warm_standby.hpp): a switch to it would
  // eat that much of the viewers' buffer. So is one this many round trips
  // away: the stream stops for a round trip when it takes over. At most one
  // search a pause.
  duration standby_max_trail = std::chrono::milliseconds(50);
  duration standby_max_rtt = std::chrono::milliseconds(100);
  duration standby_challenge_pause = std::chrono::seconds(10);

  // The improvement loop (parent_improver.hpp): a round this often (0 =
  // never), and a move only when the delay from the broadcaster through
  // the new parent is lower by both margins (move_policy.hpp). On since
  // nearer strong peers up: treecast-sim 10 000 peers, seeds 1-7, stretch
  // p50 2.63 -> 1.93, capture-to-play p99 800 -> 704 ms, flash-crowd stall
  // 174 -> 27 s in all; 1 000 peers, 20% churn, seeds 1-6: stalls lower for
  // crash, leave and freeze alike.
  // Margins 15 ms and 15% since 2026-12-07 (40 ms and 25% before: a viewer
  // near the broadcaster but 60 ms from it through the tree needed a parent
  // 20 ms away to move at all). 10 000 peers, seed 7, --settle 120: stretch
  // p50 1.67 -> 1.50, capture-to-play p99 628 -> 606 ms, moves 8 056 ->
  // 13 420. 1 000 peers, 20% freeze churn, seeds 21-52: stall 4.3 -> 7.3 s
  // over 37 -> 39 viewers, worse at 12 seeds and better at 14 (three seeds
  // make the difference; the one traced, 42, a double failure, no move).
  duration improve_interval = std::chrono::seconds(15);
  duration improve_min_gain = std::chrono::milliseconds(15);
  double improve_min_gain_fraction = 0.15;

  // Strong peers up (parent_improver.hpp): a peer clearly stronger than its
  // parent (capacity_policy) asks its grandparent to take it in a weaker
  // child's place this long after it attached, backing off while it is
  // refused (0 = never).
  duration rise_interval = std::chrono::seconds(5);

  // Site gathering (parent_improver.hpp, move_policy.hpp): a peer whose
  // parent is of another site looks for a parent of its own this often (0 =
  // never). It brings the WAN copies into each site down to one (netns lab:
  // 1/2/1 and 2/4/1 -> 1/1/1); under churn the gathered sites still stall a
  // little more (treecast-sim, 10 sites, 20% churn: ~10 s against ~2 s in
  // six runs of 75 s), which a site's WAN carrying the stream 7 times would
  // cost far more on a thin office uplink (the simulator gives WANs no
  // capacity).
  duration site_gather_interval = std::chrono::seconds(5);
  // Whether site gathering runs: an interval, and a way to tell our site
  // (a label, or inference from round trips).
  bool gathers_sites() const {
    return site_gather_interval > duration{} && (!site.empty() || same_site_rtt > duration{});
  }

  // Peers without a common --site label this close (round trip, measured or
  // estimated from network coordinates) are taken as one site
  // (site_inference.hpp): a LAN answers in a millisecond or two, the WAN
  // between offices in tens. 0 = labels only, the default for now: on a
  // dense map of unlabelled peers a fixed threshold also groups neighbours
  // of no common WAN, and coordinates fitted from one probe round are too
  // rough to tell (issue 16's note has the figures).
  duration same_site_rtt{};

  // Candidates kept in a report or handed to a joiner.
  std::size_t candidate_sample = 16;
  // ... in a report to the broadcaster (a seed's): it is every newcomer's
  // rendezvous, and its view of who has room is only what its few seeds
  // report. At 16 rows each, 3 seeds named 48 peers to a flash crowd of
  // 1 000 joiners a second, and a newcomer's 8 candidates were mostly full
  // (subtree_view::make_report).
  std::size_t seed_candidate_sample = 64;

  // Empty when valid, otherwise which field is wrong and why.
  std::string validate() const;
};

}  // namespace treecast::core
