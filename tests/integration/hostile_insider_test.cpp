// Hostile insiders and crowds against real processes: a peer invited like
// any other that lies about its place or starves those who join it, a join
// rate bound that turns most of a crowd away at first, an invite that has
// expired. In every case the honest viewers play, and the reason for what
// happened to the hostile peer is in their logs.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>

#include "core/peer_claims.hpp"
#include "insider_peer.hpp"
#include "local_tree.hpp"
#include "raw_peer.hpp"
#include "runtime/ed25519.hpp"
#include "runtime/invite_token.hpp"
#include "runtime/program_loop.hpp"

namespace treecast::testing {
namespace {

using namespace std::chrono_literals;

// Waits until the viewer, from now on, has decoded frames and then decoded
// more: it plays.
bool plays(child_process& viewer, std::chrono::milliseconds timeout) {
  long long first = -1;
  const std::size_t from = viewer.lines().size();
  return viewer
      .wait_for_line(
          [&first](const std::string& l) {
            if (l.rfind("status ", 0) != 0) {
              return false;
            }
            const long long frames = std::stoll(status_fields(l)["frames"]);
            if (frames <= 0) {
              return false;
            }
            if (first < 0) {
              first = frames;
              return false;
            }
            return frames > first;
          },
          timeout, from)
      .has_value();
}

void stop_all(std::vector<peer_process>& peers) {
  for (auto it = peers.rbegin(); it != peers.rend(); ++it) {
    it->process->send_signal(SIGINT);
    EXPECT_EQ(it->process->wait_exit(10s), 0);
  }
}

// A broadcaster with two slots: one taken by a relay with one slot (taken
// by a second relay with room), one by the insider. Joiners are handed the
// insider (depth 1, lots of room) and the second relay (depth 2).
class insider : public ::testing::Test {
 protected:
  void start_tree(insider_peer::claims lies) {
    tree_ = std::make_unique<local_tree>(
        std::string("insider-") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    peers_.push_back(tree_->start_broadcaster(
        {"--resolution", "320x180", "--fps", "15", "--bitrate", "300", "--max-children", "2"}));
    const std::uint16_t root = peers_[0].port;
    peers_.push_back(tree_->start_relay(root, {"--max-children", "1"}));
    ASSERT_TRUE(attached(*peers_.back().process));
    peers_.push_back(tree_->start_relay(peers_[1].port));
    ASSERT_TRUE(attached(*peers_.back().process));
    const auto key = runtime::ed25519_key::load_or_create(tree_->key_path());
    insider_ = std::make_unique<insider_peer>(
        root,
        runtime::make_invite_token(key, runtime::invite_role::viewer,
                                   runtime::wall_time_ms() / 1000 + 3600),
        core::root_node_id(key.public_key()), lies);
    ASSERT_TRUE(insider_->wait_attached(10s)) << "the insider could not join the broadcaster";
    // Handed to joiners only once checked: viewers started before would
    // never meet it, and the test would prove nothing.
    ASSERT_TRUE(insider_->wait_checked(10s)) << "the broadcaster never checked the insider";
  }

  static bool attached(child_process& p) {
    return p
        .wait_for_line(
            [](const std::string& l) {
              return l.rfind("status ", 0) == 0 && status_fields(l)["depth"] != "-";
            },
            15s)
        .has_value();
  }

  void TearDown() override {
    stop_all(viewers_);
    stop_all(peers_);
    insider_.reset();
  }

  std::unique_ptr<local_tree> tree_;
  std::vector<peer_process> peers_;
  std::vector<peer_process> viewers_;
  std::unique_ptr<insider_peer> insider_;
};

TEST_F(insider, a_parent_that_never_sends_a_chunk_is_left_and_the_viewers_play) {
  start_tree({1, 50, true});
  for (int i = 0; i < 3; ++i) {
    viewers_.push_back(tree_->start_viewer(peers_[0].port, {"--log-level", "debug"}));
  }
  for (auto& v : viewers_) {
    EXPECT_TRUE(plays(*v.process, 30s)) << "an honest viewer never played";
  }
  EXPECT_GE(insider_->joins_accepted(), 1)
      << "nobody fell for the insider (probed " << insider_->probes_answered()
      << " times): the test proves nothing";
  // Left for starving it, or (sooner) for falling behind its warm standby.
  int left_it = 0;
  for (int i = 0; i < 3; ++i) {
    // Peers are named by how many were started before: the broadcaster and
    // the two relays came first.
    const std::string log = read_file(tree_->log_path("viewer" + std::to_string(3 + i)));
    left_it += log.find("sent no chunk for") != std::string::npos ||
               log.find("behind the standby") != std::string::npos;
  }
  EXPECT_EQ(left_it, insider_->joins_accepted() > 0 ? left_it : 0);
  EXPECT_GE(left_it, 1) << "no viewer logged why it left the insider";
}

TEST_F(insider, a_peer_claiming_to_be_the_broadcaster_is_not_believed) {
  start_tree({0, 50, true, true});  // its id and path are the root's
  viewers_.push_back(tree_->start_viewer(peers_[0].port, {"--log-level", "debug"}));
  EXPECT_TRUE(plays(*viewers_[0].process, 20s));
  EXPECT_GE(insider_->probes_answered(), 1) << "nobody probed the insider";
  EXPECT_EQ(insider_->joins_accepted(), 0);
  EXPECT_NE(read_file(tree_->log_path("viewer3")).find("claims to be the broadcaster"),
            std::string::npos);
}

TEST_F(insider, a_report_of_a_million_peers_is_clamped) {
  start_tree({1, 50, true, false, 1'000'002});
  child_process& broadcaster = *peers_[0].process;
  // Three seconds of its lies, a report every 300 ms.
  std::optional<std::string> status;
  for (int i = 0; i < 3; ++i) {
    status =
        broadcaster.wait_for_line([](const std::string& l) { return l.rfind("status ", 0) == 0; },
                                  5s, broadcaster.lines().size());
    ASSERT_TRUE(status);
  }
  auto fields = status_fields(*status);
  EXPECT_LT(std::stoll(fields["peers"]), 2000) << *status;
  EXPECT_LT(std::stoll(fields["missed_in_tree"]), 1'000'000) << *status;
  EXPECT_NE(read_file(tree_->log_path("broadcaster")).find("implausible report"),
            std::string::npos);
}

TEST(crowd, viewers_told_busy_come_back_and_all_play) {
  local_tree tree("crowd-busy");
  std::vector<peer_process> peers;
  peers.push_back(
      tree.start_broadcaster({"--resolution", "320x180", "--fps", "15", "--bitrate", "300",
                              "--max-children", "8", "--max-joins-per-second", "1"}));
  std::vector<peer_process> viewers;
  for (int i = 0; i < 5; ++i) {  // together: most are told "busy" at first
    viewers.push_back(tree.start_viewer(peers[0].port));
  }
  for (auto& v : viewers) {
    EXPECT_TRUE(plays(*v.process, 40s)) << "a viewer told busy never played";
  }
  EXPECT_NE(read_file(tree.log_path("broadcaster")).find("too many joins"), std::string::npos)
      << "nobody was told busy: the test proves nothing";
  stop_all(viewers);
  stop_all(peers);
}

TEST(crowd, a_newcomer_with_an_expired_invite_exits_naming_why) {
  local_tree tree("expired-invite");
  std::vector<peer_process> peers;
  peers.push_back(tree.start_broadcaster({"--resolution", "320x180", "--fps", "15"}));
  const auto key = runtime::ed25519_key::load_or_create(tree.key_path());
  const std::string link =
      "treecast://127.0.0.1:" + std::to_string(peers[0].port) +
      "/?stream=" + runtime::to_hex(key.public_key()) + "&token=" +
      runtime::to_hex(runtime::make_invite_token(key, runtime::invite_role::relay,
                                                 runtime::wall_time_ms() / 1000 - 60));
  child_process relay({TREECAST_RELAY, link, "--listen", "127.0.0.1:0"}, tree.log_path("late"));
  EXPECT_EQ(relay.wait_exit(15s), 1);
  EXPECT_NE(read_file(tree.log_path("late")).find("invite token expired"), std::string::npos);
  stop_all(peers);
}

TEST(flood, a_relay_out_of_descriptors_backs_off_and_keeps_serving) {
  local_tree tree("flood-descriptors");
  std::vector<peer_process> peers;
  peers.push_back(tree.start_broadcaster({"--resolution", "320x180", "--fps", "15"}));
  // A relay with few descriptors (systemd's default is 1024; a flood of
  // that size is the same story, only slower to set up).
  std::filesystem::remove(tree.log_path("relay"));  // the log is appended to
  child_process relay({"/usr/bin/prlimit", "--nofile=48:48", TREECAST_RELAY,
                       tree.link_to(peers[0].port), "--listen", "127.0.0.1:0"},
                      tree.log_path("relay"));
  const auto listening = relay.wait_for_line(
      [](const std::string& l) { return l.rfind("listening on ", 0) == 0; }, 15s);
  ASSERT_TRUE(listening);
  const std::uint16_t relay_port = listening_port(*listening);
  std::vector<peer_process> viewers;
  viewers.push_back(tree.start_viewer(relay_port));
  ASSERT_TRUE(plays(*viewers[0].process, 20s));
  {
    std::vector<std::unique_ptr<raw_peer>> idle;  // TCP only: they never start TLS
    for (int i = 0; i < 120; ++i) {
      idle.push_back(std::make_unique<raw_peer>(relay_port, false));
    }
    EXPECT_TRUE(plays(*viewers[0].process, 15s)) << "the viewer stopped during the flood";
  }
  // The flood is over: the relay accepts again.
  raw_peer late(relay_port);
  late.send_message(wire::hello{});
  EXPECT_TRUE(late.wait_closed_by_remote(10s));  // refused for its empty token, so heard
  const std::string log = read_file(tree.log_path("relay"));
  std::size_t failed_lines = 0;
  for (std::size_t at = log.find("accept failed"); at != std::string::npos;
       at = log.find("accept failed", at + 1)) {
    ++failed_lines;
  }
  EXPECT_GE(failed_lines, 1u) << "the relay never ran out of descriptors: the test proves nothing";
  EXPECT_LE(failed_lines, 5u) << "one line per episode, not one per try";
  EXPECT_NE(log.find("accepting again"), std::string::npos);
  stop_all(viewers);
  relay.send_signal(SIGINT);
  EXPECT_EQ(relay.wait_exit(10s), 0);
  stop_all(peers);
}

TEST(flood, many_ids_from_one_address_get_no_more_than_its_share_of_slots) {
  local_tree tree("sybils");
  std::vector<peer_process> peers;
  peers.push_back(tree.start_broadcaster({"--resolution", "320x180", "--fps", "15"}));
  peers.push_back(
      tree.start_relay(peers[0].port, {"--max-children", "16", "--max-children-per-address", "4"}));
  const auto key = runtime::ed25519_key::load_or_create(tree.key_path());
  const std::string token = runtime::make_invite_token(key, runtime::invite_role::viewer,
                                                       runtime::wall_time_ms() / 1000 + 3600);
  std::vector<std::unique_ptr<raw_peer>> sybils;
  int accepted = 0;
  int redirected = 0;
  for (std::uint8_t n = 1; n <= 15; ++n) {  // one host, fifteen ids
    auto sybil = std::make_unique<raw_peer>(peers[1].port);
    wire::hello hello;
    hello.node_id.fill(n);
    hello.role = wire::peer_role::viewer;
    hello.token = token;
    sybil->send_message(hello);
    sybil->send_message(wire::join_request{});
    for (int i = 0; i < 20; ++i) {  // its answer comes within a few messages
      const auto m = sybil->receive(2s);
      if (!m) {
        break;
      }
      if (std::holds_alternative<wire::join_accept>(*m)) {
        ++accepted;
        break;
      }
      if (std::holds_alternative<wire::join_redirect>(*m)) {
        ++redirected;
        break;
      }
    }
    sybils.push_back(std::move(sybil));
  }
  EXPECT_EQ(accepted, 4);
  EXPECT_EQ(redirected, 11);
  stop_all(peers);
}

TEST(flood, a_link_for_another_stream_ends_at_once_naming_why) {
  local_tree ours("other-stream-ours");
  local_tree theirs("other-stream-theirs");
  std::vector<peer_process> peers;
  peers.push_back(ours.start_broadcaster({"--resolution", "320x180", "--fps", "15"}));
  peers.push_back(theirs.start_broadcaster({"--resolution", "320x180", "--fps", "15"}));
  // Our stream's invite, their broadcaster's address.
  std::string link = ours.link_to(peers[1].port);
  child_process relay({TREECAST_RELAY, link, "--listen", "127.0.0.1:0"},
                      ours.log_path("misdirected"));
  EXPECT_EQ(relay.wait_exit(15s), 1);
  EXPECT_NE(read_file(ours.log_path("misdirected")).find("is not a peer of this stream"),
            std::string::npos);
  stop_all(peers);
}

}  // namespace
}  // namespace treecast::testing
