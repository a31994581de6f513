// Command-line options every peer program shares (listen address, capacity,
// site, window, frame bound, log level), and how they map to the engine's
// and the runtime's configuration. Each option can also be set from the
// environment as TREECAST_<NAME> (e.g. TREECAST_MAX_CHILDREN=4).
#pragma once

#include <boost/program_options.hpp>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "core/log.hpp"
#include "core/node_config.hpp"
#include "runtime/runtime_config.hpp"

namespace treecast::runtime {

struct peer_options {
  std::string listen = "0.0.0.0:0";
  std::size_t max_children = 8;
  std::string site;  // "" = inferred from the peer's address; "none" = no site
  // The tree's self-improvement (node_config's improve_interval and
  // site_gather_interval), seconds; 0 = off.
  double improve_interval_s =
      std::chrono::duration<double>(core::node_config{}.improve_interval).count();
  double site_gather_interval_s =
      std::chrono::duration<double>(core::node_config{}.site_gather_interval).count();
  double rise_interval_s = std::chrono::duration<double>(core::node_config{}.rise_interval).count();
  double window_s = 10.0;
  std::size_t max_frame_bytes = wire::default_max_frame_bytes;
  std::size_t max_pending_bytes = core::node_config{}.max_pending_bytes;
  double max_joins_per_second = core::node_config{}.max_joins_per_second;
  std::size_t max_links = core::node_config{}.max_links;
  std::size_t max_children_per_address = core::node_config{}.max_children_per_address;
  std::string log_level = "info";
  // stdout's status line: auto | kv | line (runtime/status_line.hpp).
  std::string status = "auto";
  // /metrics and /status (Prometheus text, JSON); -1 = not served.
  int metrics_port = -1;
  std::string metrics_host = "127.0.0.1";
};

// Adds the shared options to `description`, defaulting to `defaults`.
void add_peer_options(boost::program_options::options_description& description,
                      peer_options& values, const peer_options& defaults);

// Copies the options into the configs; throws std::invalid_argument on a bad value.
void apply_peer_options(const peer_options& values, core::node_config& node,
                        runtime_config& runtime);

// Adds the LINK argument (positional, or --link) of a program that joins a tree.
void add_link_option(boost::program_options::options_description& description,
                     boost::program_options::positional_options_description& positional,
                     std::string& link);

// The parent address in `link`; throws std::invalid_argument when it is
// missing or unreadable.
wire::endpoint require_link(const std::string& link);

// Parses argv and the TREECAST_* environment into `description`'s values.
// Prints help and returns false for --help; throws on bad input.
bool parse_command_line(int argc, char** argv,
                        const boost::program_options::options_description& description,
                        const boost::program_options::positional_options_description& positional,
                        const std::string& usage);

// What a peer that joins a tree (relay, viewer) takes from its command line.
struct joining_peer_config {
  std::string link;  // as given
  core::node_config node;
  runtime_config runtime;
  core::log_level level = core::log_level::info;
  peer_options options;  // as parsed, for what the configs above do not carry
};

// Sets node.site from --site, or, when none was given, from the label
// `own_address` tells (runtime/own_site.hpp).
void apply_site(const peer_options& values, core::node_config& node,
                const std::string& own_address);

// Adds LINK and the shared options (with `defaults`) to `description`, which
// may hold the program's own options already, parses argv and the TREECAST_*
// environment, and builds the configs of a peer of `role`. Returns nullopt
// after printing --help. Throws std::exception on bad input.
std::optional<joining_peer_config> parse_joining_peer(
    int argc, char** argv, boost::program_options::options_description& description,
    const peer_options& defaults, wire::peer_role role, const std::string& usage);

// The configs of a peer of `role` that joins the tree `link` invites to,
// with `options`: what parse_joining_peer builds once argv is read (the
// GStreamer elements build it from their properties). Throws
// std::invalid_argument naming the bad link part or option.
joining_peer_config make_joining_peer(const std::string& link, const peer_options& options,
                                      wire::peer_role role);

// Exit codes shared by every program (also listed in --help).
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;  // runtime failure (pipeline, network, peer refused)
inline constexpr int exit_usage = 2;    // bad flags or arguments

}  // namespace treecast::runtime
