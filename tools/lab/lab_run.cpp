#include "lab_run.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "churn_plan.hpp"
#include "http_get.hpp"
#include "lab_peer.hpp"
#include "lab_report.hpp"
#include "runtime/program_loop.hpp"

namespace treecast::lab {
namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

constexpr auto start_timeout = 15s;

bool starts_with(const std::string& line, const char* prefix) {
  return line.rfind(prefix, 0) == 0;
}

std::string site_of(int index, int sites) {
  return sites > 0 ? "site" + std::to_string((index - 1) % sites + 1) : "";
}

class lab {
 public:
  lab(const lab_options& options, const lab_network& network, const interrupt_signal& interrupt)
      : options_(options),
        network_(network),
        interrupt_(interrupt),
        conditions_(lab_viewer_conditions(options)) {}

  ~lab() { stop_all(); }

  int run() {
    std::filesystem::create_directories(options_.log_dir);
    auto events = parse_churn_plan(options_.plan);
    for (const auto& e : spread_kills(options_.kills, options_.duration_s)) {
      events.push_back(e);
    }
    std::stable_sort(events.begin(), events.end(),
                     [](const churn_event& a, const churn_event& b) { return a.at_s < b.at_s; });
    for (const auto& e : events) {
      if (!planned(e.peer)) {
        throw std::invalid_argument("churn plan names " + e.peer +
                                    ", which this run does not have");
      }
    }
    started_ = clock::now();
    start_broadcaster();
    for (int i = 1; i <= options_.relays && !interrupt_.raised(); ++i) {
      const std::string site = site_of(i, options_.sites);
      start_peer("relay" + std::to_string(i), "relay", {site}, TREECAST_RELAY,
                 {relay_link_, "--max-children", std::to_string(options_.relay_children)});
    }
    // Relays take the broadcaster's slots before the viewers come.
    for (auto& p : peers_) {
      if (p.role == "relay") {
        wait_attached(p);
      }
    }
    // The viewers come as a crowd does: all launched at once, then each
    // waited for.
    for (int i = 1; i <= options_.viewers && !interrupt_.raised(); ++i) {
      const std::string site = site_of(i, options_.sites);
      std::vector<std::string> args{viewer_link_, "--headless", "--max-children",
                                    std::to_string(options_.viewer_children)};
      if (options_.latency_ms > 0) {
        args.insert(args.end(), {"--latency", std::to_string(options_.latency_ms)});
      }
      if (options_.viewer_netns) {
        progress("viewer%d: site %d, %s", i, conditions_[i - 1].site,
                 describe(conditions_[i - 1]).c_str());
      }
      start_peer("viewer" + std::to_string(i), "viewer", {site, i}, TREECAST_VIEWER, args, false);
    }
    progress("all %zu peers launched", peers_.size() - 1);
    for (auto& p : peers_) {
      if (p.role == "viewer") {
        wait_listening(p);
      }
    }
    progress("all %zu peers started", peers_.size() - 1);
    for (const auto& e : events) {
      if (!interrupt_.wait_until(at(e.at_s))) {
        break;
      }
      apply(e);
    }
    if (!interrupt_.wait_until(at(options_.duration_s))) {
      progress("interrupted: stopping every process");
      return 1;
    }
    nlohmann::json tree = nlohmann::json::object();
    if (const auto reply = testing::http_get(network_.host({}), metrics_port_, "/api/tree");
        reply && reply->status == 200) {
      tree = nlohmann::json::parse(reply->body);
    } else {
      progress("the broadcaster's /api/tree did not answer");
    }
    for (auto& p : peers_) {
      for (const auto& r : p.runs) {
        p.output.push_back(r->lines());
      }
    }
    stop_all();
    const lab_report report = make_report(peers_, churn_, tree, conditions_);
    print_report(report);
    if (options_.json) {
      std::printf("%s\n", report_json(report).dump().c_str());
    }
    return 0;
  }

 private:
  template <typename... Args>
  void progress(const char* format, Args... args) {
    const double t = std::chrono::duration<double>(clock::now() - started_).count();
    std::fprintf(stderr, "treecast-lab: %6.1f s  ", t);
    std::fprintf(stderr, format, args...);
    std::fprintf(stderr, "\n");
  }

  clock::time_point at(double seconds) const {
    return started_ +
           std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds));
  }

  lab_peer* find(const std::string& name) {
    for (auto& p : peers_) {
      if (p.name == name) {
        return &p;
      }
    }
    return nullptr;
  }

  // Whether the run will start a peer of that name (checked before it starts).
  bool planned(const std::string& name) const {
    for (const auto& [prefix, count] :
         {std::pair<std::string, int>{"relay", options_.relays}, {"viewer", options_.viewers}}) {
      if (name.rfind(prefix, 0) == 0 && std::stoi(name.substr(prefix.size())) <= count) {
        return true;
      }
    }
    return false;
  }

  // Starts the peer's process; with `wait`, until it listens.
  void launch(lab_peer& peer, bool wait = true) {
    peer.runs.push_back(std::make_unique<testing::child_process>(peer.argv, peer.log_path));
    peer.alive = true;
    peer.frozen = false;
    if (wait) {
      wait_listening(peer);
    }
  }

  static void wait_listening(lab_peer& peer) {
    if (!peer.current().wait_for_line(
            [](const std::string& l) { return starts_with(l, "listening on "); }, start_timeout)) {
      throw std::runtime_error(peer.name + " did not start; see " + peer.log_path);
    }
  }

  lab_peer& start_peer(const std::string& name, const std::string& role, const peer_place& place,
                       const std::string& binary, std::vector<std::string> args, bool wait = true) {
    const std::string& site = place.site;
    lab_peer peer;
    peer.name = name;
    peer.role = role;
    peer.site = site;
    peer.argv = network_.command_prefix(place);
    peer.argv.push_back(binary);
    peer.argv.insert(peer.argv.end(), args.begin(), args.end());
    for (const auto& extra : {std::string("--listen"), network_.host(place) + ":0",
                              std::string("--log-level"), options_.peer_log_level}) {
      peer.argv.push_back(extra);
    }
    if (!site.empty() && options_.site_labels) {
      peer.argv.push_back("--site");
      peer.argv.push_back(site);
    }
    if (role != "broadcaster") {
      for (const auto& [flag, seconds] :
           {std::pair{"--improve-interval", options_.improve_interval_s},
            {"--site-gather-interval", options_.site_gather_interval_s},
            {"--rise-interval", options_.rise_interval_s}}) {
        peer.argv.push_back(flag);
        peer.argv.push_back(std::to_string(seconds));
      }
    }
    peer.log_path = options_.log_dir + "/" + name + ".log";
    std::filesystem::remove(peer.log_path);
    peers_.push_back(std::move(peer));
    launch(peers_.back(), wait);
    return peers_.back();
  }

  void start_broadcaster() {
    const int root =
        options_.root_children > 0 ? options_.root_children : std::max(2, options_.relays);
    std::vector<std::string> args{"--key",          options_.log_dir + "/lab.key",
                                  "--resolution",   options_.resolution,
                                  "--fps",          std::to_string(options_.fps),
                                  "--bitrate",      std::to_string(options_.bitrate_kbps),
                                  "--max-children", std::to_string(root),
                                  "--metrics-port", "0",
                                  "--metrics-host", network_.host({})};
    if (options_.chunk_ms > 0) {
      args.insert(args.end(), {"--chunk-ms", std::to_string(options_.chunk_ms)});
    }
    auto& b = start_peer("broadcaster", "broadcaster", {}, TREECAST_BROADCASTER, args);
    const auto line_after = [&](const char* prefix) {
      const auto line = b.current().wait_for_line(
          [prefix](const std::string& l) { return starts_with(l, prefix); }, start_timeout);
      if (!line) {
        throw std::runtime_error(std::string("the broadcaster printed no '") + prefix + "'");
      }
      return line->substr(std::string(prefix).size());
    };
    viewer_link_ = line_after("link: ");
    relay_link_ = line_after("relay-link: ");
    const std::string metrics = line_after("metrics on ");
    metrics_port_ = static_cast<std::uint16_t>(std::stoi(metrics.substr(metrics.rfind(':') + 1)));
  }

  void wait_attached(lab_peer& peer) {
    const auto attached = peer.current().wait_for_line(
        [](const std::string& l) {
          return starts_with(l, "status ") && testing::status_fields(l)["depth"] != "-";
        },
        start_timeout);
    if (!attached) {
      progress("%s did not attach within 15 s", peer.name.c_str());
    }
  }

  // A churn moment (repairs are timed from it), then `signal` and its exit.
  void end_peer(lab_peer& peer, churn_action action, int signal) {
    churn_.push_back({runtime::wall_time_ms(), action});
    peer.current().send_signal(signal);
    peer.current().wait_exit(10s);
    peer.alive = false;
  }

  void apply(const churn_event& e) {
    lab_peer& peer = *find(e.peer);
    progress("%s %s", churn_action_name(e.action), peer.name.c_str());
    switch (e.action) {
      case churn_action::kill:
        end_peer(peer, e.action, SIGKILL);
        break;
      case churn_action::leave:
        // SIGTERM: the peer says Leave to its children (with peers to go
        // to) and keeps feeding them until they are in elsewhere.
        end_peer(peer, e.action, SIGTERM);
        break;
      case churn_action::freeze:
        churn_.push_back({runtime::wall_time_ms(), e.action});
        peer.current().send_signal(SIGSTOP);
        peer.frozen = true;
        break;
      case churn_action::thaw:
        peer.current().send_signal(SIGCONT);
        peer.frozen = false;
        break;
      case churn_action::restart:
        if (peer.alive) {
          peer.current().send_signal(SIGKILL);
          peer.current().wait_exit(10s);
        }
        launch(peer);
        break;
    }
  }

  // SIGINT to every live process (viewers first, the broadcaster last), then
  // wait; child_process kills whatever is still running when dropped.
  void stop_all() {
    if (stopped_) {
      return;
    }
    stopped_ = true;
    for (auto it = peers_.rbegin(); it != peers_.rend(); ++it) {
      if (it->alive) {
        if (it->frozen) {
          it->current().send_signal(SIGCONT);
        }
        it->current().send_signal(SIGINT);
      }
    }
    for (auto& p : peers_) {
      if (p.alive && !p.current().wait_exit(10s)) {
        progress("%s did not stop on SIGINT; killed", p.name.c_str());
        p.current().send_signal(SIGKILL);
        p.current().wait_exit(10s);
      }
    }
  }

  const lab_options& options_;
  const lab_network& network_;
  const interrupt_signal& interrupt_;
  clock::time_point started_;
  std::vector<lab_peer> peers_;
  std::vector<churn_moment> churn_;
  std::vector<viewer_conditions> conditions_;  // empty without --viewer-netns
  std::string viewer_link_, relay_link_;
  std::uint16_t metrics_port_ = 0;
  bool stopped_ = false;
};

}  // namespace

std::vector<viewer_conditions> lab_viewer_conditions(const lab_options& options) {
  if (!options.viewer_netns) {
    return {};
  }
  return assign_viewer_conditions(options.viewers, options.sites, options.viewer_down_kbit,
                                  options.viewer_up_kbit, options.unreachable);
}

int run_lab(const lab_options& options, const lab_network& network,
            const interrupt_signal& interrupt) {
  lab run(options, network, interrupt);
  return run.run();
}

}  // namespace treecast::lab
