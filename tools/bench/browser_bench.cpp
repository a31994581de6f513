#include "browser_bench.hpp"

#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "headless_chromium.hpp"
#include "local_tree.hpp"
#include "process_usage.hpp"
#include "quantile.hpp"

namespace treecast::bench {
namespace {

using namespace std::chrono_literals;

struct run_figures {
  int browsers = 0;
  double relay_cpu = 0;                   // share of one core over the window
  std::vector<double> frame_latency_ms;   // every browser's frames
  std::vector<double> native_latency_ms;  // the native viewer, per second
};

// The numbers of a JSON array of numbers.
std::vector<double> numbers(const nlohmann::json& array) {
  std::vector<double> out;
  for (const auto& v : array) {
    if (v.is_number()) {
      out.push_back(v.get<double>());
    }
  }
  return out;
}

run_figures measure(testing::local_tree& tree, const testing::peer_process& relay,
                    const testing::peer_process& native, const std::string& page, int browsers,
                    std::chrono::seconds window) {
  run_figures f;
  f.browsers = browsers;
  std::vector<std::unique_ptr<testing::headless_chromium>> pages;
  for (int i = 0; i < browsers; ++i) {
    const std::string name = "bench_browsers-chromium" + std::to_string(i);
    pages.push_back(std::make_unique<testing::headless_chromium>(
        page, std::string(TREECAST_TEST_LOG_DIR) + "/" + name, tree.log_path(name)));
  }
  for (auto& p : pages) {
    if (!p->wait_until("window.treecast.connection === 'connected' && window.treecast.frames > 30",
                       30s)) {
      std::fprintf(stderr, "treecast-bench: a page did not play within 30 s\n");
    }
    p->evaluate("window.treecast.latencies = []");
  }
  const std::size_t native_from = native.process->lines().size();
  const double cpu_before = cpu_seconds(relay.process->pid());
  const auto started = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(window);  // the measurement window itself
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  f.relay_cpu = (cpu_seconds(relay.process->pid()) - cpu_before) / seconds;
  for (auto& p : pages) {
    const auto frames = numbers(p->evaluate("window.treecast.latencies"));
    f.frame_latency_ms.insert(f.frame_latency_ms.end(), frames.begin(), frames.end());
  }
  const auto lines = native.process->lines();
  for (std::size_t i = native_from; i < lines.size(); ++i) {
    if (lines[i].rfind("status ", 0) == 0) {
      const auto fields = testing::status_fields(lines[i]);
      const auto it = fields.find("play_latency_ms");
      if (it != fields.end() && std::stod(it->second) >= 0) {
        f.native_latency_ms.push_back(std::stod(it->second));
      }
    }
  }
  return f;
}

}  // namespace

int run_browser_bench(const browser_options& options) {
  testing::local_tree tree("bench_browsers");
  auto broadcaster = tree.start_broadcaster({"--max-children", "4"});
  const std::string link = tree.link_to(broadcaster.port, true);
  auto relay = tree.start_relay_by_link(link, {"--serve-browsers", "127.0.0.1:0"});
  const auto served = relay.process->wait_for_line(
      [](const std::string& l) { return l.rfind("browsers watch at ", 0) == 0; }, 10s);
  if (!served) {
    std::fprintf(stderr, "treecast-bench: the relay printed no page address\n");
    return 1;
  }
  const std::string page = served->substr(std::string("browsers watch at ").size());
  // The native viewer receives at the same depth as the gateway (1).
  auto native = tree.start_viewer(broadcaster.port, {"--max-children", "0"});
  native.process->wait_for_line(
      [](const std::string& l) { return l.rfind("first-frame ms=", 0) == 0; }, 20s);

  std::vector<run_figures> runs;
  runs.push_back(measure(tree, relay, native, page, 0, options.window));
  for (const int n : options.browsers) {
    runs.push_back(measure(tree, relay, native, page, n, options.window));
  }
  for (auto* p : {&native, &relay, &broadcaster}) {
    p->process->send_signal(SIGINT);
    p->process->wait_exit(10s);
  }

  std::printf(
      "an office relay serving browsers over WebRTC on loopback (640x360@30, %lld s per "
      "run); glass-to-glass per frame in the browsers, per second at the native viewer "
      "(depth 1 both)\n",
      static_cast<long long>(options.window.count()));
  std::printf("%-9s %9s %12s %8s %8s %8s %8s %10s %10s\n", "browsers", "relay_cpu", "cpu_per_brw",
              "frames", "b_p50", "b_p95", "b_p99", "native_p50", "native_p99");
  const double idle_cpu = runs.front().relay_cpu;
  std::string json = "{\"runs\": [";
  for (const auto& r : runs) {
    const double per_browser = r.browsers > 0 ? (r.relay_cpu - idle_cpu) / r.browsers : 0;
    const auto& b = r.frame_latency_ms;
    std::printf("%-9d %8.1f%% %11.2f%% %8zu %8.0f %8.0f %8.0f %10.0f %10.0f\n", r.browsers,
                100 * r.relay_cpu, 100 * per_browser, b.size(), quantile(b, 0.5), quantile(b, 0.95),
                quantile(b, 0.99), quantile(r.native_latency_ms, 0.5),
                quantile(r.native_latency_ms, 0.99));
    char item[512];
    std::snprintf(item, sizeof item,
                  "%s{\"browsers\": %d, \"relay_cpu\": %.4f, \"cpu_per_browser\": %.4f, "
                  "\"frames\": %zu, \"browser_p50_ms\": %.0f, \"browser_p95_ms\": %.0f, "
                  "\"browser_p99_ms\": %.0f, \"native_p50_ms\": %.0f, \"native_p99_ms\": %.0f}",
                  json.back() == '[' ? "" : ", ", r.browsers, r.relay_cpu, per_browser, b.size(),
                  quantile(b, 0.5), quantile(b, 0.95), quantile(b, 0.99),
                  quantile(r.native_latency_ms, 0.5), quantile(r.native_latency_ms, 0.99));
    json += item;
  }
  if (options.json) {
    std::printf("%s]}\n", json.c_str());
  }
  return 0;
}

}  // namespace treecast::bench
