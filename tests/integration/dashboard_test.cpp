// The broadcaster's /api/tree against a real tree of processes: counts,
// rows and their links, the upload saved, and a change when a relay dies.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "headless_chromium.hpp"
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

// A broadcaster with its dashboard, two relays on two sites and three
// viewers under them: five peers. Oslo's viewer plays the sound alone.
struct dashboard_tree {
  explicit dashboard_tree(const std::string& name) : tree(name) {
    broadcaster = tree.start_broadcaster(
        {"--resolution", "320x180", "--fps", "15", "--max-children", "2", "--metrics-port", "0"});
    port = metrics_port_of(*broadcaster.process);
    relay_a = tree.start_relay(broadcaster.port, {"--site", "paris"});
    relay_b = tree.start_relay(broadcaster.port, {"--site", "oslo"});
    // Viewers take no children: the shape (every viewer at depth 2) must
    // not hang on loopback RTT noise, where a viewer with room answering a
    // probe 5 ms sooner than its relay took the next viewer at depth 3.
    viewers.push_back(tree.start_viewer(
        relay_a.port, {"--site", "paris", "--max-children", "0", "--rendition", "full"}));
    viewers.push_back(tree.start_viewer(
        relay_a.port, {"--site", "paris", "--max-children", "0", "--rendition", "full"}));
    viewers.push_back(tree.start_viewer(
        relay_b.port, {"--site", "oslo", "--max-children", "0", "--rendition", "audio"}));
  }

  // Until /api/tree matches `done`, or nullopt after 30 status lines.
  std::optional<nlohmann::json> wait(const std::function<bool(const nlohmann::json&)>& done) {
    return wait_tree(*broadcaster.process, port, done);
  }

  // Kills relay_b; its address, which must then leave the tree.
  std::string kill_relay_b() {
    relay_b.process->send_signal(SIGKILL);
    relay_b.process->wait_exit(10s);
    return "127.0.0.1:" + std::to_string(relay_b.port);
  }

  // Stops every live program by SIGINT and expects a clean exit.
  void stop() {
    for (auto& v : viewers) {
      v.process->send_signal(SIGINT);
      EXPECT_EQ(v.process->wait_exit(10s), 0);
    }
    for (auto* p : {&relay_a, &broadcaster}) {
      p->process->send_signal(SIGINT);
      EXPECT_EQ(p->process->wait_exit(10s), 0);
    }
  }

  local_tree tree;
  peer_process broadcaster, relay_a, relay_b;
  std::vector<peer_process> viewers;
  std::uint16_t port = 0;
};

bool has_all_five(const nlohmann::json& t) {
  if (t["peers"] != 5 || t["listed"] != 6) {
    return false;
  }
  for (const auto& n : t["nodes"]) {
    if (n["role"] != "broadcaster" && n["latency_ms"].get<int>() < 0) {
      return false;  // not every peer has reported a second of chunks yet
    }
    if (n["role"] == "viewer" && n["rendition"] == "") {
      return false;  // a player has not started yet
    }
  }
  return true;
}

bool lists_address(const nlohmann::json& t, const std::string& address) {
  for (const auto& n : t["nodes"]) {
    if (n["address"] == address) {
      return true;
    }
  }
  return false;
}

TEST(dashboard, api_tree_reports_the_real_tree) {
  dashboard_tree live("dashboard_api");
  const auto full = live.wait(has_all_five);
  ASSERT_TRUE(full) << "the API never showed 5 peers";
  const auto& t = *full;
  EXPECT_EQ(t["viewers"], 3);
  EXPECT_EQ(t["relays"], 2);
  EXPECT_EQ(t["max_depth"], 2);
  // Two copies leave the broadcaster for five peers: about 60% saved (the
  // viewers play the full rendition: a copy of it is what the figure counts).
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
    EXPECT_TRUE(n["site"] == "paris" || n["site"] == "oslo") << "a peer's site is lost: " << n;
    EXPECT_GE(n["latency_ms"].get<int>(), 0) << "a peer reports no latency";
    // Which rendition each player plays: relays play none.
    const std::string plays = n["role"] == "relay" ? "" : n["site"] == "oslo" ? "audio" : "full";
    EXPECT_EQ(n["rendition"], plays) << n;
  }
  EXPECT_EQ(roots, 1);
  EXPECT_EQ(t["playing"], nlohmann::json({{"full", 2}, {"low", 0}, {"audio", 1}}));
  int histogram = 0;
  for (const auto& c : t["latency_histogram"]["counts"]) {
    histogram += c.get<int>();
  }
  EXPECT_EQ(histogram, 5);

  // A relay dies: the tree shown changes (it is gone; its viewers move).
  const auto dead_address = live.kill_relay_b();
  const auto after = live.wait(
      [&](const nlohmann::json& x) { return x["peers"] == 4 && !lists_address(x, dead_address); });
  EXPECT_TRUE(after) << "the API still shows the dead relay";
  live.stop();
}

// What a person sees: the page in headless Chromium draws every peer the
// broadcaster knows and follows the tree when a relay dies.
TEST(dashboard, page_in_chromium_draws_every_peer_and_follows_a_killed_relay) {
  dashboard_tree live("dashboard_page");
  ASSERT_TRUE(live.wait(has_all_five)) << "the tree never reached 5 peers";

  const std::string artifacts = std::string(TREECAST_TEST_LOG_DIR) + "/../artifacts";
  std::filesystem::create_directories(artifacts);
  headless_chromium browser("http://127.0.0.1:" + std::to_string(live.port) + "/",
                            std::string(TREECAST_TEST_LOG_DIR) + "/dashboard_page-chromium",
                            live.tree.log_path("chromium"));
  const std::string drawn_peers =
      "document.querySelectorAll('#tree circle.peer:not([data-role=broadcaster])').length";
  ASSERT_TRUE(browser.wait_until(drawn_peers + " === 5", 15s))
      << "the page never drew 5 peers; drawn: " << browser.evaluate(drawn_peers);
  const auto known = get_tree(live.port);
  ASSERT_TRUE(known);
  EXPECT_EQ(browser.evaluate(drawn_peers), (*known)["peers"])
      << "drawn != known to the broadcaster";
  EXPECT_EQ(browser.evaluate("document.querySelectorAll('#tree circle.peer').length"),
            (*known)["listed"]);
  EXPECT_EQ(browser.evaluate("document.getElementById('peers').textContent"), "5");
  EXPECT_EQ(browser.evaluate("document.getElementById('playing').textContent"),
            "full 2, low 0, sound alone 1");
  EXPECT_EQ(browser.evaluate("document.getElementById('error').textContent"), "");
  browser.screenshot(artifacts + "/dashboard.png");

  // Kill a relay: the page must drop its circle and show 4 peers.
  std::string dead_id;
  const std::string dead_address = "127.0.0.1:" + std::to_string(live.relay_b.port);
  for (const auto& n : (*known)["nodes"]) {
    if (n["address"] == dead_address) {
      dead_id = n["id"];
    }
  }
  ASSERT_FALSE(dead_id.empty()) << "the API did not list relay_b";
  const std::string dead_circle =
      "document.querySelector('circle.peer[data-id=\"" + dead_id + "\"]')";
  ASSERT_EQ(browser.evaluate(dead_circle + " !== null"), true);
  live.kill_relay_b();
  EXPECT_TRUE(browser.wait_until(dead_circle + " === null && " + drawn_peers + " === 4 && " +
                                     "document.getElementById('peers').textContent === '4'",
                                 30s))
      << "the page still draws the dead relay; drawn: " << browser.evaluate(drawn_peers);
  browser.screenshot(artifacts + "/dashboard_after_relay_killed.png");
  live.stop();
}

}  // namespace
}  // namespace treecast::testing
