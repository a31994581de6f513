// treecast-lab: a broadcaster, K relays and N headless viewers as real
// processes, on loopback or (as root, --netns) in one network namespace per
// site behind an emulated WAN; a churn plan; a report of what the tree did.
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <memory>

#include "churn_plan.hpp"
#include "interrupt_signal.hpp"
#include "lab_run.hpp"
#include "site_network.hpp"
#include "viewer_conditions.hpp"

namespace po = boost::program_options;
using treecast::lab::lab_options;

int main(int argc, char** argv) {
  lab_options o;
  po::options_description description(
      "usage: treecast-lab [options]\n\n"
      "Starts a broadcaster, relays and headless viewers, plays a churn plan, reads every\n"
      "peer's output and the broadcaster's /api/tree, stops everything and reports.\n"
      "Exit codes: 0 reported, 1 could not run or interrupted, 2 bad flags.\n\noptions");
  // clang-format off
  description.add_options()
    ("help,h", "show this help")
    ("relays", po::value(&o.relays)->default_value(o.relays), "relays (each --relay-children slots)")
    ("viewers", po::value(&o.viewers)->default_value(o.viewers), "headless viewers (they decode)")
    ("duration", po::value(&o.duration_s)->default_value(o.duration_s), "seconds, from the start")
    ("kill", po::value(&o.kills)->default_value(o.kills),
     "kill -9 relay1..relayK, spread between 30% and 70% of the run")
    ("plan", po::value(&o.plan)->default_value(o.plan),
     "churn: SECONDS:ACTION:PEER,... with ACTION kill|leave|freeze|thaw|restart (leave: SIGTERM), PEER relayN|viewerN")
    ("sites", po::value(&o.sites)->default_value(o.sites),
     "peers spread round-robin over site1..siteN (0: no sites); the broadcaster is outside them")
    ("netns", po::bool_switch(&o.netns),
     "as root: one network namespace per site, joined by a user-space WAN forwarder")
    ("viewer-netns", po::bool_switch(&o.viewer_netns),
     "with --netns: each viewer in a namespace of its own behind its site")
    ("unreachable", po::value(&o.unreachable)->default_value(o.unreachable),
     "with --viewer-netns: this fraction of each site's viewers drop inbound connections")
    ("viewer-down-kbit", po::value<std::string>()->default_value(""),
     "with --viewer-netns: downlink caps, kbit/s, given round-robin to each site's viewers "
     "(LIST, 0 = none)")
    ("viewer-up-kbit", po::value<std::string>()->default_value(""),
     "with --viewer-netns: uplink caps, as --viewer-down-kbit")
    ("no-site-labels", po::bool_switch(),
     "sites stay as they are, but no peer is told its own (--site): peers infer it")
    ("improve-interval", po::value(&o.improve_interval_s)->default_value(o.improve_interval_s),
     "relays' and viewers' --improve-interval (seconds, 0 = off)")
    ("site-gather-interval",
     po::value(&o.site_gather_interval_s)->default_value(o.site_gather_interval_s),
     "relays' and viewers' --site-gather-interval (seconds, 0 = off)")
    ("rise-interval", po::value(&o.rise_interval_s)->default_value(o.rise_interval_s),
     "relays' and viewers' --rise-interval (seconds, 0 = never)")
    ("wan-delay-ms", po::value(&o.wan_delay_ms)->default_value(o.wan_delay_ms),
     "one-way delay between sites (--netns)")
    ("wan-mbit", po::value(&o.wan_mbit)->default_value(o.wan_mbit),
     "each site's uplink, capped by tbf (--netns)")
    ("root-children", po::value(&o.root_children)->default_value(o.root_children),
     "broadcaster's slots (0: one per relay, at least 2)")
    ("relay-children", po::value(&o.relay_children)->default_value(o.relay_children), "slots per relay")
    ("viewer-children", po::value(&o.viewer_children)->default_value(o.viewer_children),
     "slots per viewer")
    ("resolution", po::value(&o.resolution)->default_value(o.resolution), "test media size")
    ("fps", po::value(&o.fps)->default_value(o.fps), "test media frame rate")
    ("bitrate", po::value(&o.bitrate_kbps)->default_value(o.bitrate_kbps), "video kbit/s")
    ("chunk-ms", po::value(&o.chunk_ms)->default_value(o.chunk_ms),
     "the broadcaster's --chunk-ms (0: its default)")
    ("latency", po::value(&o.latency_ms)->default_value(o.latency_ms),
     "the viewers' --latency, their jitter buffer's floor (0: their default)")
    ("log-dir", po::value(&o.log_dir)->default_value(o.log_dir), "each peer's log goes here")
    ("peer-log-level", po::value(&o.peer_log_level)->default_value(o.peer_log_level),
     "every peer's --log-level: debug, info, warn or error")
    ("json", po::bool_switch(&o.json), "print the report as one JSON object, last line");
  // clang-format on
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, description), vm);
    if (vm.count("help")) {
      std::cout << description << "\n";
      return 0;
    }
    po::notify(vm);
    o.site_labels = !vm["no-site-labels"].as<bool>();
    if (o.relays < 0 || o.viewers < 0 || o.relays + o.viewers == 0 || o.duration_s <= 0 ||
        o.kills < 0 || o.kills > o.relays || o.sites < 0 || o.sites > 200 || o.fps <= 0 ||
        o.bitrate_kbps <= 0 || o.wan_delay_ms < 0 || o.wan_mbit <= 0 || o.chunk_ms < 0 ||
        o.latency_ms < 0 || !(o.improve_interval_s >= 0) || !(o.site_gather_interval_s >= 0) ||
        (o.peer_log_level != "debug" && o.peer_log_level != "info" && o.peer_log_level != "warn" &&
         o.peer_log_level != "error")) {
      throw std::invalid_argument(
          "need relays + viewers > 0, duration > 0, 0 <= kill <= relays, 0 <= sites <= 200, "
          "positive fps, bitrate and wan-mbit, intervals, chunk-ms and latency >= 0, a known "
          "peer log level");
    }
    if (o.netns && o.sites == 0) {
      throw std::invalid_argument("--netns needs --sites >= 1");
    }
    o.viewer_down_kbit = treecast::lab::parse_kbit_list(vm["viewer-down-kbit"].as<std::string>());
    o.viewer_up_kbit = treecast::lab::parse_kbit_list(vm["viewer-up-kbit"].as<std::string>());
    if (o.viewer_netns && !o.netns) {
      throw std::invalid_argument("--viewer-netns needs --netns");
    }
    if (!(o.unreachable >= 0 && o.unreachable <= 1)) {
      throw std::invalid_argument("--unreachable is a fraction, 0 to 1");
    }
    if (!o.viewer_netns &&
        (o.unreachable > 0 || !o.viewer_down_kbit.empty() || !o.viewer_up_kbit.empty())) {
      throw std::invalid_argument(
          "--unreachable, --viewer-down-kbit and --viewer-up-kbit need --viewer-netns");
    }
    treecast::lab::parse_churn_plan(o.plan);  // reports a bad plan before anything starts
  } catch (const std::exception& e) {
    std::cerr << "treecast-lab: " << e.what() << "\n";
    return 2;
  }
  treecast::lab::interrupt_signal interrupt;
  try {
    std::unique_ptr<treecast::lab::lab_network> network;
    if (o.netns) {
      network = std::make_unique<treecast::lab::site_network>(
          o.sites, o.wan_delay_ms, o.wan_mbit, treecast::lab::lab_viewer_conditions(o));
    } else {
      network = std::make_unique<treecast::lab::loopback_network>();
    }
    return treecast::lab::run_lab(o, *network, interrupt);
  } catch (const std::exception& e) {
    std::cerr << "treecast-lab: " << e.what() << "\n";
    return 1;
  }
}
