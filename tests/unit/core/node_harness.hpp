// A harness driving one whole node by hand with a fake clock and a
// recording outbox (no sockets, no threads), shared by the node's tests.
#pragma once

#include <gtest/gtest.h>

#include <set>

#include "core/node.hpp"
#include "core/peer_claims.hpp"
#include "core_test_support.hpp"
#include "wire/codec.hpp"

namespace treecast::core::testing {

using namespace std::chrono_literals;

// Drives one node and keeps what it asked for.
class harness {
 public:
  explicit harness(node_config config, std::uint8_t id = 100) : node_(config, id_of(id), 42) {}

  node& engine() { return node_; }
  time_point now() const { return now_; }
  void advance(duration d) {
    now_ += d;
    node_.on_timer(now_);
    collect();
  }

  void start() {
    node_.start(now_);
    collect();
  }
  link_id_t accept(std::string host = "10.0.0.1") {
    const link_id_t id = node_.on_link_accepted({host, 5555}, now_);
    collect();
    return id;
  }
  void receive(link_id_t link, const wire::message& m) {
    node_.on_frame(link, wire::encode_frame(m), now_);
    collect();
  }
  // Bytes of a frame not yet whole arrived on `link`.
  void heard(link_id_t link) {
    node_.on_link_heard(link, now_);
    collect();
  }
  void receive_raw(link_id_t link, wire::byte_buffer bytes) {
    node_.on_frame(link, std::make_shared<wire::byte_buffer>(std::move(bytes)), now_);
    collect();
  }
  void source(wire::chunk c) {
    node_.on_source_chunk(std::move(c), now_);
    collect();
  }
  void connected(link_id_t link) {
    node_.on_link_connected(link, now_);
    collect();
  }
  void leave() {
    node_.leave(now_);
    collect();
  }
  void want_renditions(wire::rendition_set set, bool narrow_downlink = false) {
    node_.want_renditions(set, narrow_downlink, now_);
    collect();
  }
  void written(link_id_t link, std::size_t bytes) {
    node_.on_link_written(link, bytes, now_);
    collect();
  }
  // From now on, what the node sends to `link` is not written (the peer
  // stopped reading, or its link cannot carry the stream): its queue grows.
  // Every other link's sends are written at once, as on a fast network.
  void stop_reading(link_id_t link) { not_reading_.insert(link); }
  // The peer reads again: all that was queued to it is written.
  void resume_reading(link_id_t link) {
    not_reading_.erase(link);
    written(link, std::size_t{1} << 40);
  }
  void closed(link_id_t link) {
    node_.on_link_closed(link, std::make_error_code(std::errc::connection_reset), now_);
    collect();
  }

  // Messages sent to `link` since the last clear(), decoded.
  std::vector<wire::message> sent_to(link_id_t link) const {
    std::vector<wire::message> out;
    for (const auto& a : actions_) {
      if (const auto* s = std::get_if<send_action>(&a); s && s->link == link) {
        wire::message m;
        EXPECT_FALSE(wire::decode_frame(s->frame, m));
        out.push_back(std::move(m));
      }
    }
    return out;
  }
  std::vector<wire::shared_bytes> frames_to(link_id_t link) const {
    std::vector<wire::shared_bytes> out;
    for (const auto& a : actions_) {
      if (const auto* s = std::get_if<send_action>(&a); s && s->link == link) {
        out.push_back(s->frame);
      }
    }
    return out;
  }
  // Every action so far, in order.
  const std::vector<action>& actions() const { return actions_; }
  template <typename T>
  std::vector<T> all() const {
    std::vector<T> out;
    for (const auto& a : actions_) {
      if (const auto* x = std::get_if<T>(&a)) {
        out.push_back(*x);
      }
    }
    return out;
  }
  std::optional<std::error_code> closed_reason(link_id_t link) const {
    for (const auto& c : all<close_action>()) {
      if (c.link == link) {
        return c.reason;
      }
    }
    return std::nullopt;
  }
  void clear() { actions_.clear(); }

  // The one connect_action since the last clear(), which must exist.
  connect_action only_connect() const {
    const auto connects = all<connect_action>();
    EXPECT_EQ(connects.size(), 1u);
    return connects.at(0);
  }

  // Answers the rendezvous query that start() or a parent loss opened with
  // one candidate (the answering root itself), then the probe's ping with a
  // pong; returns the probe link, on which the join request now is.
  link_id_t join_through_rendezvous(std::uint8_t parent = 1, std::uint32_t parent_depth = 0,
                                    std::vector<wire::node_id_t> path = {}) {
    if (path.empty()) {
      path = {id_of(parent)};
    }
    const link_id_t query = only_connect().link;
    clear();
    connected(query);
    EXPECT_EQ(only_sent<wire::candidates_request>(query).size(), 1u);
    receive(query, hello_from(parent, 7000));
    wire::peer_summary self;
    self.node_id = id_of(parent);
    self.address = {"", 7000};
    self.free_slots = 3;
    self.depth = parent_depth;
    receive(query, wire::candidates{{self}});
    EXPECT_EQ(closed_reason(query), std::error_code(node_errc::query_done));
    // The root's own entry (empty host) is probed at the address asked.
    EXPECT_EQ(only_connect().to, (wire::endpoint{"127.0.0.1", 7000}));
    const link_id_t probe = only_connect().link;
    clear();
    connected(probe);
    const auto pings = only_sent<wire::ping>(probe);
    EXPECT_EQ(std::count_if(pings.begin(), pings.end(),
                            [](const wire::ping& p) { return p.padding.empty() && !p.pad_bytes; }),
              1);  // the usual one (the others time our links)
    answer_probe(probe, parent, 7000, parent_depth, 3, path);
    return probe;
  }

  // Answers the pending rendezvous query (the one connect since the last
  // clear()) from the root (id 1, port 7000) with `peers`; returns the
  // probes the node opened, already connected.
  std::vector<connect_action> answer_query(std::vector<wire::peer_summary> peers) {
    const link_id_t query = only_connect().link;
    clear();
    connected(query);
    receive(query, hello_from(1, 7000));
    receive(query, wire::candidates{std::move(peers)});
    const auto probes = all<connect_action>();
    for (const auto& p : probes) {
      connected(p.link);
    }
    return probes;
  }

  // The peer probed on `link` says hello and answers the node's ping;
  // full, it may offer a joiner accepting `room_for_max_children` a
  // weaker child's place.
  void answer_probe(link_id_t link, std::uint8_t id, std::uint16_t port, std::uint32_t depth,
                    std::uint32_t free_slots, std::vector<wire::node_id_t> path,
                    const std::string& site = "", duration root_delay = {},
                    std::uint32_t site_entry_hops = 0, std::uint32_t room_for_max_children = 0) {
    wire::hello hello = hello_from(id, port);
    hello.site = site;
    receive(link, hello);
    const std::uint64_t nonce = only_sent<wire::ping>(link).at(0).nonce;
    // A root proves it is one (signed as the fake verifiers below accept).
    const std::string proof = depth == 0 ? "good:" + root_proof_message(nonce, id_of(id)) : "";
    wire::pong pong{nonce, true, depth, free_slots, std::move(path), proof, to_wire_us(root_delay)};
    pong.site_entry_hops = site_entry_hops;
    pong.room_for_max_children = room_for_max_children;
    receive(link, pong);
    answer_uplink_timing(link);
  }

  // Answers at once a Ping on `link` that carried padding (the node timing
  // its uplink, link_timing): a wide uplink. Off with time_uplinks_by_hand.
  void answer_uplink_timing(link_id_t link) {
    if (time_uplinks_by_hand) {
      return;
    }
    for (const auto& ping : only_sent<wire::ping>(link)) {
      if (!ping.padding.empty()) {
        wire::pong answer;
        answer.nonce = ping.nonce;
        receive(link, answer);
      }
    }
  }
  bool time_uplinks_by_hand = false;

  // Streams chunks from `parent` every 200 ms from `seq` on (hearing from
  // `kids` meanwhile) until the node opens a link (a rise's or an
  // improvement's probe); returns it, connected.
  link_id_t stream_until_connect(link_id_t parent, wire::seq_t& seq,
                                 const std::vector<link_id_t>& kids = {}) {
    while (all<connect_action>().empty() && seq < 100) {
      advance(200ms);
      receive(parent, make_chunk(seq++));
      for (const link_id_t kid : kids) {
        heard(kid);
      }
    }
    const link_id_t probe = only_connect().link;
    connected(probe);
    return probe;
  }

  // The broadcaster (id 1) says hello on `probe` and answers the node's
  // ping with `pong` (its nonce and root proof filled in).
  void answer_as_root(link_id_t probe, wire::pong pong) {
    receive(probe, hello_from(1, 7000));
    pong.nonce = only_sent<wire::ping>(probe).at(0).nonce;
    pong.root_signature = "good:" + root_proof_message(pong.nonce, id_of(1));
    receive(probe, pong);
    answer_uplink_timing(probe);
  }

  // Peer `n` at 10.0.0.n, offering `max_children`, probes the node; its
  // answer.
  wire::pong pong_to_prober(std::uint8_t n, std::uint32_t max_children) {
    const link_id_t prober = accept("10.0.0." + std::to_string(n));
    wire::hello hello = hello_from(n, static_cast<std::uint16_t>(7000 + n));
    hello.max_children = max_children;
    receive(prober, hello);
    receive(prober, wire::ping{n});
    return only_sent<wire::pong>(prober).at(0);
  }

  // Joins through the rendezvous and is accepted by the root (id 1);
  // returns the parent link.
  link_id_t attach_under_root() {
    const link_id_t parent = join_through_rendezvous();
    receive(parent, wire::join_accept{0, {id_of(1)}});
    return parent;
  }

  template <typename T>
  std::vector<T> only_sent(link_id_t link) const {
    std::vector<T> out;
    for (auto& m : sent_to(link)) {
      if (auto* x = std::get_if<T>(&m)) {
        out.push_back(*x);
      }
    }
    return out;
  }

  // Peer `n` at 10.0.0.n, listening on 7000 + n, offering `max_children`,
  // joins (saying whether it can adopt a child that gives way to it, and
  // the round trip it measured to us).
  link_id_t join_peer(std::uint8_t n, std::uint32_t max_children = 8, bool can_adopt = false,
                      duration rtt = {}) {
    const link_id_t link = accept("10.0.0." + std::to_string(n));
    wire::hello hello = hello_from(n, static_cast<std::uint16_t>(7000 + n));
    hello.max_children = max_children;
    receive(link, hello);
    wire::join_request request;
    request.can_adopt = can_adopt;
    request.rtt_us = to_wire_us(rtt);
    receive(link, request);
    answer_reach_check({"10.0.0." + std::to_string(n), static_cast<std::uint16_t>(7000 + n)}, n);
    return link;
  }

  // Accepts an inbound peer through hello and join (from 10.0.0.1; with a
  // listen port, it answers the node's connection back to it).
  link_id_t join_child(std::uint8_t n, std::uint16_t listen_port = 0,
                       std::optional<wire::seq_t> resume = std::nullopt) {
    const link_id_t link = accept();
    receive(link, hello_from(n, listen_port));
    receive(link, wire::join_request{resume});
    answer_reach_check({"10.0.0.1", listen_port}, n);
    return link;
  }

  // The node's latest connection to `at` (its check of a child there).
  std::optional<link_id_t> connect_to(const wire::endpoint& at) const {
    std::optional<link_id_t> found;
    for (const auto& c : all<connect_action>()) {
      if (c.to == at) {
        found = c.link;
      }
    }
    return found;
  }

  // Peer `n` answers the node's reachability check at `at` with its Hello,
  // when the node opened one.
  void answer_reach_check(const wire::endpoint& at, std::uint8_t n) {
    if (const auto check = connect_to(at)) {
      connected(*check);
      receive(*check, hello_from(n, at.port));
    }
  }

 private:
  void collect() {
    // A write may release chunks held for room (late binding): until none.
    for (auto taken = node_.take_actions(); !taken.empty(); taken = node_.take_actions()) {
      for (auto& a : taken) {
        if (const auto* s = std::get_if<send_action>(&a); s && !not_reading_.count(s->link)) {
          node_.on_link_written(s->link, s->frame->size(), now_);
        }
        actions_.push_back(std::move(a));
      }
    }
  }

  node node_;
  time_point now_{std::chrono::seconds(1000)};
  std::vector<action> actions_;
  std::set<link_id_t> not_reading_;
};

inline node_config root_config(std::size_t max_children = 3) {
  node_config c;
  c.role = wire::peer_role::broadcaster;
  c.listen_port = 7000;
  c.max_children = max_children;
  return c;
}

inline node_config relay_config() {
  node_config c;
  c.role = wire::peer_role::relay;
  c.listen_port = 7001;
  c.rendezvous = wire::endpoint{"127.0.0.1", 7000};
  // Rounds nobody answers: rises and the improvement loop only where a
  // test asks for them.
  c.rise_interval = duration::zero();
  c.improve_interval = duration::zero();
  return c;
}

template <typename T>
std::vector<T> only(const std::vector<wire::message>& messages) {
  std::vector<T> out;
  for (const auto& m : messages) {
    if (const auto* x = std::get_if<T>(&m)) {
      out.push_back(*x);
    }
  }
  return out;
}

}  // namespace treecast::core::testing
