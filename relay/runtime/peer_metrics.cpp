#include "runtime/peer_metrics.hpp"

#include <cstdio>

#include "runtime/address.hpp"
#include "runtime/ed25519.hpp"
#include "runtime/node_runtime.hpp"
#include "runtime/peer_options.hpp"
#include "wire/messages.hpp"

namespace treecast::runtime {
namespace {

void gauge(std::string& out, const std::string& name, double value, const std::string& help,
           const char* type = "gauge") {
  char number[64];
  std::snprintf(number, sizeof number, "%.17g", value);
  out += "# HELP treecast_" + name + " " + help + "\n";
  out += "# TYPE treecast_" + name + " " + type + "\n";
  out += "treecast_" + name + " " + number + "\n";
}

// A Prometheus histogram: cumulative counts per upper bound, then +Inf.
void histogram(std::string& out, const std::string& name, const std::string& help,
               const std::vector<std::uint32_t>& bounds,
               const std::vector<std::uint64_t>& cumulative, double sum) {
  char number[64];
  std::snprintf(number, sizeof number, "%.17g", sum);
  out += "# HELP treecast_" + name + " " + help + "\n";
  out += "# TYPE treecast_" + name + " histogram\n";
  for (std::size_t i = 0; i < bounds.size() && i < cumulative.size(); ++i) {
    out += "treecast_" + name + "_bucket{le=\"" + std::to_string(bounds[i]) + "\"} " +
           std::to_string(cumulative[i]) + "\n";
  }
  const std::string count = cumulative.empty() ? "0" : std::to_string(cumulative.back());
  out += "treecast_" + name + "_bucket{le=\"+Inf\"} " + count + "\n";
  out += "treecast_" + name + "_sum " + number + "\n";
  out += "treecast_" + name + "_count " + count + "\n";
}

}  // namespace

std::string prometheus_text(const node_runtime& peer, const std::vector<program_metric>& extra,
                            const std::vector<program_histogram>& histograms) {
  const core::node& node = peer.engine();
  std::string out;
  for (std::size_t i = 0; i < core::counter_count; ++i) {
    gauge(out, std::string(core::counter_names[i]) + "_total",
          static_cast<double>(node.stats().get(static_cast<core::counter>(i))),
          std::string("engine counter ") + core::counter_names[i], "counter");
  }
  gauge(out, "attached", node.attached() ? 1 : 0, "1 when chunks flow to this peer");
  gauge(out, "depth", node.attached() ? node.depth() : -1, "hops from the broadcaster");
  gauge(out, "children", static_cast<double>(node.child_count()), "children attached");
  gauge(out, "max_children", static_cast<double>(node.config().max_children), "child slots");
  const auto reachable = node.reachable();
  gauge(out, "reachable",
        !reachable   ? -1
        : *reachable ? 1
                     : 0,
        "1 when the parent could connect back to this peer, 0 when not (a leaf), -1 not checked");
  gauge(out, "subtree_peers", node.subtree_size(), "peers in this subtree, itself included");
  gauge(out, "subtree_depth", node.subtree_depth(), "deepest depth below this peer");
  gauge(out, "window_chunks", static_cast<double>(node.window().size()), "chunks held");

  const arrival_latency& latency = peer.latency();
  std::vector<std::uint64_t> chunk_counts(latency.buckets().begin(), latency.buckets().end());
  chunk_counts.push_back(latency.count());
  histogram(out, "chunk_latency_ms", "capture at the broadcaster -> arrival here",
            {arrival_latency::bucket_bounds_ms.begin(), arrival_latency::bucket_bounds_ms.end()},
            chunk_counts, static_cast<double>(latency.sum_ms()));
  for (const auto& m : extra) {
    gauge(out, m.name, m.value, m.help);
  }
  for (const auto& h : histograms) {
    histogram(out, h.name, h.help, h.bounds, h.cumulative, h.sum);
  }
  return out;
}

nlohmann::json status_json(const node_runtime& peer, const std::vector<program_metric>& extra,
                           const std::vector<program_histogram>& histograms) {
  const core::node& node = peer.engine();
  nlohmann::json status;
  status["id"] = node_id_hex(node.id());
  status["role"] = wire::role_name(node.config().role);
  status["site"] = node.config().site;
  status["listen_port"] = peer.listen_port();
  status["attached"] = node.attached();
  const auto parent = node.parent_endpoint();
  status["parent"] = parent && node.attached() ? format_address(*parent) : "";
  status["depth"] = node.attached() ? static_cast<int>(node.depth()) : -1;
  status["children"] = node.child_count();
  status["max_children"] = node.config().max_children;
  const auto reachable = node.reachable();
  status["reachable"] = reachable ? nlohmann::json(*reachable) : nlohmann::json(nullptr);
  status["subtree_peers"] = node.subtree_size();
  status["subtree_depth"] = node.subtree_depth();
  status["latency_ms"] = peer.latency().last_median_ms();
  nlohmann::json counters;
  for (std::size_t i = 0; i < core::counter_count; ++i) {
    counters[core::counter_names[i]] = node.stats().get(static_cast<core::counter>(i));
  }
  status["counters"] = std::move(counters);
  for (const auto& m : extra) {
    status[m.name] = m.value;
  }
  for (const auto& h : histograms) {
    status[h.name] = {{"bounds", h.bounds}, {"cumulative", h.cumulative}, {"sum", h.sum}};
  }
  return status;
}

void serve_peer_metrics(http_server& server, const node_runtime& peer, program_metrics extra,
                        program_histograms histograms) {
  const auto gauges = [extra] { return extra ? extra() : std::vector<program_metric>{}; };
  const auto spreads = [histograms] {
    return histograms ? histograms() : std::vector<program_histogram>{};
  };
  server.route("/metrics", [&peer, gauges, spreads](const std::string&) {
    return http_response{200, "text/plain; version=0.0.4; charset=utf-8",
                         prometheus_text(peer, gauges(), spreads())};
  });
  server.route("/status", [&peer, gauges, spreads](const std::string&) {
    return http_response{200, "application/json",
                         status_json(peer, gauges(), spreads()).dump(2) + "\n"};
  });
}

std::unique_ptr<http_server> start_metrics_server(boost::asio::io_context& io,
                                                  const peer_options& options,
                                                  const node_runtime& peer, program_metrics extra,
                                                  program_histograms histograms) {
  if (options.metrics_port < 0) {
    return nullptr;
  }
  auto server = std::make_unique<http_server>(io, options.metrics_host,
                                              static_cast<std::uint16_t>(options.metrics_port));
  serve_peer_metrics(*server, peer, std::move(extra), std::move(histograms));
  server->start();
  std::printf("metrics on %s\n", format_address({options.metrics_host, server->port()}).c_str());
  return server;
}

}  // namespace treecast::runtime
