// The links of one node: every connection it has or is opening, what each is
// for, the Hello/admission gate, liveness, and the bound on bytes queued to
// each.
//
// A link is opened by the node (connect_action) or accepted by the driver;
// the first message on it must be the peer's Hello, which the gate checks
// (version, invite token) before anything else is believed. A link silent
// for heartbeat_misses of the peer's heartbeat intervals is reported by
// sweep(); an idle one is sent a heartbeat (seldom on a warm standby link:
// node_config's standby_heartbeat_interval). Bytes handed to the driver and
// not yet reported written (on_written) count against max_pending_bytes: a
// link over it has a peer that stopped reading, and take_overflowed() names
// it for closing. Inbound links are bounded in number (max_links,
// max_unadmitted_links), in life without joining (idle_inbound) and in
// message rate.
//
// The table only keeps state and produces sends, connects and closes; what a
// link's loss means for the tree is the node's and its parts' business.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "core/node_context.hpp"
#include "core/rate_limiter.hpp"
#include "wire/messages.hpp"

namespace treecast::core {

enum class link_kind {
  inbound,      // accepted from a peer; a child once its join is accepted
  rendezvous,   // our candidates query
  probe,        // our probe of a candidate parent
  joining,      // a probe we sent JoinRequest on
  parent,       // our accepted parent
  standby,      // our warm standby parent (asked or held)
  reach_check,  // our connection back to a new child: can others reach it?
};

struct link {
  link_kind kind = link_kind::inbound;
  bool connected = false;
  wire::endpoint remote;
  std::optional<wire::hello> peer_hello;  // set once the gate admitted it
  time_point opened_at{};
  time_point last_heard{};
  // When it last sent anything but a heartbeat (bytes of a frame still
  // arriving count): a heartbeat proves the peer alive and its link empty,
  // not that a long chunk is on its way (warm_standby's lag rule).
  time_point last_stream_heard{};
  time_point last_sent{};
  std::optional<rate_limiter> message_budget;  // messages other than chunks
  std::size_t queued_bytes = 0;                // sent to the driver, not yet written
  // When each frame still unwritten was queued, oldest first from
  // unwritten_head (the bytes queued on the link up to its end, when): how
  // long the oldest has waited. A vector, not a deque: most links are idle,
  // and an empty vector costs no allocation.
  std::vector<std::pair<std::uint64_t, time_point>> unwritten;
  std::size_t unwritten_head = 0;
  std::uint64_t bytes_queued_total = 0;
  std::uint64_t bytes_written_total = 0;
  std::size_t held_bytes = 0;  // chunks for it held in the engine (late binding)
  // How fast the driver writes this link's bytes while some wait (bytes per
  // second, 0 = not measured yet), and when it last wrote.
  double written_bytes_per_second = 0;
  time_point last_written{};
  bool waiting_since_written = false;  // bytes stayed queued at the last write
  bool overflowed = false;             // queued_bytes passed the bound
  duration rtt{};  // round trip once measured (a probe's Ping, a StandbyRequest), else zero
  std::optional<time_point> asked_at;  // a StandbyRequest went out then: its offer times the trip
  // The peer heartbeats only every standby_heartbeat_interval (we hold it
  // as a standby child: standby_children marks it).
  bool slow_peer = false;
  // The renditions the peer asked us for (a child, a standby child), and
  // the ones we last asked it for (our parent, our standby): see
  // rendition_subscriptions.
  wire::rendition_set wants = wire::all_renditions;
  wire::rendition_set asked = 0;
  // A child got its first chunk (rendition_subscriptions::starts).
  bool started = false;
  bool padded = false;  // a Pong with padding went (once per link)
  // The peer's downlink, kbit/s, when it said it was narrow (a child, a
  // standby child): what we send it is paced (child_pacing).
  std::uint32_t downlink_kbps = 0;
};

// The id the peer's Hello gave; nullopt before the gate admitted it.
inline std::optional<wire::node_id_t> peer_id(const link& l) {
  return l.peer_hello ? std::optional(l.peer_hello->node_id) : std::nullopt;
}

class link_table {
 public:
  using map = std::map<link_id_t, link>;

  explicit link_table(node_context& context) : ctx_(context) {}

  // A connection the driver accepted: connected, heard from now.
  link_id_t accept(const wire::endpoint& remote);

  // Asks the driver to connect to `to` (connect_action).
  link_id_t open(link_kind kind, const wire::endpoint& to);

  link* find(link_id_t id);
  const link* find(link_id_t id) const;
  link& at(link_id_t id) { return links_.at(id); }
  const link& at(link_id_t id) const { return links_.at(id); }
  bool contains(link_id_t id) const { return links_.count(id) != 0; }

  // Queues `m` (or an encoded frame) to the link; nothing when it is gone.
  void send(link_id_t id, const wire::message& m);
  void send_frame(link_id_t id, const wire::shared_bytes& frame);
  // The per-chunk path: the caller holds the link already, no lookup.
  void send_frame(link_id_t id, link& l, const wire::shared_bytes& frame);

  // The driver wrote `bytes` of what was queued to the link.
  void on_written(link_id_t id, std::size_t bytes);
  // Bytes the driver may hold for the link before more wait in the engine:
  // what it writes in send_window (late binding).
  std::size_t send_window(const link& l) const;
  // How long the oldest byte the driver has not written for `l` has waited
  // (zero when none waits): the delay our uplink adds on that link now.
  duration queue_age(const link& l) const;
  // Chunk bytes now held for `l` in the engine: over max_pending_bytes with
  // what the driver holds, its peer stopped reading (take_overflowed()).
  void set_held(link_id_t id, link& l, std::size_t bytes);

  // Links whose queue (the driver's and the engine's) passed
  // max_pending_bytes since the last call.
  std::vector<link_id_t> take_overflowed();

  // Asks the driver to close the link (close_action) and logs why when the
  // reason is worth a warning. The record stays: the caller removes it.
  void close(link_id_t id, std::error_code why);

  // Removes the link's record (nothing is sent); nullopt when unknown.
  std::optional<link> remove(link_id_t id);

  // Removes every link; the driver is told nothing.
  void clear() {
    links_.clear();
    overflowed_.clear();
    inbound_ = 0;
    unadmitted_ = 0;
  }

  // The Hello gate. Returns a protocol error (duplicate_hello,
  // version_mismatch, impostor: the peer says it has our id) for the caller
  // to close the link with, or
  // node_errc::unauthorized with `refusal` saying why the token does not
  // admit the peer; {} when admitted (the Hello is then kept on the link).
  // Links this node opened are asked too: a parent must be invited as well.
  // Expiry is not checked here (members stay): see newcomer_refusal().
  std::error_code admit(link& l, wire::hello&& h, std::string& refusal);

  // Why a peer that asks to join for the first time (no chunk to resume
  // from) may not, its invite checked against the wall clock; nullopt when
  // it may.
  std::optional<std::string> newcomer_refusal(const link& l) const;

  // Inbound links held now, and those of them not yet past the Hello gate
  // (counted as they come and go: a root in a flash crowd holds thousands).
  std::size_t inbound_links() const { return inbound_; }
  std::size_t unadmitted_links() const { return unadmitted_; }

  // True (and counted) when one more message other than a chunk on `l` is
  // within max_messages_per_second.
  bool within_message_rate(link& l) const;

  // Inbound links held idle_link_timeout without becoming one of
  // `is_child`'s children.
  template <typename IsChild>
  std::vector<link_id_t> idle_inbound(IsChild is_child) const {
    std::vector<link_id_t> idle;
    for (const auto& [id, l] : links_) {
      if (l.kind == link_kind::inbound && !is_child(id) &&
          ctx_.now - l.opened_at > ctx_.config.idle_link_timeout) {
        idle.push_back(id);
      }
    }
    return idle;
  }

  // This node's Hello, sent first on every link.
  wire::hello my_hello() const;

  // Heartbeats every idle, connected link and returns the links silent for
  // heartbeat_misses intervals (for the caller to close).
  std::vector<link_id_t> sweep();

  map::iterator begin() { return links_.begin(); }
  map::iterator end() { return links_.end(); }
  map::const_iterator begin() const { return links_.begin(); }
  map::const_iterator end() const { return links_.end(); }

 private:
  void check_bound(link_id_t id, link& l);

  node_context& ctx_;
  map links_;
  link_id_t next_id_ = 1;
  std::vector<link_id_t> overflowed_;
  std::size_t inbound_ = 0;
  std::size_t unadmitted_ = 0;
};

}  // namespace treecast::core
