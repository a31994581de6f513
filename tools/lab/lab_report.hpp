// What a lab run measured, computed from the peers' own output lines
// (lab_peer::output: status, first-frame, repair) and the broadcaster's /api/tree.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "churn_plan.hpp"
#include "lab_peer.hpp"
#include "viewer_conditions.hpp"

namespace treecast::lab {

struct depth_latency {
  double p50 = 0;
  double p99 = 0;
  std::size_t samples = 0;
};

// One viewer's run as it ended (--viewer-netns: with its network).
struct viewer_detail {
  std::string name;
  std::string site;
  bool unreachable_by_lab = false;  // the lab dropped its inbound connections
  int down_kbit = 0;                // the lab's cap on its downlink, 0 = none
  int up_kbit = 0;                  // the lab's cap on its uplink, 0 = none
  std::string reachable = "-";      // as the viewer learnt it: "yes", "no" or "-" (not yet)
  long long children = 0;
  long long frames = 0;
  long long stall_ms = 0;  // over all its runs
  long long stalls = 0;
  long long missed = 0;
  std::string rendition = "-";  // playing at the end: "full", "low", "audio"
  long long switches = 0;       // changes of the rendition played, over all its runs
  long long audio_gaps = 0;     // times the sound stopped, over all its runs
};

// One time a viewer's picture stood still (the viewer's "stall" note).
struct stall_event {
  std::string viewer;
  std::string site;
  long long ms = 0;
  unsigned long long ended_wall_ms = 0;
  // Time from the latest kill, leave or freeze to the stall's end, when one came
  // within the notice window before it; else -1.
  long long after_churn_ms = -1;
  churn_action after = churn_action::kill;  // what came before it, when after_churn_ms >= 0
  std::string rendition;                    // playing when the viewer noted it
  long long switches = 0;                   // of the rendition, by then
};

struct lab_report {
  int viewers = 0;   // viewers attached at the end
  int decoding = 0;  // of those, viewers whose decoded frames still grow
  int relays = 0;    // relays attached at the end
  double startup_ms_p50 = 0;
  double startup_ms_p99 = 0;
  std::map<int, depth_latency> latency_ms_by_depth;  // capture -> arrival, per depth
  // Capture -> on screen at viewers, per depth (each viewer's latest frame, once a second).
  std::map<int, depth_latency> play_latency_ms_by_depth;
  int repairs = 0;
  double repair_ms_p50 = 0;
  double repair_ms_p99 = 0;
  int freeze_repairs = 0;  // of those, repairs after a peer froze (SIGSTOP)
  double freeze_repair_ms_p99 = 0;
  int kill_repairs = 0;  // of those, repairs after a peer was killed (SIGKILL)
  double kill_repair_ms_p99 = 0;
  long long stall_ms_total = 0;           // time viewers' pictures stood still, summed
  double rebuffer_ratio = 0;              // stall time / watch time, over all viewers
  int viewers_stalled = 0;                // viewers whose picture stood still at least once
  std::vector<stall_event> stall_events;  // each stall, in the order of the viewers
  unsigned long long chunks_lost = 0;     // missed by peers alive at the end
  double root_upload_mbps = 0;            // the broadcaster's upload, median per second
  double stream_mbps = 0;                 // one copy of the stream
  std::map<std::string, int> wan_copies_per_site;  // copies entering each site
  int max_depth = 0;
  std::vector<viewer_detail> viewers_detail;
};

// A kill, leave or freeze, when it happened (wall clock, ms).
struct churn_moment {
  unsigned long long wall_ms = 0;
  churn_action action = churn_action::kill;  // kill, leave or freeze
};

// `churn`: every kill, leave and freeze; a repair or a stall is laid
// beside the latest one before it, within 5 s (a repair without one is
// timed by the engine's own figure).
// `tree`: /api/tree at the end. `conditions`: each viewer's network as
// the lab made it (empty: all alike).
lab_report make_report(const std::vector<lab_peer>& peers, const std::vector<churn_moment>& churn,
                       const nlohmann::json& tree,
                       const std::vector<viewer_conditions>& conditions = {});

void print_report(const lab_report& report);
nlohmann::json report_json(const lab_report& report);

}  // namespace treecast::lab
