// What a peer tells scripts about itself: Prometheus text at /metrics and a
// JSON document at /status, both built from the engine's counters and state
// plus the program's own figures (decoded frames, upload rate, ...).
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime/http_server.hpp"

namespace treecast::runtime {

class node_runtime;

// A program's own gauge, e.g. {"video_frames", 1234, "frames decoded"}.
struct program_metric {
  std::string name;  // snake_case, exported as treecast_<name>
  double value = 0;
  std::string help;
};

// A program's own histogram, e.g. every frame's glass-to-glass.
struct program_histogram {
  std::string name;  // snake_case, exported as treecast_<name>
  std::string help;
  std::vector<std::uint32_t> bounds;      // upper bounds (`le`), ascending
  std::vector<std::uint64_t> cumulative;  // per bound, then +Inf (= count)
  double sum = 0;
};

using program_metrics = std::function<std::vector<program_metric>()>;
using program_histograms = std::function<std::vector<program_histogram>()>;

std::string prometheus_text(const node_runtime& peer, const std::vector<program_metric>& extra,
                            const std::vector<program_histogram>& histograms = {});
nlohmann::json status_json(const node_runtime& peer, const std::vector<program_metric>& extra,
                           const std::vector<program_histogram>& histograms = {});

// Routes /metrics and /status of `server` to the two above.
void serve_peer_metrics(http_server& server, const node_runtime& peer, program_metrics extra,
                        program_histograms histograms = nullptr);

struct peer_options;

// The metrics server the options ask for (nullptr with --metrics-port -1),
// started, its address printed as "metrics on HOST:PORT". Throws
// std::system_error when the port cannot be bound.
std::unique_ptr<http_server> start_metrics_server(boost::asio::io_context& io,
                                                  const peer_options& options,
                                                  const node_runtime& peer, program_metrics extra,
                                                  program_histograms histograms = nullptr);

}  // namespace treecast::runtime
