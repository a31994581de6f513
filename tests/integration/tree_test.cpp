// Real processes on loopback build a tree from the broadcaster's address
// alone: a broadcaster feeding 3 seed relays, 12 more peers joining through
// the rendezvous. Everybody attaches, no peer exceeds its capacity, the
// broadcaster counts them all, and the sampled viewers decode video.
#include <gtest/gtest.h>

#include <csignal>

#include "local_tree.hpp"

namespace treecast::testing {
namespace {

using namespace std::chrono_literals;

struct member {
  peer_process peer;
  std::size_t max_children;
  bool decodes;
};

bool attached_status(const std::string& line) {
  return line.rfind("status ", 0) == 0 && status_fields(line)["depth"] != "-";
}

TEST(tree, peers_given_only_the_broadcaster_address_form_a_tree) {
  local_tree tree("tree");
  auto broadcaster = tree.start_broadcaster(
      {"--resolution", "320x180", "--fps", "15", "--bitrate", "300", "--max-children", "3"});
  std::vector<member> members;

  // Seeds first, so that they take the broadcaster's three slots.
  for (int i = 0; i < 3; ++i) {
    members.push_back({tree.start_relay(broadcaster.port, {"--max-children", "3"}), 3, false});
    ASSERT_TRUE(members.back().peer.process->wait_for_line(attached_status, 20s))
        << "seed " << i << " did not attach";
  }
  // Twelve more: nine relays with two slots and three decoding viewers with one.
  for (int i = 0; i < 12; ++i) {
    const bool viewer = i % 4 == 3;
    if (viewer) {
      members.push_back({tree.start_viewer(broadcaster.port, {"--max-children", "1"}), 1, true});
    } else {
      members.push_back({tree.start_relay(broadcaster.port, {"--max-children", "2"}), 2, false});
    }
  }

  for (std::size_t i = 0; i < members.size(); ++i) {
    ASSERT_TRUE(members[i].peer.process->wait_for_line(attached_status, 30s))
        << "peer " << i << " never attached; see " << tree.log_path("relay" + std::to_string(i));
  }

  // The broadcaster learns the whole tree through the aggregated reports.
  const auto counted = broadcaster.process->wait_for_line(
      [](const std::string& l) {
        return l.rfind("status ", 0) == 0 && status_fields(l)["peers"] == "15";
      },
      20s);
  ASSERT_TRUE(counted) << "broadcaster never counted 15 peers";
  const auto fields = status_fields(*counted);
  EXPECT_EQ(fields.at("children"), "3");
  std::printf("broadcaster: %s\n", counted->c_str());

  // Each peer's latest status: within capacity, attached; viewers decode.
  std::size_t depth_max = 0;
  for (std::size_t i = 0; i < members.size(); ++i) {
    auto& m = members[i];
    const std::size_t from = m.peer.process->lines().size();
    const auto line = m.peer.process->wait_for_line(
        [&m](const std::string& l) {
          if (l.rfind("status ", 0) != 0) {
            return false;
          }
          return !m.decodes || std::stoll(status_fields(l)["frames"]) > 0;
        },
        15s, from);
    ASSERT_TRUE(line) << "peer " << i << " stopped reporting or never decoded";
    auto f = status_fields(*line);
    EXPECT_NE(f["depth"], "-") << "peer " << i << " detached";
    EXPECT_LE(std::stoul(f["children"]), m.max_children) << "peer " << i << " over capacity";
    if (f["depth"] != "-") {
      depth_max = std::max<std::size_t>(depth_max, std::stoul(f["depth"]));
    }
    if (m.decodes) {
      EXPECT_GT(std::stoll(f["frames"]), 0) << "viewer " << i << " decodes nothing";
    }
  }
  std::printf("15 peers attached, deepest at depth %zu\n", depth_max);
  EXPECT_GE(depth_max, 2u);  // 3 seeds cannot hold 12 peers at depth 1... they redirect

  for (auto it = members.rbegin(); it != members.rend(); ++it) {
    it->peer.process->send_signal(SIGINT);
  }
  for (auto& m : members) {
    EXPECT_EQ(m.peer.process->wait_exit(10s), 0);
  }
  broadcaster.process->send_signal(SIGINT);
  EXPECT_EQ(broadcaster.process->wait_exit(10s), 0);
}

}  // namespace
}  // namespace treecast::testing
