#include "runtime/peer_options.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <iostream>
#include <stdexcept>

#include "runtime/address.hpp"
#include "runtime/console_log.hpp"
#include "runtime/ed25519.hpp"
#include "runtime/invite_token.hpp"
#include "runtime/own_site.hpp"
#include "runtime/status_line.hpp"

namespace treecast::runtime {

namespace po = boost::program_options;

void add_peer_options(po::options_description& description, peer_options& values,
                      const peer_options& defaults) {
  values = defaults;
  // clang-format off
  description.add_options()
    ("listen", po::value(&values.listen)->default_value(defaults.listen),
     "HOST:PORT to accept children on (port 0 = any free port)")
    ("max-children", po::value(&values.max_children)->default_value(defaults.max_children),
     "children accepted at most")
    ("site", po::value(&values.site)->default_value(defaults.site),
     "site label (office, data centre) reported to other peers; default: inferred from this "
     "peer's address (its /24, or IPv6 /56); 'none' for no site")
    ("improve-interval",
     po::value(&values.improve_interval_s)->default_value(defaults.improve_interval_s),
     "seconds between rounds looking for a nearer or shallower parent (0 = off)")
    ("rise-interval", po::value(&values.rise_interval_s)->default_value(defaults.rise_interval_s),
     "seconds after attaching that a strong peer asks its ancestors above its parent to take it, "
     "in a weaker or farther child's place (0 = never)")
    ("site-gather-interval",
     po::value(&values.site_gather_interval_s)->default_value(defaults.site_gather_interval_s),
     "seconds between rounds of a peer fed from another site, looking for a parent of its own "
     "site so the stream crosses each site's WAN once (0 = off)")
    ("window", po::value(&values.window_s)->default_value(defaults.window_s),
     "seconds of stream kept for late joiners and repairs")
    ("max-frame-bytes", po::value(&values.max_frame_bytes)->default_value(defaults.max_frame_bytes),
     "largest frame accepted from a peer; larger ones drop the peer")
    ("max-pending-bytes",
     po::value(&values.max_pending_bytes)->default_value(defaults.max_pending_bytes),
     "bytes queued to one peer before it counts as not reading and is dropped")
    ("max-joins-per-second",
     po::value(&values.max_joins_per_second)->default_value(defaults.max_joins_per_second),
     "candidate queries served per second (bursts of twice that); 100 per address")
    ("max-links", po::value(&values.max_links)->default_value(defaults.max_links),
     "inbound links held at most besides children (probes, queries, joiners); more are told "
     "to come back")
    ("max-children-per-address",
     po::value(&values.max_children_per_address)->default_value(defaults.max_children_per_address),
     "children from any one address at most (0 = no bound; offices behind one NAT share one)")
    ("log-level", po::value(&values.log_level)->default_value(defaults.log_level),
     "debug, info, warn or error")
    ("status", po::value(&values.status)->default_value(defaults.status),
     "stdout's status: auto (one line in words, rewritten in place, on a terminal; else "
     "key=value lines) | kv | line")
    ("metrics-port", po::value(&values.metrics_port)->default_value(defaults.metrics_port),
     "serve Prometheus /metrics and JSON /status on this port (0 = any free port, -1 = off)")
    ("metrics-host", po::value(&values.metrics_host)->default_value(defaults.metrics_host),
     "address the metrics port listens on");
  // clang-format on
}

void apply_peer_options(const peer_options& values, core::node_config& node,
                        runtime_config& runtime) {
  parse_status_style(values.status);  // a bad --status is a usage error
  std::string why;
  const auto listen = parse_listen_address(values.listen, &why);
  if (!listen) {
    throw std::invalid_argument("--listen wants HOST:PORT, got '" + values.listen + "': " + why);
  }
  runtime.listen_host = listen->host;
  runtime.listen_port = listen->port;
  node.max_children = values.max_children;
  apply_site(values, node, "");
  const auto seconds = [](double s, const char* flag) {
    if (!(s >= 0 && s <= 3600)) {
      throw std::invalid_argument(std::string(flag) + " must be between 0 and 3600 seconds");
    }
    return std::chrono::duration_cast<core::duration>(std::chrono::duration<double>(s));
  };
  node.improve_interval = seconds(values.improve_interval_s, "--improve-interval");
  node.site_gather_interval = seconds(values.site_gather_interval_s, "--site-gather-interval");
  node.rise_interval = seconds(values.rise_interval_s, "--rise-interval");
  if (!(values.window_s >= 1.0 && values.window_s <= 600.0)) {
    throw std::invalid_argument("--window must be between 1 and 600 seconds");
  }
  node.window_span =
      std::chrono::duration_cast<core::duration>(std::chrono::duration<double>(values.window_s));
  if (values.max_frame_bytes < 64 * 1024 || values.max_frame_bytes > 64 * 1024 * 1024) {
    throw std::invalid_argument("--max-frame-bytes must be between 64 KiB and 64 MiB");
  }
  runtime.max_frame_bytes = values.max_frame_bytes;
  if (values.max_pending_bytes < 256 * 1024 || values.max_pending_bytes > 1024 * 1024 * 1024) {
    throw std::invalid_argument("--max-pending-bytes must be between 256 KiB and 1 GiB");
  }
  node.max_pending_bytes = values.max_pending_bytes;
  if (!(values.max_joins_per_second >= 1 && values.max_joins_per_second <= 1e6)) {
    throw std::invalid_argument("--max-joins-per-second must be between 1 and 1000000");
  }
  node.max_joins_per_second = values.max_joins_per_second;
  if (values.max_links < 8 || values.max_links > 100000) {
    throw std::invalid_argument("--max-links must be between 8 and 100000");
  }
  node.max_links = values.max_links;
  node.max_unadmitted_links = std::min(node.max_unadmitted_links, values.max_links);
  node.max_children_per_address = values.max_children_per_address;
  if (values.metrics_port < -1 || values.metrics_port > 65535) {
    throw std::invalid_argument("--metrics-port must be -1 (off) or a port number");
  }
}

void apply_site(const peer_options& values, core::node_config& node,
                const std::string& own_address) {
  node.site = own_site(values.site, own_address);
}

void add_link_option(po::options_description& description,
                     po::positional_options_description& positional, std::string& link) {
  description.add_options()("link", po::value(&link),
                            "invite link or HOST:PORT of the parent (also positional)");
  positional.add("link", 1);
}

wire::endpoint require_link(const std::string& link) {
  std::string why;
  const auto parent = parse_address(link, &why);
  if (!parent) {
    throw std::invalid_argument(link.empty() ? "a LINK is required (see --help)"
                                             : "cannot read link '" + link + "': " + why);
  }
  return *parent;
}

bool parse_command_line(int argc, char** argv, const po::options_description& description,
                        const po::positional_options_description& positional,
                        const std::string& usage) {
  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(description).positional(positional).run(),
            vm);
  // Environment: TREECAST_MAX_CHILDREN -> max-children. Flags win.
  po::store(po::parse_environment(description,
                                  [&description](const std::string& variable) -> std::string {
                                    static const std::string prefix = "TREECAST_";
                                    if (variable.rfind(prefix, 0) != 0) {
                                      return {};
                                    }
                                    std::string name = variable.substr(prefix.size());
                                    std::transform(name.begin(), name.end(), name.begin(),
                                                   [](unsigned char c) {
                                                     return c == '_' ? '-' : std::tolower(c);
                                                   });
                                    return description.find_nothrow(name, false) ? name : "";
                                  }),
            vm);
  if (vm.count("help")) {
    std::cout << usage << "\n\n"
              << description
              << "\nEvery option can also be set from the environment as TREECAST_<OPTION>,\n"
                 "e.g. TREECAST_MAX_CHILDREN=4 for --max-children 4; flags win.\n"
                 "Exit codes: 0 stopped normally, 1 runtime failure, 2 bad flags or arguments.\n";
    return false;
  }
  po::notify(vm);
  return true;
}

}  // namespace treecast::runtime

namespace treecast::runtime {

std::optional<joining_peer_config> parse_joining_peer(int argc, char** argv,
                                                      po::options_description& description,
                                                      const peer_options& defaults,
                                                      wire::peer_role role,
                                                      const std::string& usage) {
  std::string link;
  peer_options options;
  po::positional_options_description positional;
  add_link_option(description, positional, link);
  add_peer_options(description, options, defaults);
  if (!parse_command_line(argc, argv, description, positional, usage)) {
    return std::nullopt;
  }
  return make_joining_peer(link, options, role);
}

joining_peer_config make_joining_peer(const std::string& link, const peer_options& options,
                                      wire::peer_role role) {
  joining_peer_config config;
  config.link = link;
  config.node.role = role;
  config.node.rendezvous = require_link(link);
  // Self-certifying stream: the link names the broadcaster's public key, and
  // every chunk must carry its signature.
  const auto stream = link_parameter(link, "stream");
  if (!stream) {
    throw std::invalid_argument(
        "the link has no stream id: use the whole link the broadcaster printed "
        "(treecast://HOST:PORT/?stream=...)");
  }
  std::string stream_id;
  try {
    stream_id = from_hex(*stream);
    config.node.verifier = std::make_shared<ed25519_verifier>(stream_id);
  } catch (const std::invalid_argument&) {
    throw std::invalid_argument("the link's stream id is not a 64-digit hex public key");
  }
  config.node.stream_id = stream_id;
  // Admission: we present our invite token, and check everyone else's.
  const auto token = link_parameter(link, "token");
  if (!token) {
    throw std::invalid_argument(
        "the link has no invite token: use the whole link the broadcaster printed");
  }
  try {
    config.node.token = from_hex(*token);
  } catch (const std::invalid_argument&) {
    throw std::invalid_argument("the link's invite token is not hex");
  }
  config.node.admission = std::make_shared<token_admission>(stream_id);
  apply_peer_options(options, config.node, config.runtime);
  apply_site(options, config.node,
             local_address_toward(config.node.rendezvous->host, config.node.rendezvous->port));
  config.level = parse_log_level(options.log_level);
  config.options = options;
  return config;
}

}  // namespace treecast::runtime
