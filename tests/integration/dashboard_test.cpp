// The broadcaster's /api/tree against a real tree of processes: counts,
// rows and their links, the upload saved, and a change when a relay dies.
#include <gtest/gtest.h>

#include <csignal>
#include <nlohmann/json.hpp>
#include <set>

#include "http_get.hpp"
#include "local_tree.hpp"

namespace treecast::testing {
namespace {

using namespace std::chrono_literals;

std::optional<nlohmann::json> get_tree(std::uint16_t port) {
  const auto reply = http_get(port, "/api/tree");
  if (!reply || reply->status != 200) {
    return std::nullopt;
  }
  return nlohmann::json::parse(reply->body);
}

// Polls /api/tree once per broadcaster status line until `done` holds.
std::optional<nlohmann::json> wait_tree(child_process& broadcaster, std::uint16_t port,
                                        const std::function<bool(const nlohmann::json&)>& done) {
  for (int attempt = 0; attempt < 30; ++attempt) {
    if (auto tree = get_tree(port); tree && done(*tree)) {
      return tree;
    }
    broadcaster.wait_for_line([](const std::string& l) { return l.rfind("status ", 0) == 0; }, 2s,
                              broadcaster.lines().size());
  }
  return std::nullopt;
}

TEST(dashboard, api_tree_reports_the_real_tree) {
  local_tree tree("dashboard_api");
  auto broadcaster = tree.start_broadcaster(
      {"--resolution", "320x180", "--fps", "15", "--max-children", "2", "--metrics-port", "0"});
  const auto served = broadcaster.process->wait_for_line(
      [](const std::string& l) { return l.rfind("metrics on ", 0) == 0; }, 10s);
  ASSERT_TRUE(served);
  const auto port = static_cast<std::uint16_t>(std::stoi(served->substr(served->rfind(':') + 1)));

  auto relay_a = tree.start_relay(broadcaster.port, {"--site", "paris"});
  auto relay_b = tree.start_relay(broadcaster.port, {"--site", "oslo"});
  std::vector<peer_process> viewers;
  viewers.push_back(tree.start_viewer(relay_a.port, {"--site", "paris"}));
  viewers.push_back(tree.start_viewer(relay_a.port, {"--site", "paris"}));
  viewers.push_back(tree.start_viewer(relay_b.port, {"--site", "oslo"}));

  const auto full = wait_tree(*broadcaster.process, port, [](const nlohmann::json& t) {
    if (t["peers"] != 5 || t["listed"] != 6) {
      return false;
    }
    for (const auto& n : t["nodes"]) {
      if (n["role"] != "broadcaster" && n["latency_ms"].get<int>() < 0) {
        return false;  // not every peer has reported a second of chunks yet
      }
    }
    return true;
  });
  ASSERT_TRUE(full) << "the API never showed 5 peers";
  const auto& t = *full;
  EXPECT_EQ(t["viewers"], 3);
  EXPECT_EQ(t["relays"], 2);
  EXPECT_EQ(t["max_depth"], 2);
  // Two copies leave the broadcaster for five peers: about 60% saved.
  const double saved = t["upload_saved"];
  std::printf("upload saved %.2f (%d of %d kbit/s)\n", saved, t["upload_kbps"].get<int>(),
              5 * t["stream_kbps"].get<int>());
  EXPECT_GT(saved, 0.4);
  EXPECT_LT(saved, 0.8);
  std::set<std::string> ids;
  for (const auto& n : t["nodes"]) {
    ids.insert(n["id"].get<std::string>());
  }
  int roots = 0;
  for (const auto& n : t["nodes"]) {
    if (n["role"] == "broadcaster") {
      ++roots;
      continue;
    }
    EXPECT_TRUE(ids.count(n["parent"].get<std::string>())) << "a row's parent is not listed";
    EXPECT_EQ(n["depth"], n["role"] == "relay" ? 1 : 2);
    EXPECT_EQ(n["site"], n["role"] == "relay" || n["depth"] == 2 ? n["site"] : "");
    EXPECT_GE(n["latency_ms"].get<int>(), 0) << "a peer reports no latency";
  }
  EXPECT_EQ(roots, 1);
  int histogram = 0;
  for (const auto& c : t["latency_histogram"]["counts"]) {
    histogram += c.get<int>();
  }
  EXPECT_EQ(histogram, 5);

  // A relay dies: the tree shown changes (it is gone; its viewers move).
  const std::string dead_address = "127.0.0.1:" + std::to_string(relay_b.port);
  relay_b.process->send_signal(SIGKILL);
  relay_b.process->wait_exit(10s);
  const auto after = wait_tree(*broadcaster.process, port, [&](const nlohmann::json& x) {
    if (x["peers"] != 4) {
      return false;
    }
    for (const auto& n : x["nodes"]) {
      if (n["address"] == dead_address) {
        return false;
      }
    }
    return true;
  });
  EXPECT_TRUE(after) << "the API still shows the dead relay";

  for (auto& v : viewers) {
    v.process->send_signal(SIGINT);
    EXPECT_EQ(v.process->wait_exit(10s), 0);
  }
  for (auto* p : {&relay_a, &broadcaster}) {
    p->process->send_signal(SIGINT);
    EXPECT_EQ(p->process->wait_exit(10s), 0);
  }
}

}  // namespace
}  // namespace treecast::testing
