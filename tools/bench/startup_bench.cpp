#include "startup_bench.hpp"

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "local_tree.hpp"
#include "quantile.hpp"

namespace treecast::bench {
namespace {

using namespace std::chrono_literals;

// Launches a viewer under `parent` `runs` times; first-frame times in ms.
std::vector<double> launch_viewers(testing::local_tree& tree, std::uint16_t parent, int runs) {
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    auto viewer = tree.start_viewer(parent);
    const auto line = viewer.process->wait_for_line(
        [](const std::string& l) { return l.rfind("first-frame ms=", 0) == 0; }, 20s);
    if (line) {
      times.push_back(std::stod(line->substr(line->find('=') + 1)));
    } else {
      std::fprintf(stderr, "treecast-bench: a viewer showed no frame within 20 s\n");
    }
    viewer.process->send_signal(SIGINT);
    viewer.process->wait_exit(10s);
  }
  return times;
}

}  // namespace

int run_startup_bench(const startup_options& options) {
  testing::local_tree tree("bench_startup");
  auto broadcaster = tree.start_broadcaster({"--max-children", "4"});
  auto relay = tree.start_relay(broadcaster.port);
  // The relay is receiving before the first viewer starts.
  relay.process->wait_for_line(
      [](const std::string& l) {
        return l.rfind("status ", 0) == 0 && testing::status_fields(l)["chunks"] != "0";
      },
      20s);
  const auto direct = launch_viewers(tree, broadcaster.port, options.runs);
  const auto via_relay = launch_viewers(tree, relay.port, options.runs);
  relay.process->send_signal(SIGINT);
  relay.process->wait_exit(10s);
  broadcaster.process->send_signal(SIGINT);
  broadcaster.process->wait_exit(10s);

  std::printf(
      "viewer launch -> first frame on screen, %d launches each (640x360@30, keyframe "
      "every 1 s, the viewer's default --latency)\n",
      options.runs);
  std::printf("%-22s %8s %8s %8s %8s\n", "placement", "p50_ms", "p90_ms", "max_ms", "launches");
  const auto row = [](const char* name, const std::vector<double>& t) {
    std::printf("%-22s %8.0f %8.0f %8.0f %8zu\n", name, quantile(t, 0.5), quantile(t, 0.9),
                quantile(t, 1.0), t.size());
  };
  row("broadcaster (depth 1)", direct);
  row("relay (depth 2)", via_relay);
  if (options.json) {
    std::printf(
        "{\"runs\": %d, \"depth1_p50_ms\": %.0f, \"depth1_p90_ms\": %.0f, \"depth2_p50_ms\": "
        "%.0f, \"depth2_p90_ms\": %.0f, \"shown\": %zu}\n",
        options.runs, quantile(direct, 0.5), quantile(direct, 0.9), quantile(via_relay, 0.5),
        quantile(via_relay, 0.9), direct.size() + via_relay.size());
  }
  return direct.size() + via_relay.size() == static_cast<std::size_t>(2 * options.runs) ? 0 : 1;
}

}  // namespace treecast::bench
