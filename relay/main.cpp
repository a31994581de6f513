// treecast-relay: a headless peer that attaches to the tree and forwards the
// stream to its children.
#include <boost/asio/io_context.hpp>
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>

#include "runtime/console_log.hpp"
#include "runtime/node_runtime.hpp"
#include "runtime/peer_metrics.hpp"
#include "runtime/peer_options.hpp"
#include "runtime/periodic_timer.hpp"
#include "runtime/program_loop.hpp"
#include "runtime/status_line.hpp"

namespace po = boost::program_options;
using namespace treecast;

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  runtime::peer_options defaults;
  defaults.max_children = 16;
  po::options_description description("treecast-relay options");
  description.add_options()("help,h", "show this help");
  runtime::joining_peer_config config;
  try {
    auto parsed =
        runtime::parse_joining_peer(argc, argv, description, defaults, wire::peer_role::relay,
                                    "usage: treecast-relay LINK [options]");
    if (!parsed) {
      return runtime::exit_ok;
    }
    config = std::move(*parsed);
  } catch (const std::exception& e) {
    std::cerr << "treecast-relay: " << e.what() << "\n";
    return runtime::exit_usage;
  }
  const core::node_config& node_config = config.node;
  const runtime::runtime_config& runtime_config = config.runtime;
  const core::log_level level = config.level;

  boost::asio::io_context io;
  runtime::node_runtime relay(io, node_config, runtime_config,
                              runtime::console_log("relay", level));
  std::unique_ptr<runtime::http_server> metrics;
  try {
    relay.start();
    metrics = runtime::start_metrics_server(io, config.options, relay, nullptr);
  } catch (const std::exception& e) {
    std::cerr << "treecast-relay: cannot start: " << e.what() << "\n";
    return runtime::exit_failure;
  }
  runtime::status_printer out(runtime::parse_status_style(config.options.status));
  out.note(runtime::listening_line(runtime_config.listen_host, relay));

  runtime::periodic_timer status(io, std::chrono::seconds(1), [&] {
    const long long latency_ms = relay.latency().take_median_ms();
    relay.set_local_health({.latency_ms = static_cast<std::int32_t>(latency_ms)});
    runtime::status_report report = runtime::tree_status(relay);
    report.field("latency_ms", latency_ms);
    if (latency_ms >= 0) {
      report.say("latency " + std::to_string(latency_ms) + " ms");
    }
    out.report(report);
  });
  status.start();
  runtime::shutdown_signals shutdown(io, [&] {
    status.cancel();
    if (metrics) {
      metrics->stop();
    }
    relay.stop();
  });
  int exit_code = runtime::exit_ok;
  relay.set_give_up_handler([&](const std::string& reason) {
    std::fprintf(stderr, "treecast-relay: %s\n", reason.c_str());
    exit_code = runtime::exit_failure;
    shutdown.request_stop();
  });
  runtime::print_repairs(relay, out);
  io.run();
  return exit_code;
}
