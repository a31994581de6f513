// A hostile parent: a fake peer on loopback answers a real relay's join
// (candidates, pong, accept), sends one well-signed chunk, then a chunk that
// is forged, signed by another key (a peer posing as the broadcaster), or
// tampered with. The relay keeps the good chunk, refuses the bad one with a
// logged reason and drops the fake parent.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/peer_claims.hpp"
#include "local_tree.hpp"
#include "raw_peer.hpp"
#include "runtime/ed25519.hpp"
#include "runtime/invite_token.hpp"
#include "runtime/program_loop.hpp"
#include "runtime/tls_context.hpp"
#include "wire/codec.hpp"
#include "wire/frame_decoder.hpp"

namespace treecast::testing {
namespace {

using namespace std::chrono_literals;

enum class badness { forged_signature, other_key, tampered_payload, replayed };

// Plays rendezvous and parent for one joiner, then sends a good chunk and a
// bad one. Runs on its own thread; every wait is bounded.
class fake_parent {
 public:
  fake_parent(const runtime::ed25519_key& stream_key, badness bad) : key_(stream_key), bad_(bad) {
    listener_ = listen_on_loopback(port_);
    // It holds the stream key (the test's), so it can pass as the root: the
    // relay must still check every chunk it sends.
    id_ = core::root_node_id(key_.public_key());
    std::signal(SIGPIPE, SIG_IGN);  // the relay closes on us mid-write
    thread_ = std::thread([this] { serve(); });
  }
  ~fake_parent() {
    stop_ = true;
    thread_.join();
    close(listener_);
  }

  std::uint16_t port() const { return port_; }
  bool closed_by_relay() const { return closed_by_relay_; }

 private:
  bool wait_readable(int fd, std::chrono::milliseconds timeout) {
    if (ssl_ && SSL_pending(ssl_) > 0) {
      return true;
    }
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, static_cast<int>(timeout.count())) > 0;
  }

  void send_bytes(const wire::shared_bytes& frame) {
    SSL_write(ssl_, frame->data(), static_cast<int>(frame->size()));
  }

  void send_message(int, const wire::message& m) { send_bytes(wire::encode_frame(m)); }

  wire::chunk make_chunk(wire::seq_t seq, bool good) {
    wire::chunk c;
    c.stream_id = key_.public_key();
    c.seq = seq;
    // A replayed chunk is well signed, but was captured an hour ago.
    c.capture_time_us =
        runtime::wall_time_us() - (!good && bad_ == badness::replayed ? 3'600'000'000 : 0);
    c.flags = wire::chunk_flag_keyframe;
    c.payload = std::string(188, '\x47');
    c.body = wire::encode_chunk_body(c, c);
    c.signature = key_.sign(c.body);
    if (!good) {
      switch (bad_) {
        case badness::forged_signature:
          c.signature = std::string(64, 'x');
          break;
        case badness::other_key:
          c.signature = runtime::ed25519_key::generate().sign(c.body);
          break;
        case badness::tampered_payload:
          c.body[c.body.size() - 5] ^= 0x01;  // a payload byte, after signing
          break;
        case badness::replayed:
          break;  // signed above, as recorded
      }
    }
    wire::seal_chunk(c);
    return c;
  }

  // One connection: answer until the peer closes or the deadline passes.
  void converse(int fd) {
    send_message(
        fd,
        wire::hello{wire::protocol_version, id_, port_, wire::peer_role::broadcaster, "",
                    runtime::make_invite_token(key_, runtime::invite_role::relay, 4'000'000'000)});
    wire::frame_decoder decoder(wire::default_max_frame_bytes);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    std::uint8_t buffer[65536];
    while (!stop_ && std::chrono::steady_clock::now() < deadline) {
      if (!wait_readable(fd, 100ms)) {
        continue;
      }
      const int n = SSL_read(ssl_, buffer, sizeof buffer);
      if (n <= 0) {
        if (joined_) {
          closed_by_relay_ = true;
        }
        return;
      }
      std::vector<wire::shared_bytes> frames;
      decoder.feed({buffer, static_cast<std::size_t>(n)}, frames);
      for (const auto& frame : frames) {
        wire::message m;
        if (wire::decode_frame(frame, m)) {
          continue;
        }
        if (std::holds_alternative<wire::candidates_request>(m)) {
          wire::peer_summary self;
          self.node_id = id_;
          self.address = {"", port_};
          self.free_slots = 3;
          send_message(fd, wire::candidates{{self}});
        } else if (auto* ping = std::get_if<wire::ping>(&m)) {
          send_message(
              fd,
              wire::pong{
                  ping->nonce, true, 0, 3, {id_}, core::sign_root_proof(key_, ping->nonce, id_)});
        } else if (std::holds_alternative<wire::join_request>(m)) {
          send_message(fd, wire::join_accept{0, {id_}, {}, {}});
          joined_ = true;
          send_bytes(make_chunk(0, true).frame);
          send_bytes(make_chunk(1, false).frame);
        }
      }
    }
  }

  void serve() {
    while (!stop_ && !closed_by_relay_) {
      if (!wait_readable(listener_, 100ms)) {
        continue;
      }
      const int fd = accept(listener_, nullptr, nullptr);
      if (fd < 0) {
        continue;
      }
      // Peers speak TLS: answer as one (blocking handshake, bounded).
      timeval five_seconds{5, 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &five_seconds, sizeof five_seconds);
      ssl_ = SSL_new(tls_->native_handle());
      SSL_set_fd(ssl_, fd);
      if (SSL_accept(ssl_) == 1) {
        converse(fd);
      }
      SSL_free(ssl_);
      ssl_ = nullptr;
      close(fd);
    }
  }

  const runtime::ed25519_key& key_;
  badness bad_;
  std::shared_ptr<boost::asio::ssl::context> tls_ = runtime::make_tls_context();
  SSL* ssl_ = nullptr;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  wire::node_id_t id_{};
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> joined_{false};
  std::atomic<bool> closed_by_relay_{false};
};

void expect_refused(badness bad, const std::string& name,
                    const std::string& reason = "fails the broadcaster's signature") {
  const auto key = runtime::ed25519_key::generate();
  fake_parent parent(key, bad);
  local_tree tree("forged-" + name);
  std::vector<std::string> args = {TREECAST_RELAY,
                                   "treecast://127.0.0.1:" + std::to_string(parent.port()) +
                                       "/?stream=" + runtime::to_hex(key.public_key()) + "&token=" +
                                       runtime::to_hex(runtime::make_invite_token(
                                           key, runtime::invite_role::relay, 4'000'000'000)),
                                   "--listen", "127.0.0.1:0"};
  child_process relay(args, tree.log_path("relay"));
  // The good chunk is taken, then the bad one gets the fake parent dropped.
  const auto counted = relay.wait_for_line(
      [](const std::string& l) {
        return l.rfind("status ", 0) == 0 && status_fields(l)["chunks"] == "1";
      },
      15s);
  EXPECT_TRUE(counted) << "the well-signed chunk was not accepted";
  const auto dropped = relay.wait_for_line(
      [](const std::string& l) {
        return l.rfind("status ", 0) == 0 && status_fields(l)["depth"] == "-";
      },
      15s);
  EXPECT_TRUE(dropped) << "relay kept the hostile parent";
  EXPECT_TRUE(parent.closed_by_relay());
  EXPECT_NE(read_file(tree.log_path("relay")).find(reason), std::string::npos);
  relay.send_signal(SIGINT);
  EXPECT_EQ(relay.wait_exit(10s), 0);
}

TEST(forged_chunk, forged_signature_is_refused) {
  expect_refused(badness::forged_signature, "signature");
}

TEST(forged_chunk, chunk_signed_by_another_key_is_refused) {
  expect_refused(badness::other_key, "other_key");
}

TEST(forged_chunk, tampered_payload_is_refused) {
  expect_refused(badness::tampered_payload, "tampered");
}

TEST(forged_chunk, a_chunk_recorded_an_hour_ago_is_refused) {
  expect_refused(badness::replayed, "replayed", "a replay, or this clock is wrong");
}

}  // namespace
}  // namespace treecast::testing
