#include "lab_report.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

#include "quantile.hpp"

namespace treecast::lab {
namespace {

using bench::quantile;
using testing::status_fields;

// A repair whose loss was noticed this soon after a churn event is that
// event's: the slowest notice is the 3 s starvation timeout (a parent that
// answers heartbeats and sends no chunk).
constexpr unsigned long long notice_window_ms = 5000;

bool starts_with(const std::string& line, const char* prefix) {
  return line.rfind(prefix, 0) == 0;
}

long long field_or(const std::map<std::string, std::string>& fields, const std::string& key,
                   long long fallback) {
  const auto it = fields.find(key);
  if (it == fields.end() || it->second.empty() || it->second == "-") {
    return fallback;
  }
  try {
    return std::stoll(it->second);
  } catch (const std::exception&) {
    return fallback;
  }
}

std::vector<std::map<std::string, std::string>> status_lines(
    const std::vector<std::string>& lines) {
  std::vector<std::map<std::string, std::string>> out;
  for (const auto& line : lines) {
    if (starts_with(line, "status ")) {
      out.push_back(status_fields(line));
    }
  }
  return out;
}

// The latest kill, leave or freeze at or before `wall_ms`, within the notice
// window.
const churn_moment* churn_before(unsigned long long wall_ms,
                                 const std::vector<churn_moment>& churn) {
  const churn_moment* latest = nullptr;
  for (const auto& c : churn) {
    if (c.wall_ms <= wall_ms && (!latest || c.wall_ms > latest->wall_ms)) {
      latest = &c;
    }
  }
  return latest && wall_ms - latest->wall_ms <= notice_window_ms ? latest : nullptr;
}

stall_event stall_of(const lab_peer& viewer, const std::map<std::string, std::string>& note,
                     const std::vector<churn_moment>& churn) {
  stall_event e;
  e.viewer = viewer.name;
  e.site = viewer.site;
  e.ms = field_or(note, "ms", 0);
  e.ended_wall_ms = static_cast<unsigned long long>(field_or(note, "ended", 0));
  if (const churn_moment* cause = churn_before(e.ended_wall_ms, churn)) {
    e.after_churn_ms = static_cast<long long>(e.ended_wall_ms - cause->wall_ms);
    e.after = cause->action;
  }
  if (const auto it = note.find("rendition"); it != note.end()) {
    e.rendition = it->second;
  }
  e.switches = field_or(note, "switches", 0);
  return e;
}

// Repair time: from the churn event that caused it (the latest before the
// loss was noticed, if it was noticed within notice_window_ms), so that the
// time to notice counts; else the engine's own measure (loss noticed ->
// stream flowing: a parent that fell behind on its own). `cause`: that
// event, or null.
double repair_ms(const std::map<std::string, std::string>& repair,
                 const std::vector<churn_moment>& churn, const churn_moment*& cause) {
  const auto t = static_cast<unsigned long long>(field_or(repair, "t", 0));
  const auto own_ms = static_cast<unsigned long long>(field_or(repair, "ms", 0));
  const unsigned long long noticed = t - std::min(t, own_ms);
  cause = churn_before(noticed, churn);
  return static_cast<double>(cause ? t - cause->wall_ms : own_ms);
}

// Where each peer listened, by the lab's own sites (not the label a peer
// reports, which it may have inferred wrongly): "listening on HOST:PORT".
std::map<std::string, std::string> lab_site_by_address(const std::vector<lab_peer>& peers) {
  std::map<std::string, std::string> sites;
  static constexpr char listening[] = "listening on ";
  for (const auto& peer : peers) {
    for (const auto& lines : peer.output) {
      for (const auto& line : lines) {
        if (starts_with(line, listening)) {
          sites[line.substr(sizeof listening - 1)] = peer.site;
        }
      }
    }
  }
  return sites;
}

// Parent links that cross into each site, counted by the sites the lab put
// the peers in (a peer it cannot place counts by its reported label).
void count_wan_copies(const nlohmann::json& tree, const std::vector<lab_peer>& peers,
                      lab_report& report) {
  if (!tree.contains("nodes")) {
    return;
  }
  const auto by_address = lab_site_by_address(peers);
  const auto site_of_node = [&](const nlohmann::json& n) {
    const auto it = by_address.find(n.value("address", ""));
    return it != by_address.end() ? it->second : n.value("site", "");
  };
  std::map<std::string, std::string> site_of;
  for (const auto& n : tree["nodes"]) {
    site_of[n.value("id", "")] = site_of_node(n);
  }
  for (const auto& n : tree["nodes"]) {
    const std::string site = site_of_node(n);
    if (n.value("role", "") == "broadcaster" || site.empty()) {
      continue;
    }
    report.wan_copies_per_site.try_emplace(site, 0);
    const auto parent = site_of.find(n.value("parent", ""));
    if (parent == site_of.end() || parent->second != site) {
      ++report.wan_copies_per_site[site];
    }
  }
  report.max_depth = tree.value("max_depth", 0);
  report.stream_mbps = tree.value("stream_kbps", 0) / 1000.0;
}

// The viewer's last status (its current run) and totals over its runs.
viewer_detail detail_of(const lab_peer& peer, const std::vector<viewer_conditions>& conditions) {
  viewer_detail d;
  d.name = peer.name;
  d.site = peer.site;
  const int number = std::stoi(peer.name.substr(sizeof "viewer" - 1));
  for (const auto& c : conditions) {
    if (c.viewer == number) {
      d.unreachable_by_lab = c.unreachable;
      d.down_kbit = c.down_kbit;
      d.up_kbit = c.up_kbit;
    }
  }
  for (const auto& lines : peer.output) {
    const auto statuses = status_lines(lines);
    if (statuses.empty()) {
      continue;
    }
    const auto& last = statuses.back();
    d.stall_ms += field_or(last, "stall_ms", 0);
    d.stalls += field_or(last, "stalls", 0);
    d.children = field_or(last, "children", 0);
    d.frames = field_or(last, "frames", 0);
    d.missed = field_or(last, "missed", 0);
    d.switches += field_or(last, "switches", 0);
    d.audio_gaps += field_or(last, "audio_gaps", 0);
    if (const auto it = last.find("rendition"); it != last.end()) {
      d.rendition = it->second;
    }
    if (const auto it = last.find("reachable"); it != last.end()) {
      d.reachable = it->second;
    }
  }
  return d;
}

}  // namespace

lab_report make_report(const std::vector<lab_peer>& peers, const std::vector<churn_moment>& churn,
                       const nlohmann::json& tree,
                       const std::vector<viewer_conditions>& conditions) {
  lab_report report;
  std::vector<double> startup, repairs, freeze_repairs, kill_repairs, upload;
  long long watch_ms_total = 0;
  std::set<std::string> stalled_viewers;
  std::map<int, std::vector<double>> latency;       // per depth: capture -> arrival
  std::map<int, std::vector<double>> play_latency;  // per depth: capture -> on screen (viewers)
  for (const auto& peer : peers) {
    for (std::size_t run = 0; run < peer.output.size(); ++run) {
      const auto& lines = peer.output[run];
      for (const auto& line : lines) {
        if (starts_with(line, "first-frame ")) {
          startup.push_back(static_cast<double>(field_or(status_fields(line), "ms", 0)));
        } else if (starts_with(line, "stall ") && peer.role == "viewer") {
          report.stall_events.push_back(stall_of(peer, status_fields(line), churn));
        } else if (starts_with(line, "repair ")) {
          const churn_moment* cause = nullptr;
          repairs.push_back(repair_ms(status_fields(line), churn, cause));
          if (cause && cause->action == churn_action::freeze) {
            freeze_repairs.push_back(repairs.back());
          } else if (cause && cause->action == churn_action::kill) {
            kill_repairs.push_back(repairs.back());
          }
        }
      }
      const auto statuses = status_lines(lines);
      for (const auto& s : statuses) {
        if (peer.role == "broadcaster") {
          upload.push_back(static_cast<double>(field_or(s, "upload_kbps", 0)));
          continue;
        }
        const long long depth = field_or(s, "depth", -1);
        const long long ms = field_or(s, "latency_ms", -1);
        if (depth > 0 && ms >= 0) {
          latency[static_cast<int>(depth)].push_back(static_cast<double>(ms));
        }
        const long long played_ms = field_or(s, "play_latency_ms", -1);
        if (depth > 0 && played_ms >= 0) {
          play_latency[static_cast<int>(depth)].push_back(static_cast<double>(played_ms));
        }
      }
      if (peer.role == "viewer" && !statuses.empty()) {
        // Every run of a viewer watched; its last line holds its totals.
        const long long stalled = field_or(statuses.back(), "stall_ms", 0);
        report.stall_ms_total += stalled;
        watch_ms_total += field_or(statuses.back(), "watch_ms", 0);
        if (stalled > 0) {
          stalled_viewers.insert(peer.name);
        }
      }
      const bool current = run + 1 == peer.output.size();
      if (!current || !peer.alive || statuses.empty() || peer.role == "broadcaster") {
        continue;
      }
      const auto& last = statuses.back();
      report.chunks_lost += static_cast<unsigned long long>(field_or(last, "missed", 0));
      if (field_or(last, "depth", -1) <= 0) {
        continue;  // not attached at the end
      }
      if (peer.role == "relay") {
        ++report.relays;
        continue;
      }
      ++report.viewers;
      // Decoding: frames grew over the last three seconds.
      const auto& earlier = statuses[statuses.size() >= 4 ? statuses.size() - 4 : 0];
      if (field_or(last, "frames", 0) > field_or(earlier, "frames", 0)) {
        ++report.decoding;
      }
    }
  }
  report.startup_ms_p50 = quantile(startup, 0.5);
  report.startup_ms_p99 = quantile(startup, 0.99);
  report.repairs = static_cast<int>(repairs.size());
  report.repair_ms_p50 = quantile(repairs, 0.5);
  report.repair_ms_p99 = quantile(repairs, 0.99);
  report.freeze_repairs = static_cast<int>(freeze_repairs.size());
  report.freeze_repair_ms_p99 = quantile(freeze_repairs, 0.99);
  report.kill_repairs = static_cast<int>(kill_repairs.size());
  report.kill_repair_ms_p99 = quantile(kill_repairs, 0.99);
  report.viewers_stalled = static_cast<int>(stalled_viewers.size());
  report.rebuffer_ratio = watch_ms_total > 0 ? static_cast<double>(report.stall_ms_total) /
                                                   static_cast<double>(watch_ms_total)
                                             : 0.0;
  // The first seconds carry the start-up burst; the median is the steady rate.
  report.root_upload_mbps = quantile(upload, 0.5) / 1000.0;
  for (auto& [depth, samples] : latency) {
    report.latency_ms_by_depth[depth] = {quantile(samples, 0.5), quantile(samples, 0.99),
                                         samples.size()};
  }
  for (auto& [depth, samples] : play_latency) {
    report.play_latency_ms_by_depth[depth] = {quantile(samples, 0.5), quantile(samples, 0.99),
                                              samples.size()};
  }
  count_wan_copies(tree, peers, report);
  for (const auto& peer : peers) {
    if (peer.role == "viewer") {
      report.viewers_detail.push_back(detail_of(peer, conditions));
    }
  }
  return report;
}

void print_report(const lab_report& r) {
  std::printf("viewers %d (decoding %d), relays %d, max depth %d\n", r.viewers, r.decoding,
              r.relays, r.max_depth);
  std::printf("startup (launch -> first frame) p50 %.0f ms, p99 %.0f ms\n", r.startup_ms_p50,
              r.startup_ms_p99);
  std::printf(
      "repairs %d: p50 %.0f ms, p99 %.0f ms (after a kill: %d, p99 %.0f ms; after a freeze: %d, "
      "p99 %.0f ms); chunks lost %llu\n",
      r.repairs, r.repair_ms_p50, r.repair_ms_p99, r.kill_repairs, r.kill_repair_ms_p99,
      r.freeze_repairs, r.freeze_repair_ms_p99, r.chunks_lost);
  std::printf("stalls: %lld ms in all, %d viewers stalled, rebuffering ratio %.5f\n",
              r.stall_ms_total, r.viewers_stalled, r.rebuffer_ratio);
  for (const auto& e : r.stall_events) {
    std::printf("  %s (%s) stood still %lld ms, %s; playing %s after %lld switches\n",
                e.viewer.c_str(), e.site.c_str(), e.ms,
                e.after_churn_ms < 0 ? "no churn in the 5 s before"
                                     : (std::to_string(e.after_churn_ms) + " ms after a " +
                                        churn_action_name(e.after))
                                           .c_str(),
                e.rendition.c_str(), e.switches);
  }
  std::printf("broadcaster upload %.2f Mbit/s for a %.2f Mbit/s stream\n", r.root_upload_mbps,
              r.stream_mbps);
  std::printf("%-6s %8s %8s %8s %13s %13s\n", "depth", "p50_ms", "p99_ms", "samples", "play_p50_ms",
              "play_p99_ms");
  for (const auto& [depth, l] : r.latency_ms_by_depth) {
    const auto played = r.play_latency_ms_by_depth.find(depth);
    const bool any = played != r.play_latency_ms_by_depth.end();
    std::printf("%-6d %8.0f %8.0f %8zu %13.0f %13.0f\n", depth, l.p50, l.p99, l.samples,
                any ? played->second.p50 : -1.0, any ? played->second.p99 : -1.0);
  }
  if (!r.viewers_detail.empty() && r.viewers_detail.size() <= 60) {
    std::printf("%-10s %-6s %-11s %9s %7s %9s %8s %9s %8s %8s %8s %8s %6s %10s\n", "viewer", "site",
                "lab", "down_kbit", "up_kbit", "reachable", "children", "rendition", "switches",
                "frames", "stall_ms", "stalls", "missed", "audio_gaps");
    for (const auto& d : r.viewers_detail) {
      std::printf("%-10s %-6s %-11s %9d %7d %9s %8lld %9s %8lld %8lld %8lld %8lld %6lld %10lld\n",
                  d.name.c_str(), d.site.c_str(),
                  d.unreachable_by_lab ? "unreachable" : "reachable", d.down_kbit, d.up_kbit,
                  d.reachable.c_str(), d.children, d.rendition.c_str(), d.switches, d.frames,
                  d.stall_ms, d.stalls, d.missed, d.audio_gaps);
    }
  }
  std::printf("WAN copies per site:");
  for (const auto& [site, copies] : r.wan_copies_per_site) {
    std::printf(" %s=%d", site.c_str(), copies);
  }
  std::printf("\n");
}

namespace {

nlohmann::json stalls_json(const std::vector<stall_event>& stalls) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : stalls) {
    out.push_back({{"viewer", e.viewer},
                   {"site", e.site},
                   {"ms", e.ms},
                   {"ended_wall_ms", e.ended_wall_ms},
                   {"after_churn_ms", e.after_churn_ms},
                   {"after", e.after_churn_ms < 0 ? "" : churn_action_name(e.after)},
                   {"rendition", e.rendition},
                   {"switches", e.switches}});
  }
  return out;
}

nlohmann::json viewers_json(const std::vector<viewer_detail>& viewers) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& d : viewers) {
    out.push_back({{"name", d.name},
                   {"site", d.site},
                   {"unreachable_by_lab", d.unreachable_by_lab},
                   {"down_kbit", d.down_kbit},
                   {"up_kbit", d.up_kbit},
                   {"reachable", d.reachable},
                   {"children", d.children},
                   {"frames", d.frames},
                   {"stall_ms", d.stall_ms},
                   {"stalls", d.stalls},
                   {"missed", d.missed},
                   {"rendition", d.rendition},
                   {"switches", d.switches},
                   {"audio_gaps", d.audio_gaps}});
  }
  return out;
}

}  // namespace

nlohmann::json report_json(const lab_report& r) {
  const auto by_depth = [](const std::map<int, depth_latency>& figures) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [depth, l] : figures) {
      out[std::to_string(depth)] = {{"p50", l.p50}, {"p99", l.p99}, {"samples", l.samples}};
    }
    return out;
  };
  return {{"viewers", r.viewers},
          {"decoding", r.decoding},
          {"relays", r.relays},
          {"startup_ms_p50", r.startup_ms_p50},
          {"startup_ms_p99", r.startup_ms_p99},
          {"latency_ms_by_depth", by_depth(r.latency_ms_by_depth)},
          {"play_latency_ms_by_depth", by_depth(r.play_latency_ms_by_depth)},
          {"repairs", r.repairs},
          {"repair_ms_p50", r.repair_ms_p50},
          {"repair_ms_p99", r.repair_ms_p99},
          {"freeze_repairs", r.freeze_repairs},
          {"freeze_repair_ms_p99", r.freeze_repair_ms_p99},
          {"kill_repairs", r.kill_repairs},
          {"kill_repair_ms_p99", r.kill_repair_ms_p99},
          {"stall_ms_total", r.stall_ms_total},
          {"rebuffer_ratio", r.rebuffer_ratio},
          {"viewers_stalled", r.viewers_stalled},
          {"stall_events", stalls_json(r.stall_events)},
          {"chunks_lost", r.chunks_lost},
          {"root_upload_mbps", r.root_upload_mbps},
          {"stream_mbps", r.stream_mbps},
          {"max_depth", r.max_depth},
          {"wan_copies_per_site", r.wan_copies_per_site},
          {"viewers_detail", viewers_json(r.viewers_detail)}};
}

}  // namespace treecast::lab
