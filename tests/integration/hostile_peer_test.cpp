// A peer that sends bad bytes to a real relay is dropped with a logged
// reason, and the relay's real child keeps playing.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "local_tree.hpp"
#include "raw_peer.hpp"
#include "runtime/ed25519.hpp"
#include "runtime/invite_token.hpp"
#include "wire/codec.hpp"
#include "wire/messages.hpp"

namespace treecast::testing {
namespace {

using namespace std::chrono_literals;

std::vector<std::uint8_t> frame_header(std::uint32_t length) {
  return {static_cast<std::uint8_t>(length >> 24), static_cast<std::uint8_t>(length >> 16),
          static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length)};
}

std::vector<std::uint8_t> frame_of(std::vector<std::uint8_t> body) {
  auto frame = frame_header(static_cast<std::uint32_t>(body.size()));
  frame.insert(frame.end(), body.begin(), body.end());
  return frame;
}

// A Hello with `token` (hex-free raw bytes), encoded by the real codec.
std::vector<std::uint8_t> hello_frame(const std::string& token) {
  wire::hello hello;
  hello.node_id.fill(0xab);
  hello.token = token;
  const auto frame = wire::encode_frame(hello);
  return {frame->begin(), frame->end()};
}

std::uint64_t unix_now() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

class hostile_peer : public ::testing::Test {
 protected:
  // A fresh tree per test (ctest runs each test in its own process anyway),
  // logged under the test's name.
  void SetUp() override {
    tree_ = new local_tree(std::string("hostile-") +
                           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    broadcaster_ = new peer_process(
        tree_->start_broadcaster({"--resolution", "320x180", "--fps", "15", "--bitrate", "500"}));
    relay_ =
        new peer_process(tree_->start_relay(broadcaster_->port, {"--max-frame-bytes", "65536"}));
    viewer_ = new peer_process(tree_->start_viewer(relay_->port));
  }

  void TearDown() override {
    for (auto* p : {viewer_, relay_, broadcaster_}) {
      p->process->send_signal(SIGINT);
      EXPECT_EQ(p->process->wait_exit(10s), 0);
      delete p;
    }
    delete tree_;
  }

  // The viewer decodes more frames than it had; waits up to a few seconds.
  static void expect_viewer_still_playing() {
    long long before = -1;
    const std::size_t from = viewer_->process->lines().size();
    const auto progressed = viewer_->process->wait_for_line(
        [&before](const std::string& l) {
          if (l.rfind("status ", 0) != 0) {
            return false;
          }
          const long long frames = std::stoll(status_fields(l)["frames"]);
          if (before < 0) {
            before = frames;
            return false;
          }
          return frames > before;
        },
        10s, from);
    EXPECT_TRUE(progressed) << "viewer stopped decoding";
  }

  // A relay token signed with this tree's stream key, valid for `seconds`.
  static std::string token(std::int64_t seconds) {
    const auto key = runtime::ed25519_key::load_or_create(tree_->key_path());
    return runtime::make_invite_token(
        key, runtime::invite_role::relay,
        static_cast<std::uint64_t>(static_cast<std::int64_t>(unix_now()) + seconds));
  }

  static void expect_relay_logged(const std::string& reason) {
    EXPECT_NE(read_file(tree_->log_path("relay1")).find(reason), std::string::npos)
        << "relay log lacks '" << reason << "'";
  }

  static local_tree* tree_;
  static peer_process* broadcaster_;
  static peer_process* relay_;
  static peer_process* viewer_;
};

local_tree* hostile_peer::tree_ = nullptr;
peer_process* hostile_peer::broadcaster_ = nullptr;
peer_process* hostile_peer::relay_ = nullptr;
peer_process* hostile_peer::viewer_ = nullptr;

TEST_F(hostile_peer, oversize_frame_is_refused_from_its_header) {
  raw_peer peer(relay_->port);
  ASSERT_TRUE(peer.send(frame_header(10 * 1024 * 1024)));
  EXPECT_TRUE(peer.wait_closed_by_remote(5s));
  expect_relay_logged("frame larger than the maximum frame size");
  expect_viewer_still_playing();
}

TEST_F(hostile_peer, garbage_bytes_are_refused) {
  raw_peer peer(relay_->port);
  ASSERT_TRUE(peer.send(frame_of({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})));
  EXPECT_TRUE(peer.wait_closed_by_remote(5s));
  expect_relay_logged("frame is not a valid envelope");
  expect_viewer_still_playing();
}

TEST_F(hostile_peer, truncated_frame_is_reported) {
  raw_peer peer(relay_->port);
  auto partial = frame_header(1000);
  partial.insert(partial.end(), 10, 0x0a);
  ASSERT_TRUE(peer.send(partial));
  peer.finish_sending();
  EXPECT_TRUE(peer.wait_closed_by_remote(5s));
  expect_relay_logged("stream ended inside a frame");
  expect_viewer_still_playing();
}

TEST_F(hostile_peer, message_before_hello_is_refused) {
  raw_peer peer(relay_->port);
  ASSERT_TRUE(peer.send(frame_of({0x12, 0x00})));  // Envelope{join_request{}}
  EXPECT_TRUE(peer.wait_closed_by_remote(5s));
  expect_relay_logged("first message was not hello");
  expect_viewer_still_playing();
}

TEST_F(hostile_peer, chunk_pushed_by_a_non_parent_is_refused) {
  raw_peer peer(relay_->port);
  auto bytes = hello_frame(token(3600));
  // Envelope{chunk{body=ChunkBody{seq=999999}}}
  const auto chunk = frame_of({0x2a, 0x06, 0x0a, 0x04, 0x10, 0xbf, 0x84, 0x3d});
  bytes.insert(bytes.end(), chunk.begin(), chunk.end());
  ASSERT_TRUE(peer.send(bytes));
  EXPECT_TRUE(peer.wait_closed_by_remote(5s));
  expect_relay_logged("chunk from a peer that is not our parent");
  expect_viewer_still_playing();
}

TEST_F(hostile_peer, peer_that_does_not_speak_tls_is_refused) {
  raw_peer peer(relay_->port, false);
  ASSERT_TRUE(peer.send(hello_frame(token(3600))));  // a valid Hello, but in the clear
  EXPECT_TRUE(peer.wait_closed_by_remote(5s));
  expect_relay_logged("wrong version number");
  expect_viewer_still_playing();
}

TEST_F(hostile_peer, peer_without_a_token_is_refused_at_join) {
  raw_peer peer(relay_->port);
  ASSERT_TRUE(peer.send(hello_frame("")));
  EXPECT_TRUE(peer.wait_closed_by_remote(5s));
  expect_relay_logged("no invite token");
  expect_viewer_still_playing();
}

TEST_F(hostile_peer, expired_token_is_refused_at_join) {
  // An expired invite still identifies a member (who may stay and repair),
  // but a newcomer's join (nothing to resume) is refused.
  raw_peer peer(relay_->port);
  auto bytes = hello_frame(token(-60));
  const auto join = wire::encode_frame(wire::join_request{});
  bytes.insert(bytes.end(), join->begin(), join->end());
  ASSERT_TRUE(peer.send(bytes));
  EXPECT_TRUE(peer.wait_closed_by_remote(5s));
  expect_relay_logged("invite token expired");
  expect_viewer_still_playing();
}

TEST_F(hostile_peer, a_peer_flooding_messages_is_dropped) {
  raw_peer peer(relay_->port);
  auto bytes = hello_frame(token(3600));
  for (int i = 0; i < 1000; ++i) {
    const auto ping = wire::encode_frame(wire::ping{static_cast<std::uint64_t>(i)});
    bytes.insert(bytes.end(), ping->begin(), ping->end());
  }
  peer.send(bytes);  // may fail part way: the relay closes on us
  EXPECT_TRUE(peer.wait_closed_by_remote(5s));
  expect_relay_logged("more messages than a peer may send per second");
  expect_viewer_still_playing();
}

TEST_F(hostile_peer, a_large_frame_before_hello_is_refused_from_its_header) {
  raw_peer peer(relay_->port);
  // 10 KB: under the relay's frame bound, over what a Hello can be.
  ASSERT_TRUE(peer.send(frame_header(10 * 1024)));
  EXPECT_TRUE(peer.wait_closed_by_remote(5s));
  expect_relay_logged("frame larger than the maximum frame size");
  expect_viewer_still_playing();
}

TEST_F(hostile_peer, token_of_another_broadcaster_is_refused_at_join) {
  raw_peer peer(relay_->port);
  const auto stranger = runtime::ed25519_key::generate();
  ASSERT_TRUE(peer.send(hello_frame(
      runtime::make_invite_token(stranger, runtime::invite_role::relay, unix_now() + 3600))));
  EXPECT_TRUE(peer.wait_closed_by_remote(5s));
  expect_relay_logged("invite token not signed by this stream's broadcaster");
  expect_viewer_still_playing();
}

TEST(end_to_end, relays_cannot_read_the_stream_and_a_wrong_key_plays_nothing) {
  local_tree tree("e2e");
  auto broadcaster = tree.start_broadcaster({"--resolution", "320x180", "--fps", "15"});
  auto relay = tree.start_relay(broadcaster.port);

  // A relay link has no content key: a viewer refuses it and says why.
  child_process with_relay_link({TREECAST_VIEWER, tree.link_to(relay.port, false), "--headless"},
                                tree.log_path("viewer-relay-link"));
  EXPECT_EQ(with_relay_link.wait_exit(10s), 2);
  EXPECT_NE(read_file(tree.log_path("viewer-relay-link")).find("carries no content key"),
            std::string::npos);

  // A viewer link with another key: chunks arrive (signed, verified) but
  // nothing decrypts, so nothing plays.
  std::string link = tree.link_to(relay.port, true);
  link = link.substr(0, link.find("&key=")) + "&key=" + std::string(64, '0');
  std::filesystem::remove(tree.log_path("viewer-wrong-key"));  // appended to otherwise
  child_process wrong_key({TREECAST_VIEWER, link, "--headless", "--listen", "127.0.0.1:0"},
                          tree.log_path("viewer-wrong-key"));
  const auto received = wrong_key.wait_for_line(
      [](const std::string& l) {
        return l.rfind("status ", 0) == 0 && std::stoll(status_fields(l)["chunks"]) >= 10;
      },
      20s);
  ASSERT_TRUE(received) << "the viewer with a wrong key got no chunks";
  EXPECT_EQ(status_fields(*received)["frames"], "0");
  EXPECT_NE(read_file(tree.log_path("viewer-wrong-key")).find("cannot decrypt"), std::string::npos);

  // The right key plays.
  auto viewer = tree.start_viewer(relay.port);
  EXPECT_TRUE(viewer.process->wait_for_line(
      [](const std::string& l) {
        return l.rfind("status ", 0) == 0 && status_fields(l)["frames"] != "0";
      },
      20s));
  // Having opened none of 25 chunks, the wrong-key viewer ends by itself
  // (exit 1), saying why, rather than playing nothing forever.
  EXPECT_EQ(wrong_key.wait_exit(20s), 1);
  EXPECT_NE(read_file(tree.log_path("viewer-wrong-key")).find("opens none of this stream's chunks"),
            std::string::npos);
  for (auto* p : {&viewer.process, &relay.process, &broadcaster.process}) {
    (*p)->send_signal(SIGINT);
    EXPECT_EQ((*p)->wait_exit(10s), 0);
  }
}

// Resident memory of a process, in MiB, from /proc.
double rss_mib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::stod(line.substr(6)) / 1024.0;
    }
  }
  return -1;
}

TEST(slow_reader, child_that_stops_reading_is_dropped_and_memory_stays_bounded) {
  local_tree tree("slow-reader");
  auto broadcaster = tree.start_broadcaster({"--bitrate", "2000"});
  auto relay = tree.start_relay(broadcaster.port, {"--max-pending-bytes", "262144"});
  auto viewer = tree.start_viewer(relay.port);
  ASSERT_TRUE(viewer.process->wait_for_line(
      [](const std::string& l) {
        return l.rfind("status ", 0) == 0 && status_fields(l)["frames"] != "0";
      },
      20s));
  const double rss_before = rss_mib(relay.process->pid());

  // Joins as a child, then never reads a byte.
  raw_peer lazy(relay.port, true, 4096);
  const auto key = runtime::ed25519_key::load_or_create(tree.key_path());
  ASSERT_TRUE(lazy.send(hello_frame(
      runtime::make_invite_token(key, runtime::invite_role::relay, unix_now() + 3600))));
  const auto join = wire::encode_frame(wire::join_request{});
  ASSERT_TRUE(lazy.send({join->begin(), join->end()}));

  const std::string log = tree.log_path("relay1");
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  bool dropped = false;
  double rss_peak = rss_before;
  // The lazy child keeps sending heartbeats (so it is not dropped for
  // silence) while reading nothing; we watch the relay's log and memory
  // until it reports the drop, at most until the deadline.
  const auto heartbeat = wire::encode_frame(wire::heartbeat{});
  while (!dropped && std::chrono::steady_clock::now() < deadline) {
    lazy.send({heartbeat->begin(), heartbeat->end()});
    // Paces the heartbeats (the engine wants one per 250 ms) on the viewer's
    // output, which we check anyway.
    viewer.process->wait_for_line([](const std::string&) { return false; }, 200ms,
                                  viewer.process->lines().size());
    rss_peak = std::max(rss_peak, rss_mib(relay.process->pid()));
    dropped = read_file(log).find("peer stopped reading") != std::string::npos;
  }
  std::printf("relay RSS %.1f MiB before, %.1f MiB peak while the child did not read\n", rss_before,
              rss_peak);
  EXPECT_TRUE(dropped) << "the relay never dropped the child that stopped reading";
  EXPECT_LT(rss_peak - rss_before, 32.0);
  // The real viewer kept playing all along.
  const std::size_t from = viewer.process->lines().size();
  const auto later = viewer.process->wait_for_line(
      [](const std::string& l) { return l.rfind("status ", 0) == 0; }, 5s, from);
  ASSERT_TRUE(later);
  EXPECT_EQ(status_fields(*later)["missed"], "0");
  for (auto* p : {&viewer, &relay, &broadcaster}) {
    p->process->send_signal(SIGINT);
    EXPECT_EQ(p->process->wait_exit(10s), 0);
  }
}

}  // namespace
}  // namespace treecast::testing
