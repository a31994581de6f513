// What a treecast-lab run starts, how it stresses the tree and how it reports.
#pragma once

#include <string>
#include <vector>

#include "runtime/peer_options.hpp"

namespace treecast::lab {

struct lab_options {
  int relays = 4;
  int viewers = 40;
  double duration_s = 60;
  int kills = 0;            // relays killed, spread over the run (--kill)
  std::string plan;         // scripted churn (--plan), added to the kills
  int sites = 3;            // peers spread round-robin over site1..siteN
  bool netns = false;       // each site in its own network namespace, WAN between
  bool site_labels = true;  // false: no --site; peers infer their site from their address
  // Passed to relays and viewers (seconds, 0 = off): the tree's self-improvement.
  double improve_interval_s = runtime::peer_options{}.improve_interval_s;
  double site_gather_interval_s = runtime::peer_options{}.site_gather_interval_s;
  double rise_interval_s = runtime::peer_options{}.rise_interval_s;
  // Each viewer in a namespace of its own behind its site (netns only), with
  // these conditions (viewer_conditions.hpp): a fraction unreachable, caps
  // on their links given round-robin (kbit/s, 0 = none).
  bool viewer_netns = false;
  double unreachable = 0;
  std::vector<int> viewer_down_kbit;
  std::vector<int> viewer_up_kbit;
  int wan_delay_ms = 40;  // one way, between sites (netns only)
  int wan_mbit = 100;     // each site's uplink cap, tbf (netns only)
  int root_children = 0;  // broadcaster's --max-children; 0 = one per relay (min 2)
  int relay_children = 8;
  int viewer_children = 3;
  std::string resolution = "320x180";
  int fps = 15;
  int bitrate_kbps = 400;
  int chunk_ms = 0;    // the broadcaster's --chunk-ms; 0 = its default
  int latency_ms = 0;  // the viewers' --latency; 0 = their default
  std::string log_dir = "lab-logs";
  std::string peer_log_level = "info";  // every peer's --log-level
  bool json = false;
};

}  // namespace treecast::lab
