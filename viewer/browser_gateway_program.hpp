// The browser gateway as a feature of treecast-viewer and treecast-relay:
// its flags (--serve-browsers, --max-browsers), starting it, and its
// figures in /metrics and the status line.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/program_options/options_description.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "browser_gateway.hpp"
#include "runtime/peer_metrics.hpp"
#include "runtime/status_line.hpp"

namespace treecast::viewer {

struct browser_gateway_options {
  std::string serve;  // "HOST:PORT", "" = no gateway
  std::size_t max_browsers = browser_gateway_settings{}.max_browsers;
};

void add_browser_gateway_options(boost::program_options::options_description& description,
                                 browser_gateway_options& values);

// The gateway the options ask for (nullopt: none), serving the stream of
// viewer link `link`. Throws std::invalid_argument on a bad address, a
// --max-browsers of 0 or a link without a content key (a relay link).
std::optional<browser_gateway_settings> browser_gateway_settings_of(
    const browser_gateway_options& values, const std::string& link);

// Starts the gateway, prints where browsers watch (a note), and logs its
// browsers' comings and goings to stderr as "PROGRAM: ...". Throws like
// browser_gateway's constructor and start().
std::unique_ptr<browser_gateway> start_browser_gateway(boost::asio::io_context& io,
                                                       const browser_gateway_settings& settings,
                                                       runtime::status_printer& out,
                                                       const std::string& program);

// The gateway's figures for /metrics (none without a gateway).
std::vector<runtime::program_metric> browser_gateway_metrics(const browser_gateway* gateway);

// Browsers watching through the gateway, in the status line (nothing
// without a gateway).
void report_browsers(const browser_gateway* gateway, runtime::status_report& report);

}  // namespace treecast::viewer
