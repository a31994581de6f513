// The peer engine: one node of the broadcast tree, sans-IO.
//
// A node owns no socket, thread or clock. Its driver (the Asio runtime or the
// simulator) calls an on_* input with the current time, then drains the
// actions the input produced (send, connect, close, deliver) and arms one
// timer for next_deadline().
//
// Links. Every connection is a link with an id chosen by the node:
//  - the parent link, opened by the node (connect_action): connect -> both
//    send Hello -> we send JoinRequest -> parent answers JoinAccept (chunks
//    follow) or JoinRedirect (we try the candidates, then our configured
//    parent again);
//  - inbound links, accepted by the driver (on_link_accepted): we send Hello,
//    wait for the peer's Hello, then its JoinRequest. Within capacity it
//    becomes a child: JoinAccept, then the chunks of the window from its
//    resume point (or the newest keyframe), then every new chunk. Beyond
//    capacity it gets a JoinRedirect listing our children and is closed.
//
// Chunks. A chunk from the parent (or, at the root, from the source) enters
// the window once; its frame is queued unchanged to every child and it is
// delivered to the local consumer. Duplicates and chunks older than the
// window are dropped and counted.
//
// Failures. A malformed frame or a message out of place closes that link
// with the reason (a close_action carrying the error); other links are not
// affected. A lost parent is retried with exponential backoff and the join
// resumes from the next sequence number this node misses, so its children
// keep their links and see no gap. A link silent for heartbeat_misses
// heartbeat intervals is closed.
//
// Threading: not thread-safe; the driver calls it from one thread.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/actions.hpp"
#include "core/chunk_window.hpp"
#include "core/counters.hpp"
#include "core/log.hpp"
#include "core/node_config.hpp"
#include "core/time.hpp"
#include "wire/messages.hpp"

namespace treecast::core {

class node {
 public:
  // `config` must be valid (node_config::validate() empty).
  node(node_config config, wire::node_id_t id, log_sink log = {});

  // Starts the node: a non-root node connects to its parent.
  void start(time_point now);

  // Says goodbye on every link and closes them; the node stays idle after.
  void stop(time_point now);

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

  // A decoded message arrived on `link` (the simulator may skip encoding).
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
  std::optional<wire::endpoint> parent_endpoint() const;
  std::size_t child_count() const { return child_count_; }
  const chunk_window& window() const { return window_; }
  const counters& stats() const { return counters_; }

 private:
  struct link {
    bool outbound = false;  // we opened it (towards a parent)
    bool connected = false;
    wire::endpoint remote;
    std::optional<wire::hello> peer_hello;
    bool accepted = false;  // outbound: parent accepted us; inbound: peer is our child
    time_point last_heard{};
  };

  void handle(link_id_t id, link& l, wire::hello&& m, time_point now);
  void handle(link_id_t id, link& l, wire::join_request&& m, time_point now);
  void handle(link_id_t id, link& l, wire::join_accept&& m, time_point now);
  void handle(link_id_t id, link& l, wire::join_redirect&& m, time_point now);
  void handle(link_id_t id, link& l, wire::chunk&& m, time_point now);
  void handle(link_id_t id, link& l, wire::heartbeat&& m, time_point now);
  void handle(link_id_t id, link& l, wire::leave&& m, time_point now);

  void accept_chunk(shared_chunk c);
  void serve_backlog(link_id_t child, std::optional<wire::seq_t> resume_from);
  void connect_to_parent(time_point now);
  void parent_gone(time_point now);
  // Closes `id` for a protocol violation or timeout, and forgets it.
  void close_link(link_id_t id, std::error_code why, time_point now);
  void forget(link_id_t id, time_point now);
  void send(link_id_t id, const wire::message& m);
  wire::hello my_hello() const;
  void log(log_level level, time_point now, const std::string& text) const;

  node_config config_;
  wire::node_id_t id_;
  log_sink log_;
  chunk_window window_;
  counters counters_;
  std::vector<action> outbox_;

  std::map<link_id_t, link> links_;
  link_id_t next_link_id_ = 1;
  std::size_t child_count_ = 0;
  bool running_ = false;

  // Parent side.
  std::optional<link_id_t> parent_link_;
  std::uint32_t depth_ = 0;
  std::vector<wire::node_id_t> path_;            // broadcaster .. this node
  std::deque<wire::endpoint> redirect_targets_;  // from the last JoinRedirect
  std::optional<time_point> reconnect_at_;
  duration reconnect_delay_;

  std::optional<time_point> next_heartbeat_;
};

}  // namespace treecast::core
