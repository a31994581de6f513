#include "browser_gateway_program.hpp"

#include <boost/program_options.hpp>
#include <cstdio>
#include <stdexcept>

#include "runtime/address.hpp"
#include "runtime/own_site.hpp"
#include "runtime/peer_options.hpp"
#include "stream_receiver.hpp"

namespace treecast::viewer {

namespace po = boost::program_options;

void add_browser_gateway_options(po::options_description& description,
                                 browser_gateway_options& values) {
  // clang-format off
  description.add_options()
    ("serve-browsers", po::value(&values.serve)->default_value(values.serve),
     "also serve the stream to browsers on this network at HOST:PORT (a page and WebRTC; "
     "needs the viewer link)")
    ("max-browsers", po::value(&values.max_browsers)->default_value(values.max_browsers),
     "browsers served at once by --serve-browsers");
  // clang-format on
}

std::optional<browser_gateway_settings> browser_gateway_settings_of(
    const browser_gateway_options& values, const std::string& link) {
  if (values.serve.empty()) {
    return std::nullopt;
  }
  std::string why;
  const auto at = runtime::parse_listen_address(values.serve, &why);
  if (!at) {
    throw std::invalid_argument("--serve-browsers wants HOST:PORT: " + why);
  }
  if (values.max_browsers == 0) {
    throw std::invalid_argument("--max-browsers must be at least 1");
  }
  browser_gateway_settings settings;
  settings.host = at->host;
  settings.port = at->port;
  if (runtime::is_wildcard_host(at->host)) {
    // Served everywhere: the page is named by the address this machine
    // reaches the tree from, the one its office's browsers most likely see.
    const auto rendezvous = runtime::require_link(link);
    settings.page_host = runtime::local_address_toward(rendezvous.host, rendezvous.port);
  }
  settings.max_browsers = values.max_browsers;
  settings.content_key = content_key_of(link);
  settings.title = runtime::link_title(link, "treecast");
  return settings;
}

std::unique_ptr<browser_gateway> start_browser_gateway(boost::asio::io_context& io,
                                                       const browser_gateway_settings& settings,
                                                       runtime::status_printer& out,
                                                       const std::string& program) {
  auto gateway =
      std::make_unique<browser_gateway>(io, settings, [program](const std::string& line) {
        std::fprintf(stderr, "%s: %s\n", program.c_str(), line.c_str());
      });
  gateway->start();
  out.note("browsers watch at " + gateway->page_address());
  return gateway;
}

std::vector<runtime::program_metric> browser_gateway_metrics(const browser_gateway* gateway) {
  if (!gateway) {
    return {};
  }
  return {{"browsers", static_cast<double>(gateway->browsers()), "browsers watching now"},
          {"browsers_served", static_cast<double>(gateway->browsers_served()),
           "browsers given the stream, in all"},
          {"browsers_dropped", static_cast<double>(gateway->browsers_dropped()),
           "browsers dropped for a bad or slow signalling peer"},
          {"browser_latency_ms", static_cast<double>(gateway->browser_latency_ms()),
           "glass-to-glass in the browsers (median of their reports), -1 unknown"}};
}

void report_browsers(const browser_gateway* gateway, runtime::status_report& report) {
  if (!gateway) {
    return;
  }
  report.field("browsers", static_cast<long long>(gateway->browsers()));
  report.field("browser_latency_ms", gateway->browser_latency_ms());
  report.say(runtime::counted(gateway->browsers(), "browser", "browsers"));
}

}  // namespace treecast::viewer
