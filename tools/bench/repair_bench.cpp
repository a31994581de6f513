#include "repair_bench.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <map>
#include <vector>

#include "local_tree.hpp"
#include "quantile.hpp"
#include "runtime/program_loop.hpp"

namespace treecast::bench {
namespace {

using namespace std::chrono_literals;
using testing::peer_process;
using testing::status_fields;

bool is_status(const std::string& l) {
  return l.rfind("status ", 0) == 0;
}

bool wait_depth(peer_process& p, const std::string& depth) {
  return p.process
      ->wait_for_line(
          [&depth](const std::string& l) {
            return is_status(l) && status_fields(l)["depth"] == depth;
          },
          20s)
      .has_value();
}

struct round_result {
  std::vector<double> repair_ms;
  std::uint64_t lost = 0;
  int unrepaired = 0;
};

// One round: a victim under relay A with `children` relays below it; kill it
// with `signal`; time each child's repair from the kill.
round_result run_round(testing::local_tree& tree, std::uint16_t relay_a, int children, int signal) {
  round_result out;
  auto victim = tree.start_relay(relay_a, {"--max-children", std::to_string(children)});
  if (!wait_depth(victim, "2")) {
    std::fprintf(stderr, "treecast-bench: victim did not attach\n");
    out.unrepaired = children;
    return out;
  }
  std::vector<peer_process> kids;
  for (int i = 0; i < children; ++i) {
    kids.push_back(tree.start_relay(victim.port, {"--max-children", "2"}));
  }
  for (auto& k : kids) {
    // Attached and already receiving chunks.
    k.process->wait_for_line(
        [](const std::string& l) {
          return is_status(l) && status_fields(l)["depth"] == "3" &&
                 status_fields(l)["chunks"] != "0";
        },
        20s);
  }
  std::vector<std::size_t> marks;
  for (auto& k : kids) {
    marks.push_back(k.process->lines().size());
  }
  const std::uint64_t killed_at = runtime::wall_time_ms();
  victim.process->send_signal(signal);
  for (std::size_t i = 0; i < kids.size(); ++i) {
    const auto repaired = kids[i].process->wait_for_line(
        [](const std::string& l) { return l.rfind("repair ", 0) == 0; }, 20s, marks[i]);
    if (!repaired) {
      ++out.unrepaired;
      continue;
    }
    out.repair_ms.push_back(
        static_cast<double>(std::stoull(status_fields(*repaired).at("t")) - killed_at));
    // One more status line after the repair, for the missed count.
    const std::size_t after = kids[i].process->lines().size();
    if (const auto line = kids[i].process->wait_for_line(is_status, 5s, after)) {
      out.lost += std::stoull(status_fields(*line)["missed"]);
    }
  }
  for (auto& k : kids) {
    k.process->send_signal(SIGINT);
  }
  for (auto& k : kids) {
    k.process->wait_exit(10s);
  }
  victim.process->send_signal(SIGKILL);
  victim.process->wait_exit(10s);
  return out;
}

}  // namespace

int run_repair_bench(const repair_options& options) {
  testing::local_tree tree("bench-repair");
  auto broadcaster = tree.start_broadcaster(
      {"--resolution", "320x180", "--fps", "15", "--bitrate", "300", "--max-children", "1"});
  auto relay_a = tree.start_relay(broadcaster.port, {"--max-children", "16"});
  if (!wait_depth(relay_a, "1")) {
    std::fprintf(stderr, "treecast-bench: relay A did not attach\n");
    return 1;
  }
  std::map<std::string, round_result> totals;
  const std::vector<std::pair<std::string, int>> kinds = {{"crash", SIGKILL}, {"freeze", SIGSTOP}};
  for (const auto& [name, signal] : kinds) {
    round_result& total = totals[name];
    for (int r = 0; r < options.rounds; ++r) {
      const round_result one = run_round(tree, relay_a.port, options.children, signal);
      total.repair_ms.insert(total.repair_ms.end(), one.repair_ms.begin(), one.repair_ms.end());
      total.lost += one.lost;
      total.unrepaired += one.unrepaired;
    }
  }
  std::printf("%-8s %8s %10s %10s %10s %12s %11s\n", "failure", "repairs", "p50_ms", "p99_ms",
              "max_ms", "chunks_lost", "unrepaired");
  for (const auto& [name, signal] : kinds) {
    const round_result& t = totals[name];
    std::printf("%-8s %8zu %10.0f %10.0f %10.0f %12llu %11d\n", name.c_str(), t.repair_ms.size(),
                quantile(t.repair_ms, 0.5), quantile(t.repair_ms, 0.99), quantile(t.repair_ms, 1.0),
                static_cast<unsigned long long>(t.lost), t.unrepaired);
  }
  if (options.json) {
    std::printf("{");
    const char* sep = "";
    for (const auto& [name, signal] : kinds) {
      const round_result& t = totals[name];
      std::printf(
          "%s\"%s\": {\"repairs\": %zu, \"repair_ms_p50\": %.1f, \"repair_ms_p99\": %.1f, "
          "\"repair_ms_max\": %.1f, \"chunks_lost\": %llu, \"unrepaired\": %d}",
          sep, name.c_str(), t.repair_ms.size(), quantile(t.repair_ms, 0.5),
          quantile(t.repair_ms, 0.99), quantile(t.repair_ms, 1.0),
          static_cast<unsigned long long>(t.lost), t.unrepaired);
      sep = ", ";
    }
    std::printf("}\n");
  }
  relay_a.process->send_signal(SIGINT);
  relay_a.process->wait_exit(10s);
  broadcaster.process->send_signal(SIGINT);
  broadcaster.process->wait_exit(10s);
  return 0;
}

}  // namespace treecast::bench
