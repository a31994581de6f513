// treecast-sim: runs the peer engine at scale in virtual time and prints the
// tree's figures (one JSON object with --json).
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "simulator.hpp"

namespace po = boost::program_options;
using namespace treecast;

namespace {

// "1,2.5,10" -> {1, 2.5, 10}: each a positive rate.
std::vector<double> parse_mbps_list(const std::string& text) {
  std::vector<double> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    std::size_t used = 0;
    double value = 0;
    try {
      value = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || !(value > 0)) {
      throw std::invalid_argument("--viewer-upload-mbps: not a rate above 0: '" + item + "'");
    }
    out.push_back(value);
  }
  if (out.empty()) {
    throw std::invalid_argument("--viewer-upload-mbps needs at least one rate");
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  sim::sim_config config;
  bool json = false;
  double join_window_s = 0;
  double relays_early_s = 0;
  double settle_s = 20;
  int chunk_ms = 200;
  double churn_s = 60;
  std::string churn_mode = "crash";
  int buffer_ms = 300;
  double improve_s = std::chrono::duration<double>(core::node_config{}.improve_interval).count();
  double same_site_rtt_ms = 0;
  std::string site_labels = "given";
  std::string viewer_upload = "10";
  double gather_s = std::chrono::duration<double>(core::node_config{}.site_gather_interval).count();
  double rise_s = std::chrono::duration<double>(core::node_config{}.rise_interval).count();
  double improve_min_gain_ms =
      std::chrono::duration<double, std::milli>(config.node_defaults.improve_min_gain).count();
  double depth_penalty_ms =
      std::chrono::duration<double, std::milli>(config.node_defaults.depth_penalty).count();
  double standby_have_ms =
      std::chrono::duration<double, std::milli>(config.node_defaults.standby_have_interval).count();
  po::options_description description("treecast-sim options");
  // clang-format off
  description.add_options()
    ("help,h", "show this help")
    ("peers", po::value(&config.peers)->default_value(config.peers), "peers, broadcaster included")
    ("seed", po::value(&config.seed)->default_value(config.seed), "random seed")
    ("json", po::bool_switch(&json), "print one JSON object")
    ("sites", po::value(&config.sites)->default_value(0), "sites peers cluster in (0 = none)")
    ("site-labels", po::value(&site_labels)->default_value(site_labels),
     "how peers know their site: given (--site), inferred (from their addresses, 250 to a /24 of "
     "their site's 10.<site>.0.0/16) or none (a baseline)")
    ("no-site-labels", po::bool_switch(), "the same as --site-labels none")
    ("join-limit", po::bool_switch(&config.join_limit),
     "serve joins at the engine's rate bound (a flash crowd is told busy and retries)")
    ("no-health-rows", po::bool_switch(),
     "reports carry no health rows (faster for very large trees; control bytes then too low)")
    ("latency-matrix", po::value(&config.latency_matrix),
     "file of one-way delays (ms) between M locations; peer i sits at i mod M")
    ("relay-fraction", po::value(&config.relay_fraction)->default_value(config.relay_fraction),
     "fraction of peers that are relays")
    ("relay-children", po::value(&config.relay_children)->default_value(config.relay_children),
     "children a relay accepts")
    ("viewer-children", po::value(&config.viewer_children)->default_value(config.viewer_children),
     "children a viewer accepts")
    ("root-children", po::value(&config.root_children)->default_value(config.root_children),
     "children the broadcaster accepts (its seeds)")
    ("join-window", po::value(&join_window_s)->default_value(0),
     "seconds over which peers join (0 = peers/2000 per second, at least 10)")
    ("relays-early", po::value(&relays_early_s)->default_value(0),
     "seconds before the viewers' join window over which the relays start (office and "
     "data-centre nodes up before the meeting; 0 = in the same crowd)")
    ("settle", po::value(&settle_s)->default_value(settle_s), "seconds simulated after the last join")
    ("chunk-ms", po::value(&chunk_ms)->default_value(chunk_ms), "chunk interval, ms")
    ("churn", po::value(&config.churn)->default_value(0), "fraction of peers killed after the joins")
    ("viewer-upload-mbps", po::value(&viewer_upload)->default_value(viewer_upload),
     "viewers' uplinks in Mbit/s, a list dealt to viewers in turn (e.g. 1,2,5,10,50)")
    ("unreachable", po::value(&config.unreachable)->default_value(0),
     "fraction of the viewers nobody can connect to (NAT, firewall): they watch as leaves")
    ("capacity-told", po::bool_switch(&config.capacity_told),
     "a control: viewers are configured with the slots their uplink carries and unreachable "
     "ones as consume only, instead of learning it (timing, reach checks)")
    ("duration", po::value(&churn_s)->default_value(churn_s), "seconds over which churn kills peers")
    ("churn-mode", po::value(&churn_mode)->default_value(churn_mode),
     "how peers die: crash (kill -9), freeze (kill -STOP, a closed lid, a vanished host), "
     "leave (graceful) or mixed (each victim one of them)")
    ("buffer-ms", po::value(&buffer_ms)->default_value(buffer_ms),
     "viewers' jitter buffer, ms: stalls are counted against it")
    ("no-standby", po::bool_switch(), "no warm standby parent (the baseline before it)")
    ("one-standby", po::bool_switch(), "one warm standby parent, not two (the baseline before the second)")
    ("improve-interval", po::value(&improve_s)->default_value(improve_s),
     "seconds between a peer's rounds of the improvement loop (0 = off)")
    ("rise-interval", po::value(&rise_s)->default_value(rise_s),
     "seconds after attaching that a strong peer asks its ancestors above its parent to take it "
     "(strong and nearer peers up; 0 = never)")
    ("site-gather-interval", po::value(&gather_s)->default_value(gather_s),
     "seconds between rounds of a peer whose parent is of another site, looking for one of its "
     "own (site gathering; 0 = off)")
    ("improve-min-gain-ms", po::value(&improve_min_gain_ms)->default_value(improve_min_gain_ms),
     "the improvement loop moves only for at least this much less delay from the broadcaster")
    ("improve-min-gain-fraction",
     po::value(&config.node_defaults.improve_min_gain_fraction)
         ->default_value(config.node_defaults.improve_min_gain_fraction),
     "... and at least this fraction of the current delay")
    ("standby-have-ms", po::value(&standby_have_ms)->default_value(standby_have_ms),
     "a standby's Haves to its standby children at most this often, ms (denser: a failing parent "
     "seen sooner; sparser: fewer control bytes)")
    ("same-site-rtt-ms", po::value(&same_site_rtt_ms)->default_value(0),
     "peers without labels this close (round trip) are taken as one site (0 = labels only, the "
     "default)")
    ("trace-peer", po::value(&config.trace_peers)->multitoken(),
     "debugging: log these peers' events to stderr (one or more)")
    ("trace-stalls", po::bool_switch(&config.trace_stalls),
     "debugging: log every stall to stderr with the viewer's path up to the broadcaster")
    ("dump-tree", po::value(&config.dump_tree),
     "debugging: write the tree at the end as CSV (peer, parent, slots, depth, direct_ms, "
     "path_ms) to this file")
    ("dump-joins", po::value(&config.dump_joins),
     "debugging: write every join as CSV (peer, start_s, join_ms, upload_mbps, reachable, "
     "relay, attempts, redirects) to this file")
    ("depth-penalty-ms", po::value(&depth_penalty_ms)->default_value(depth_penalty_ms),
     "added to a candidate's RTT per hop of depth when choosing a parent");
  // clang-format on
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, description), vm);
    if (vm.count("help")) {
      std::cout << "usage: treecast-sim [options]\n\n" << description << "\n";
      return 0;
    }
    po::notify(vm);
    using labels = sim::sim_config::site_labels_kind;
    if (vm["no-site-labels"].as<bool>() || site_labels == "none") {
      config.site_labels = labels::none;
    } else if (site_labels == "inferred") {
      config.site_labels = labels::inferred;
    } else if (site_labels != "given") {
      throw std::invalid_argument("--site-labels must be given, inferred or none");
    }
    if (config.peers < 2 || config.peers > 10'000'000) {
      throw std::invalid_argument("--peers must be between 2 and 10000000");
    }
    if (!(config.relay_fraction >= 0 && config.relay_fraction <= 1)) {
      throw std::invalid_argument("--relay-fraction must be between 0 and 1");
    }
    if (chunk_ms < 10) {
      throw std::invalid_argument("--chunk-ms must be at least 10");
    }
    config.join_window =
        std::chrono::duration_cast<core::duration>(std::chrono::duration<double>(join_window_s));
    if (!(relays_early_s >= 0)) {
      throw std::invalid_argument("--relays-early must be >= 0");
    }
    config.relays_early =
        std::chrono::duration_cast<core::duration>(std::chrono::duration<double>(relays_early_s));
    config.settle =
        std::chrono::duration_cast<core::duration>(std::chrono::duration<double>(settle_s));
    // The same 2 Mbit/s stream whatever the chunk size (a fixed chunk size
    // had made --chunk-ms 33 a 12 Mbit/s stream that no uplink carried).
    config.set_chunk_interval(std::chrono::milliseconds(chunk_ms));
    config.viewer_upload_mbps = parse_mbps_list(viewer_upload);
    if (!(config.unreachable >= 0 && config.unreachable <= 1)) {
      throw std::invalid_argument("--unreachable must be in [0, 1]");
    }
    if (!(config.churn >= 0 && config.churn < 1)) {
      throw std::invalid_argument("--churn must be in [0, 1)");
    }
    config.churn_duration =
        std::chrono::duration_cast<core::duration>(std::chrono::duration<double>(churn_s));
    if (churn_mode == "crash") {
      config.churn_mode = sim::sim_config::churn_kind::crash;
    } else if (churn_mode == "freeze") {
      config.churn_mode = sim::sim_config::churn_kind::freeze;
    } else if (churn_mode == "leave") {
      config.churn_mode = sim::sim_config::churn_kind::leave;
    } else if (churn_mode == "mixed") {
      config.churn_mode = sim::sim_config::churn_kind::mixed;
    } else {
      throw std::invalid_argument("--churn-mode is crash, freeze, leave or mixed");
    }
    if (buffer_ms < 0) {
      throw std::invalid_argument("--buffer-ms must not be negative");
    }
    config.playout_buffer = std::chrono::milliseconds(buffer_ms);
    config.node_defaults.warm_standby = !vm["no-standby"].as<bool>();
    config.node_defaults.second_standby = !vm["one-standby"].as<bool>();
    config.health_rows = !vm["no-health-rows"].as<bool>();
    auto interval = [](double s, const char* flag) {
      if (!(s >= 0)) {
        throw std::invalid_argument(std::string(flag) + " must not be negative");
      }
      return std::chrono::duration_cast<core::duration>(std::chrono::duration<double>(s));
    };
    config.node_defaults.improve_interval = interval(improve_s, "--improve-interval");
    config.node_defaults.rise_interval = interval(rise_s, "--rise-interval");
    config.node_defaults.site_gather_interval = interval(gather_s, "--site-gather-interval");
    config.node_defaults.improve_min_gain = std::chrono::duration_cast<core::duration>(
        std::chrono::duration<double, std::milli>(improve_min_gain_ms));
    config.node_defaults.depth_penalty = std::chrono::duration_cast<core::duration>(
        std::chrono::duration<double, std::milli>(depth_penalty_ms));
    config.node_defaults.standby_have_interval = std::chrono::duration_cast<core::duration>(
        std::chrono::duration<double, std::milli>(standby_have_ms));
    config.node_defaults.same_site_rtt = std::chrono::duration_cast<core::duration>(
        std::chrono::duration<double, std::milli>(same_site_rtt_ms));
    if (const std::string problem = config.node_defaults.validate();
        !problem.empty() && problem.find("rendezvous") == std::string::npos) {
      throw std::invalid_argument(problem);
    }
  } catch (const std::exception& e) {
    std::cerr << "treecast-sim: " << e.what() << "\n";
    return 2;
  }
  try {
    const sim::sim_result r = sim::run_simulation(config);
    if (json) {
      std::printf("%s\n", r.to_json().c_str());
    } else {
      std::printf(
          "peers %zu  joined %zu  loops %zu  unrooted %zu  capacity violations %zu\n"
          "depth max %zu mean %.2f  fan-out median %.1f  stretch p50 %.2f p99 %.2f\n"
          "join ms p50 %.0f p99 %.0f  root upload streams %zu  control %.1f B/peer/s (settled "
          "%.1f)\n"
          "killed %zu  survivors %zu  repairs %llu  repair ms p50 %.0f p99 %.0f max %.0f\n"
          "chunks lost %llu  continuity %.5f  freeze repair ms p99 %.0f\n"
          "stalls: %.0f ms in all (lateness %.0f ms, jitter within the player's 40 ms included), "
          "%zu viewers stalled, rebuffering ratio %.6f (survivors; %.0f ms at viewers that died "
          "later)\n"
          "standby: %llu promotions, %llu parents left behind, %llu kept (upstream late), %llu "
          "silent, %llu standbys silent, upload share %.5f\n"
          "tree: %llu moves to a sooner parent, %llu children moved below a stronger joiner\n"
          "unreachable: %zu viewers, %zu with children, %llu checks failed, %llu connections "
          "to them (%llu not checks)\n"
          "uplinks: %zu peers with more children than theirs carries, %llu children handed off\n"
          "simulated %.1f s in %.1f s wall, %llu events, peak RSS %.0f MB\n",
          r.peers, r.joined, r.loops, r.unrooted, r.capacity_violations, r.depth_max, r.depth_mean,
          r.fanout_median, r.stretch_p50, r.stretch_p99, r.join_ms_p50, r.join_ms_p99,
          r.root_upload_streams, r.control_bytes_per_peer_per_s,
          r.settled_control_bytes_per_peer_per_s, r.killed, r.survivors,
          static_cast<unsigned long long>(r.repairs), r.repair_ms_p50, r.repair_ms_p99,
          r.repair_ms_max, static_cast<unsigned long long>(r.chunks_lost), r.continuity,
          r.freeze_repair_ms_p99, r.stall_ms_total, r.late_ms_total, r.viewers_stalled,
          r.rebuffer_ratio, r.stall_ms_departed,
          static_cast<unsigned long long>(r.standby_promotions),
          static_cast<unsigned long long>(r.parents_behind),
          static_cast<unsigned long long>(r.parents_held),
          static_cast<unsigned long long>(r.parents_silent),
          static_cast<unsigned long long>(r.standbys_silent), r.standby_upload_share,
          static_cast<unsigned long long>(r.parent_moves),
          static_cast<unsigned long long>(r.children_moved_out), r.unreachable_peers,
          r.unreachable_with_children, static_cast<unsigned long long>(r.reach_checks_failed),
          static_cast<unsigned long long>(r.connects_to_unreachable),
          static_cast<unsigned long long>(r.connects_to_unreachable_by_others),
          r.children_beyond_uplink, static_cast<unsigned long long>(r.children_handed_off),
          r.simulated_s, r.wall_s, static_cast<unsigned long long>(r.events), r.peak_rss_mb);
    }
  } catch (const std::exception& e) {
    std::cerr << "treecast-sim: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
