// The peer engine: one node of the broadcast tree, sans-IO.
//
// A node owns no socket, thread or clock. Its driver (the Asio runtime or the
// simulator) calls an on_* input with the current time, then drains the
// actions the input produced (send, connect, close, deliver, give up) and
// arms one timer for next_deadline().
//
// Joining (every node but the root):
//   discover: connect to the rendezvous, send CandidatesRequest, get
//             Candidates (seed relays first, then sampled peers with room);
//   probe:    connect to up to probe_fanout candidates in parallel, Ping each,
//             collect Pongs (RTT, depth, free slots, path) until all answered
//             or probe_timeout;
//   join:     JoinRequest on the best probe link (parent_scoring): a same-site
//             peer first, then one with a free slot, then the nearest. A
//             candidate whose path holds this node is skipped (no loop);
//   accepted: JoinAccept carries the parent's path; chunks follow. A
//             JoinRedirect starts a probe round over the redirect's
//             candidates (descend), up to max_redirects;
//   failed:   an empty round, a refused connection, too many redirects: try
//             again after a backoff; after max_join_attempts, give up.
//
// Serving (every node): an inbound link first sends Hello, then Ping (answered
// with Pong), CandidatesRequest (answered from this node's view of its
// subtree), or JoinRequest (accepted within capacity, else redirected to the
// children). Children report their subtree every report_interval; the root's
// view of its children's reports is the rendezvous.
//
// Chunks from the parent (at the root, from the source) enter the window
// once; their frame is queued unchanged to every child and delivered locally.
// A lost parent is rejoined through the same procedure, resuming from the
// next missing sequence number; children keep their links meanwhile and get a
// PathUpdate when the node is attached again (a child finding itself in the
// new path detaches: no loop survives).
//
// Failures: a malformed frame or a message out of place closes that link
// with the reason; other links are untouched. A link silent for
// heartbeat_misses intervals is closed.
//
// Threading: not thread-safe; the driver calls it from one thread.
#pragma once

#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/actions.hpp"
#include "core/candidate_sampler.hpp"
#include "core/chunk_window.hpp"
#include "core/counters.hpp"
#include "core/log.hpp"
#include "core/node_config.hpp"
#include "core/parent_scoring.hpp"
#include "core/rate_limiter.hpp"
#include "core/time.hpp"
#include "wire/messages.hpp"

namespace treecast::core {

class node {
 public:
  // `config` must be valid (node_config::validate() empty). `seed` drives
  // every random choice (nonces, sampling), so a run is reproducible.
  node(node_config config, wire::node_id_t id, std::uint64_t seed, log_sink log = {});

  // Starts the node: a non-root node starts joining.
  void start(time_point now);

  // Says goodbye on every link and closes them; the node stays idle after.
  void stop(time_point now);

  // Graceful leave: hands the children to this node's parent and ancestors
  // (Leave with handoff), keeps forwarding while they rejoin there
  // (make-before-break), and stops once they are gone or after leave_linger.
  // Without children, or at the root, the same as stop().
  void leave(time_point now);

  // True once the node has stopped (after stop() or a finished leave()).
  bool stopped() const { return stopped_; }

  // Parent lost -> first chunk from the new parent, for the last repairs.
  const std::vector<duration>& repair_times() const { return repairs_; }

  // The driver accepted a connection from `remote`; returns its link id.
  link_id_t on_link_accepted(const wire::endpoint& remote, time_point now);

  // The connection asked for by connect_action `link` is up.
  void on_link_connected(link_id_t link, time_point now);

  // The link failed to connect or went away. Not called for links the node
  // closed itself.
  void on_link_closed(link_id_t link, std::error_code why, time_point now);

  // A complete frame arrived on `link` (see wire::frame_decoder). Malformed
  // frames close that link.
  void on_frame(link_id_t link, const wire::shared_bytes& frame, time_point now);

  // The driver found the link's bytes unusable (e.g. an oversize frame) and
  // stopped reading it: counted as a protocol error, logged and closed.
  void on_protocol_error(link_id_t link, std::error_code why, time_point now);

  // A decoded message arrived on `link`.
  void on_message(link_id_t link, wire::message message, time_point now);

  // Root only: a new chunk from the media source, already sealed (frame set).
  void on_source_chunk(wire::chunk c, time_point now);

  // The timer armed for next_deadline() fired (early or late calls are fine).
  void on_timer(time_point now);

  // When on_timer wants to be called next; nullopt when nothing is pending.
  std::optional<time_point> next_deadline() const;

  // Actions produced since the last call, in order.
  std::vector<action> take_actions();

  const wire::node_id_t& id() const { return id_; }
  const node_config& config() const { return config_; }
  bool is_root() const { return config_.role == wire::peer_role::broadcaster; }
  // True when chunks flow to this node: the root always, others once accepted.
  bool attached() const;
  // Hops from the broadcaster (root = 0); meaningful when attached().
  std::uint32_t depth() const { return depth_; }
  // Broadcaster .. this node; meaningful when attached().
  const std::vector<wire::node_id_t>& path() const { return path_; }
  std::optional<wire::endpoint> parent_endpoint() const;
  std::size_t child_count() const { return child_count_; }
  std::size_t free_slots() const;
  // Peers in this node's subtree, itself included, as its children last reported.
  std::uint32_t subtree_size() const;
  // Deepest depth in this node's subtree, as its children last reported.
  std::uint32_t subtree_depth() const;
  // Viewers and relays in this node's subtree, itself included.
  std::uint32_t subtree_viewers() const { return subtree_count(wire::peer_role::viewer); }
  std::uint32_t subtree_relays() const { return subtree_count(wire::peer_role::relay); }
  // Chunks missed summed over this node's subtree.
  std::uint64_t subtree_chunks_missed() const;
  // This node's health row, then its subtree's as its children reported
  // them (nearest first), at most `limit` rows.
  std::vector<wire::peer_health> subtree_health(std::size_t limit) const;
  // What only the driver knows of this node's health (the wall clock's view
  // of latency, the player's buffer): reported with the next report.
  void set_local_health(std::int32_t latency_ms, std::int32_t buffer_ms);

  const chunk_window& window() const { return window_; }
  const counters& stats() const { return counters_; }

 private:
  enum class link_kind {
    inbound,     // accepted from a peer; a child once its join is accepted
    rendezvous,  // our candidates query
    probe,       // our probe of a candidate parent
    joining,     // a probe we sent JoinRequest on
    parent,      // our accepted parent
  };

  struct link {
    link_kind kind = link_kind::inbound;
    bool connected = false;
    wire::endpoint remote;
    std::optional<wire::hello> peer_hello;
    bool child = false;  // inbound link whose join we accepted
    time_point last_heard{};
    time_point last_sent{};
    // Probes: when the Ping went out, its nonce and the answer.
    time_point ping_sent{};
    std::uint64_t nonce = 0;
    std::optional<wire::pong> answer;
    duration rtt{};
    // Children: the latest report of their subtree.
    std::optional<wire::report> last_report;
  };

  void handle(link_id_t id, link& l, wire::hello&& m, time_point now);
  void handle(link_id_t id, link& l, wire::join_request&& m, time_point now);
  void handle(link_id_t id, link& l, wire::join_accept&& m, time_point now);
  void handle(link_id_t id, link& l, wire::join_redirect&& m, time_point now);
  void handle(link_id_t id, link& l, wire::chunk&& m, time_point now);
  void handle(link_id_t id, link& l, wire::heartbeat&& m, time_point now);
  void handle(link_id_t id, link& l, wire::leave&& m, time_point now);
  void handle(link_id_t id, link& l, wire::ping&& m, time_point now);
  void handle(link_id_t id, link& l, wire::pong&& m, time_point now);
  void handle(link_id_t id, link& l, wire::path_update&& m, time_point now);
  void handle(link_id_t id, link& l, wire::report&& m, time_point now);
  void handle(link_id_t id, link& l, wire::candidates_request&& m, time_point now);
  void handle(link_id_t id, link& l, wire::candidates&& m, time_point now);

  // Joining.
  void start_join(time_point now);
  void start_probes(const std::vector<wire::endpoint>& targets, time_point now);
  void maybe_choose(time_point now);
  void choose_parent(time_point now);
  void join_failed(const std::string& why, time_point now);
  void attach(link_id_t id, link& l, std::uint32_t parent_depth,
              std::vector<wire::node_id_t> parent_path, time_point now);
  void detach(time_point now);
  void finish_leave(time_point now);
  void send_path_updates();
  std::vector<wire::endpoint> backups_for(link_id_t child);
  void close_join_links(std::optional<link_id_t> keep);
  bool joining() const;

  // Serving.
  // False (and the asker told and dropped) when over max_joins_per_second.
  bool within_join_rate(link_id_t id, time_point now);
  void accept_chunk(shared_chunk c);
  void serve_backlog(link_id_t child, std::optional<wire::seq_t> resume_from);
  void send_chunk(link_id_t id, link& l, const wire::chunk& c);
  // This node's view of candidate parents in its subtree, for a joiner of
  // `site`; with `include_self`, itself first when it has room.
  std::vector<wire::peer_summary> known_candidates(const std::string& site, bool include_self,
                                                   sample_order order);
  wire::report make_report();
  // Peers of `role` (viewer or relay) in this subtree, itself included.
  std::uint32_t subtree_count(wire::peer_role role) const;
  void send_reports(time_point now);
  void report_soon(time_point now);
  void send_heartbeats(time_point now);

  // Links.
  link_id_t open_link(link_kind kind, const wire::endpoint& to, time_point now);
  void close_link(link_id_t id, std::error_code why, time_point now);
  void forget(link_id_t id, time_point now);
  void send(link_id_t id, const wire::message& m);
  void send_frame(link_id_t id, const wire::shared_bytes& frame);
  wire::hello my_hello() const;
  void log(log_level level, time_point now, const std::string& text) const;

  node_config config_;
  wire::node_id_t id_;
  std::mt19937_64 random_;
  log_sink log_;
  parent_scoring scoring_;
  chunk_window window_;
  counters counters_;
  std::vector<action> outbox_;
  rate_limiter join_limiter_;  // joins and candidate queries served

  time_point now_{};  // of the input being handled
  std::map<link_id_t, link> links_;
  link_id_t next_link_id_ = 1;
  std::size_t child_count_ = 0;
  bool running_ = false;

  // Tree position.
  std::optional<link_id_t> parent_link_;
  std::uint32_t depth_ = 0;
  std::vector<wire::node_id_t> path_;  // broadcaster .. this node

  // Join procedure.
  int join_attempts_ = 0;  // failed attempts in a row
  int redirects_ = 0;      // redirects followed in this attempt
  std::optional<time_point> rejoin_at_;
  std::optional<time_point> probe_deadline_;
  duration backoff_;

  // Repair.
  std::vector<wire::endpoint> ancestors_;  // broadcaster .. our parent
  std::vector<wire::endpoint> backups_;    // from our parent: peers with room elsewhere
  bool repair_round_ = false;              // probing ancestors/backups, not the rendezvous
  std::optional<time_point> repair_started_;
  std::vector<duration> repairs_;
  std::optional<link_id_t> leaving_parent_;  // still feeding us during a handoff
  std::optional<wire::node_id_t> avoid_;     // the parent we lost: its subtree is no home
  std::set<wire::endpoint> banned_;          // peers that sent forged chunks
  std::set<wire::node_id_t> banned_ids_;
  std::optional<wire::seq_t> highest_seq_;
  std::optional<time_point> last_chunk_at_;
  static constexpr std::size_t max_repairs_kept = 256;
  static constexpr std::size_t max_backups = 4;

  // Leaving.
  bool leaving_ = false;
  bool stopped_ = false;
  std::optional<time_point> leave_deadline_;
  std::optional<time_point> next_backups_;

  std::optional<time_point> next_heartbeat_;
  std::optional<time_point> next_report_;
  std::int32_t local_latency_ms_ = -1;
  std::int32_t local_buffer_ms_ = -1;
  time_point last_report_sent_{};
};

}  // namespace treecast::core
