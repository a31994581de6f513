// The peer engine's transitions, driven by hand with a fake clock and a
// recording outbox: no sockets, no threads.
#include <gtest/gtest.h>

#include "core/errors.hpp"
#include "core/node.hpp"
#include "wire/codec.hpp"

namespace treecast::core {
namespace {

using namespace std::chrono_literals;

wire::node_id_t id_of(std::uint8_t n) {
  wire::node_id_t id{};
  id[0] = n;
  return id;
}

wire::chunk make_chunk(wire::seq_t seq, int gop = 5) {
  wire::chunk c;
  c.seq = seq;
  c.capture_time_us = seq * 200'000;
  c.flags = seq % gop == 0 ? wire::chunk_flag_keyframe : 0;
  c.payload = "payload-" + std::to_string(seq);
  wire::seal_chunk(c);
  return c;
}

wire::hello hello_from(std::uint8_t n, std::uint16_t listen_port = 0) {
  wire::hello h;
  h.node_id = id_of(n);
  h.listen_port = listen_port;
  h.role = wire::peer_role::relay;
  return h;
}

// Drives one node and keeps what it asked for.
class harness {
 public:
  explicit harness(node_config config, std::uint8_t id = 100) : node_(config, id_of(id)) {}

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

  // Accepts an inbound peer through hello and join.
  link_id_t join_child(std::uint8_t n, std::uint16_t listen_port = 0,
                       std::optional<wire::seq_t> resume = std::nullopt) {
    const link_id_t link = accept();
    receive(link, hello_from(n, listen_port));
    receive(link, wire::join_request{resume});
    return link;
  }

 private:
  void collect() {
    for (auto& a : node_.take_actions()) {
      actions_.push_back(std::move(a));
    }
  }

  node node_;
  time_point now_{std::chrono::seconds(1000)};
  std::vector<action> actions_;
};

node_config root_config(std::size_t max_children = 3) {
  node_config c;
  c.role = wire::peer_role::broadcaster;
  c.listen_port = 7000;
  c.max_children = max_children;
  return c;
}

node_config relay_config() {
  node_config c;
  c.role = wire::peer_role::relay;
  c.listen_port = 7001;
  c.parent = wire::endpoint{"127.0.0.1", 7000};
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

TEST(node, root_serves_a_new_child_from_the_newest_keyframe) {
  harness h(root_config());
  h.start();
  for (wire::seq_t s = 0; s < 13; ++s) {
    h.source(make_chunk(s));
  }
  h.clear();
  const link_id_t child = h.join_child(1);
  const auto sent = h.sent_to(child);
  ASSERT_FALSE(sent.empty());
  EXPECT_TRUE(std::holds_alternative<wire::hello>(sent[0]));
  const auto accepts = only<wire::join_accept>(sent);
  ASSERT_EQ(accepts.size(), 1u);
  EXPECT_EQ(accepts[0].depth, 0u);
  EXPECT_EQ(accepts[0].path, std::vector<wire::node_id_t>{id_of(100)});
  const auto chunks = only<wire::chunk>(sent);
  ASSERT_EQ(chunks.size(), 3u);  // keyframe 10, then 11 and 12
  EXPECT_EQ(chunks[0].seq, 10u);
  EXPECT_EQ(chunks[2].seq, 12u);
  EXPECT_EQ(h.engine().child_count(), 1u);
}

TEST(node, child_resuming_is_served_from_its_sequence_number) {
  harness h(root_config());
  h.start();
  for (wire::seq_t s = 0; s < 13; ++s) {
    h.source(make_chunk(s));
  }
  h.clear();
  const link_id_t child = h.join_child(1, 0, 7);
  const auto chunks = only<wire::chunk>(h.sent_to(child));
  ASSERT_EQ(chunks.size(), 6u);
  EXPECT_EQ(chunks.front().seq, 7u);
}

TEST(node, forwards_the_same_frame_to_every_child) {
  harness h(root_config());
  h.start();
  const link_id_t a = h.join_child(1);
  const link_id_t b = h.join_child(2);
  const link_id_t c = h.join_child(3);
  h.clear();
  wire::chunk chunk = make_chunk(0);
  const wire::shared_bytes frame = chunk.frame;
  h.source(std::move(chunk));
  for (link_id_t link : {a, b, c}) {
    const auto frames = h.frames_to(link);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].get(), frame.get()) << "link " << link << " got a copy";
  }
  EXPECT_EQ(h.engine().stats().get(counter::chunks_sent), 3u);
}

TEST(node, full_node_redirects_to_its_children) {
  harness h(root_config(1));
  h.start();
  h.join_child(1, 9001);
  h.clear();
  const link_id_t late = h.join_child(2, 9002);
  const auto redirects = only<wire::join_redirect>(h.sent_to(late));
  ASSERT_EQ(redirects.size(), 1u);
  ASSERT_EQ(redirects[0].candidates.size(), 1u);
  EXPECT_EQ(redirects[0].candidates[0], (wire::endpoint{"10.0.0.1", 9001}));
  EXPECT_EQ(h.closed_reason(late), std::error_code(node_errc::join_refused));
  EXPECT_EQ(h.engine().child_count(), 1u);
  EXPECT_EQ(h.engine().stats().get(counter::children_refused), 1u);
}

TEST(node, relay_joins_and_delivers_chunks_from_its_parent) {
  harness h(relay_config());
  h.start();
  const auto connects = h.all<connect_action>();
  ASSERT_EQ(connects.size(), 1u);
  EXPECT_EQ(connects[0].to, (wire::endpoint{"127.0.0.1", 7000}));
  const link_id_t parent = connects[0].link;
  h.connected(parent);
  const auto requests = only<wire::join_request>(h.sent_to(parent));
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_FALSE(requests[0].resume_from);

  h.receive(parent, hello_from(1, 7000));
  h.receive(parent, wire::join_accept{0, {id_of(1)}});
  EXPECT_TRUE(h.engine().attached());
  EXPECT_EQ(h.engine().depth(), 1u);
  h.receive(parent, make_chunk(0));
  h.receive(parent, make_chunk(1));
  const auto delivered = h.all<deliver_action>();
  ASSERT_EQ(delivered.size(), 2u);
  EXPECT_EQ(delivered[1].chunk->seq, 1u);
}

TEST(node, lost_parent_is_rejoined_from_the_next_missing_chunk) {
  harness h(relay_config());
  h.start();
  link_id_t parent = h.all<connect_action>()[0].link;
  h.connected(parent);
  h.receive(parent, hello_from(1, 7000));
  h.receive(parent, wire::join_accept{0, {id_of(1)}});
  for (wire::seq_t s = 0; s < 4; ++s) {
    h.receive(parent, make_chunk(s));
  }
  h.clear();
  h.closed(parent);
  EXPECT_FALSE(h.engine().attached());
  EXPECT_TRUE(h.all<connect_action>().empty());  // waits for the backoff
  h.advance(relay_config().reconnect_min);
  const auto connects = h.all<connect_action>();
  ASSERT_EQ(connects.size(), 1u);
  parent = connects[0].link;
  h.connected(parent);
  const auto requests = only<wire::join_request>(h.sent_to(parent));
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].resume_from, 4u);
  EXPECT_EQ(h.engine().stats().get(counter::parent_losses), 1u);
}

TEST(node, redirect_makes_the_relay_try_the_candidates) {
  harness h(relay_config());
  h.start();
  const link_id_t parent = h.all<connect_action>()[0].link;
  h.connected(parent);
  h.receive(parent, hello_from(1, 7000));
  h.clear();
  h.receive(parent, wire::join_redirect{"full", {{"127.0.0.2", 7100}}});
  EXPECT_EQ(h.closed_reason(parent), std::error_code(node_errc::join_refused));
  const auto connects = h.all<connect_action>();
  ASSERT_EQ(connects.size(), 1u);
  EXPECT_EQ(connects[0].to, (wire::endpoint{"127.0.0.2", 7100}));
}

TEST(node, malformed_frame_closes_only_that_link) {
  harness h(root_config());
  h.start();
  const link_id_t bad = h.join_child(1);
  const link_id_t good = h.join_child(2);
  h.clear();
  h.receive_raw(bad, {0, 0, 0, 3, 0xff, 0xff, 0xff});
  ASSERT_TRUE(h.closed_reason(bad));
  EXPECT_EQ(h.closed_reason(bad)->category().name(), std::string("wire"));
  EXPECT_FALSE(h.closed_reason(good));
  EXPECT_EQ(h.engine().stats().get(counter::protocol_errors), 1u);
  h.source(make_chunk(0));
  EXPECT_EQ(h.frames_to(good).size(), 1u);
  EXPECT_EQ(h.frames_to(bad).size(), 0u);
  EXPECT_EQ(h.engine().child_count(), 1u);
}

TEST(node, message_before_hello_is_refused) {
  harness h(root_config());
  h.start();
  const link_id_t link = h.accept();
  h.receive(link, wire::join_request{});
  EXPECT_EQ(h.closed_reason(link), std::error_code(node_errc::hello_expected));
  EXPECT_EQ(h.engine().child_count(), 0u);
}

TEST(node, chunk_from_a_child_is_refused) {
  harness h(root_config());
  h.start();
  const link_id_t child = h.join_child(1);
  h.receive(child, make_chunk(0));
  EXPECT_EQ(h.closed_reason(child), std::error_code(node_errc::chunk_not_from_parent));
  EXPECT_EQ(h.engine().window().size(), 0u);
}

TEST(node, duplicate_chunk_is_dropped_and_not_forwarded) {
  harness h(relay_config());
  h.start();
  const link_id_t parent = h.all<connect_action>()[0].link;
  h.connected(parent);
  h.receive(parent, hello_from(1, 7000));
  h.receive(parent, wire::join_accept{0, {id_of(1)}});
  h.receive(parent, make_chunk(0));
  h.clear();
  h.receive(parent, make_chunk(0));
  EXPECT_TRUE(h.all<deliver_action>().empty());
  EXPECT_EQ(h.engine().stats().get(counter::chunks_duplicate), 1u);
}

TEST(node, parent_path_containing_this_node_is_a_loop) {
  harness h(relay_config(), 100);
  h.start();
  const link_id_t parent = h.all<connect_action>()[0].link;
  h.connected(parent);
  h.receive(parent, hello_from(1, 7000));
  h.receive(parent, wire::join_accept{2, {id_of(1), id_of(100), id_of(5)}});
  EXPECT_EQ(h.closed_reason(parent), std::error_code(node_errc::loop_detected));
  EXPECT_FALSE(h.engine().attached());
}

TEST(node, silent_peer_is_dropped_after_the_missed_heartbeats) {
  harness h(root_config());
  h.start();
  const link_id_t quiet = h.join_child(1);
  const link_id_t chatty = h.join_child(2);
  for (int i = 0; i < 5; ++i) {
    h.advance(250ms);
    h.receive(chatty, wire::heartbeat{});
  }
  EXPECT_TRUE(h.closed_reason(quiet));
  EXPECT_EQ(*h.closed_reason(quiet), std::error_code(node_errc::heartbeat_timeout));
  EXPECT_FALSE(h.closed_reason(chatty));
  EXPECT_FALSE(only<wire::heartbeat>(h.sent_to(chatty)).empty());
}

TEST(node, deadline_follows_heartbeats_and_reconnects) {
  harness h(relay_config());
  EXPECT_FALSE(h.engine().next_deadline());
  h.start();
  ASSERT_TRUE(h.engine().next_deadline());
  EXPECT_EQ(*h.engine().next_deadline(), h.now() + relay_config().heartbeat_interval);
  const link_id_t parent = h.all<connect_action>()[0].link;
  h.closed(parent);
  EXPECT_EQ(*h.engine().next_deadline(), h.now() + relay_config().reconnect_min);
}

TEST(node, config_validation_names_the_problem) {
  node_config c = relay_config();
  EXPECT_TRUE(c.validate().empty());
  c.parent.reset();
  EXPECT_NE(c.validate().find("parent"), std::string::npos);
  node_config r = root_config();
  r.window_span = 100ms;
  EXPECT_NE(r.validate().find("window"), std::string::npos);
}

}  // namespace
}  // namespace treecast::core
