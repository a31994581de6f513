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

using program_metrics = std::function<std::vector<program_metric>()>;

std::string prometheus_text(const node_runtime& peer, const std::vector<program_metric>& extra);
nlohmann::json status_json(const node_runtime& peer, const std::vector<program_metric>& extra);

// Routes /metrics and /status of `server` to the two above.
void serve_peer_metrics(http_server& server, const node_runtime& peer, program_metrics extra);

struct peer_options;

// The metrics server the options ask for (nullptr with --metrics-port -1),
// started, its address printed as "metrics on HOST:PORT". Throws
// std::system_error when the port cannot be bound.
std::unique_ptr<http_server> start_metrics_server(boost::asio::io_context& io,
                                                  const peer_options& options,
                                                  const node_runtime& peer, program_metrics extra);

}  // namespace treecast::runtime
