// treecast-relay: a headless peer that attaches to the tree and forwards the
// stream to its children. Given the viewer link and --serve-browsers, it also
// opens the stream and serves it to browsers on its network (an office
// gateway).
#include <boost/asio/io_context.hpp>
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>

#include "browser_gateway_program.hpp"
#include "runtime/address.hpp"
#include "runtime/console_log.hpp"
#include "runtime/heap_tuning.hpp"
#include "runtime/node_runtime.hpp"
#include "runtime/peer_metrics.hpp"
#include "runtime/peer_options.hpp"
#include "runtime/periodic_timer.hpp"
#include "runtime/program_loop.hpp"
#include "runtime/status_line.hpp"
#include "stream_receiver.hpp"

namespace po = boost::program_options;
using namespace treecast;

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  runtime::keep_freed_heap();
  runtime::peer_options defaults;
  defaults.max_children = 16;
  po::options_description description("treecast-relay options");
  description.add_options()("help,h", "show this help");
  viewer::browser_gateway_options gateway_options;
  viewer::add_browser_gateway_options(description, gateway_options);
  runtime::joining_peer_config config;
  std::optional<viewer::browser_gateway_settings> gateway_settings;
  try {
    auto parsed =
        runtime::parse_joining_peer(argc, argv, description, defaults, wire::peer_role::relay,
                                    "usage: treecast-relay LINK [options]");
    if (!parsed) {
      return runtime::exit_ok;
    }
    config = std::move(*parsed);
    gateway_settings = viewer::browser_gateway_settings_of(gateway_options, config.link);
    if (!gateway_settings && runtime::link_parameter(config.link, "key")) {
      // Its invite admits viewers only: the rendezvous would refuse it.
      throw std::invalid_argument(
          "this is the viewer link: a relay forwards with the relay link (relay-link:), or "
          "serves browsers with this one and --serve-browsers HOST:PORT");
    }
    if (gateway_settings) {
      // The viewer link's invite admits viewers only; a gateway watches on
      // behalf of its browsers, so it joins as one (with a relay's slots).
      config.node.role = wire::peer_role::viewer;
    }
  } catch (const std::exception& e) {
    std::cerr << "treecast-relay: " << e.what() << "\n";
    return runtime::exit_usage;
  }
  const core::node_config& node_config = config.node;
  const runtime::runtime_config& runtime_config = config.runtime;
  const core::log_level level = config.level;

  boost::asio::io_context io;
  runtime::status_printer out(runtime::parse_status_style(config.options.status));
  int exit_code = runtime::exit_ok;
  std::unique_ptr<runtime::shutdown_signals> shutdown;
  const auto give_up = [&](const std::string& reason) {
    std::fprintf(stderr, "treecast-relay: %s\n", reason.c_str());
    exit_code = runtime::exit_failure;
    shutdown->request_stop();
  };
  // A gateway opens the stream (stream_receiver, with the link's key); a
  // plain relay forwards chunks it cannot open.
  std::unique_ptr<viewer::browser_gateway> gateway;
  std::unique_ptr<viewer::stream_receiver> receiver;
  std::unique_ptr<runtime::node_runtime> forwarder;
  if (gateway_settings) {
    receiver = std::make_unique<viewer::stream_receiver>(
        io, config, runtime::console_log("relay", level),
        viewer::stream_receiver::handlers{
            .play = [&](std::shared_ptr<const std::string> ts,
                        std::uint64_t capture_time_us) { gateway->push(ts, capture_time_us); },
            .fail = give_up,
            .notice =
                [](const std::string& what) {
                  std::fprintf(stderr, "treecast-relay: %s\n", what.c_str());
                },
            .rendition = {},
            .expect_lateness = {}});
  } else {
    forwarder = std::make_unique<runtime::node_runtime>(io, node_config, runtime_config,
                                                        runtime::console_log("relay", level));
    forwarder->set_give_up_handler(give_up);
  }
  runtime::node_runtime& relay = receiver ? receiver->peer() : *forwarder;
  std::unique_ptr<runtime::http_server> metrics;
  try {
    if (gateway_settings) {
      gateway = viewer::start_browser_gateway(io, *gateway_settings, out, "treecast-relay");
    }
    relay.start();
    metrics = runtime::start_metrics_server(
        io, config.options, relay, [&] { return viewer::browser_gateway_metrics(gateway.get()); });
  } catch (const std::exception& e) {
    std::cerr << "treecast-relay: cannot start: " << e.what() << "\n";
    return runtime::exit_failure;
  }
  out.note(runtime::listening_line(runtime_config.listen_host, relay));

  runtime::periodic_timer status(io, std::chrono::seconds(1), [&] {
    const long long latency_ms = relay.latency().take_median_ms();
    relay.set_local_health(
        {.latency_ms = static_cast<std::int32_t>(latency_ms),
         .browsers = static_cast<std::uint32_t>(gateway ? gateway->browsers() : 0),
         .playing = std::nullopt});  // its gateway's browsers play; the relay plays nothing
    runtime::status_report report = runtime::tree_status(relay);
    report.field("latency_ms", latency_ms);
    if (latency_ms >= 0) {
      report.say("latency " + std::to_string(latency_ms) + " ms");
    }
    viewer::report_browsers(gateway.get(), report);
    out.report(report);
  });
  status.start();
  shutdown = std::make_unique<runtime::shutdown_signals>(io, [&] {
    status.cancel();
    if (metrics) {
      metrics->stop();
    }
    if (gateway) {
      gateway->stop();
    }
    relay.stop();
  });
  runtime::print_repairs(relay, out);
  io.run();
  return exit_code;
}
