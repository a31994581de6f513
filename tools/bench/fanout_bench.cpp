#include "fanout_bench.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "bench_broadcaster.hpp"
#include "child_process.hpp"
#include "local_tree.hpp"
#include "loopback_port.hpp"
#include "process_usage.hpp"

namespace treecast::bench {

bool is_treecast(const std::string& impl) {
  return impl == "treecast" || impl.rfind("treecast@", 0) == 0;
}

namespace {

using namespace std::chrono_literals;
using testing::child_process;

constexpr const char* gst_launch = "/usr/bin/gst-launch-1.0";
constexpr const char* nginx = "/usr/sbin/nginx";
constexpr const char* nginx_rtmp_module = "/usr/lib/nginx/modules/ngx_rtmp_module.so";

// The baselines' input: what treecast's test source encodes (moving bars,
// x264 ultrafast zerolatency, keyframe every second), as MPEG-TS or as H.264
// for FLV.
std::string encoder() {
  return "videotestsrc is-live=true pattern=smpte horizontal-speed=2 ! "
         "video/x-raw,format=I420,width=640,height=360,framerate=30/1 ! timeoverlay ! "
         "x264enc tune=zerolatency speed-preset=ultrafast bitrate=4000 key-int-max=30 ! "
         "video/x-h264,profile=constrained-baseline ! h264parse config-interval=-1";
}

std::vector<std::string> words(const std::string& program, const std::string& line) {
  std::vector<std::string> out = {program};
  std::istringstream in(line);
  std::string w;
  while (in >> w) {
    out.push_back(w);
  }
  return out;
}

struct row {
  std::string impl;
  int children = 0;
  double cpu_s_per_s = 0;
  double cpu_s_per_gbit = 0;
  double rss_mb = 0;
  double received_mbps_per_child = 0;
  int attached = 0;
};

// The source and the measured relay of one implementation, and how its
// children reach the relay.
struct relay_setup {
  std::vector<std::unique_ptr<child_process>> processes;  // source first, relay last
  pid_t relay_pid = 0;
  std::string treecast_link;  // treecast: children join this
  std::string gst_source;     // baselines: each child is "gst_source ! fakesink"
};

class fanout {
 public:
  explicit fanout(const fanout_options& options)
      : options_(options), log_dir_(std::string(TREECAST_TEST_LOG_DIR) + "/bench-fanout") {
    std::filesystem::create_directories(log_dir_);
  }

  row measure(const std::string& impl, int children) {
    relay_setup setup = start(impl, children);
    const std::string self = std::filesystem::read_symlink("/proc/self/exe");
    const auto sinks_args =
        is_treecast(impl) ? std::vector<std::string>{self, "treecast-sinks", setup.treecast_link,
                                                     "--count", std::to_string(children)}
                          : std::vector<std::string>{self, "gst-sinks", setup.gst_source, "--count",
                                                     std::to_string(children)};
    child_process sinks(sinks_args, log("sinks"));
    row r{impl, children};
    // Every child receiving; then warm up; then measure between two lines.
    const auto all = sinks.wait_for_line(
        [&](const std::string& l) {
          return l.rfind("received ", 0) == 0 &&
                 testing::status_fields(l)["attached"] == std::to_string(children);
        },
        60s);
    if (!all) {
      std::fprintf(stderr, "treecast-bench fanout: %s: not every child of %d received (see %s)\n",
                   impl.c_str(), children, log_dir_.c_str());
    }
    sinks.wait_for_line([](const std::string&) { return false; }, 2s);  // warm-up, bounded
    const auto first = last_received(sinks);
    const double cpu0 = cpu_seconds(setup.relay_pid);
    const auto t0 = std::chrono::steady_clock::now();
    sinks.wait_for_line([](const std::string&) { return false; },
                        std::chrono::milliseconds(static_cast<int>(options_.seconds * 1000)));
    const auto last = last_received(sinks);
    const double cpu1 = cpu_seconds(setup.relay_pid);
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double gbit = static_cast<double>(last.first - first.first) * 8 / 1e9;
    r.cpu_s_per_s = (cpu1 - cpu0) / wall;
    r.cpu_s_per_gbit = gbit > 0 ? (cpu1 - cpu0) / gbit : 0;
    r.rss_mb = peak_rss_mb(setup.relay_pid);
    r.attached = last.second;
    r.received_mbps_per_child = gbit * 1000 / wall / children;
    sinks.send_signal(SIGINT);
    sinks.wait_exit(10s);
    for (auto it = setup.processes.rbegin(); it != setup.processes.rend(); ++it) {
      (*it)->send_signal(impl == "nginx-rtmp" && it == setup.processes.rbegin() ? SIGTERM : SIGINT);
      (*it)->wait_exit(10s);
    }
    return r;
  }

 private:
  // A fresh log per process and row (child_process appends).
  std::string log(const std::string& what) const {
    const std::string path = log_dir_ + "/" + what + ".log";
    std::filesystem::remove(path);
    return path;
  }

  // The last "received" line's bytes and attached count so far.
  static std::pair<unsigned long long, int> last_received(child_process& sinks) {
    const auto lines = sinks.lines();
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
      if (it->rfind("received ", 0) == 0) {
        auto f = testing::status_fields(*it);
        return {std::stoull(f["bytes"]), std::stoi(f["attached"])};
      }
    }
    return {0, 0};
  }

  std::unique_ptr<child_process> gst(const std::string& pipeline, const std::string& name) {
    return std::make_unique<child_process>(words(gst_launch, "-q " + pipeline), log(name));
  }

  relay_setup start(const std::string& impl, int children) {
    relay_setup s;
    if (is_treecast(impl)) {
      tree_ = std::make_unique<testing::local_tree>("bench-fanout");
      const int chunk_ms = impl == "treecast" ? 0 : std::stoi(impl.substr(impl.find('@') + 1));
      auto broadcaster = tree_->start_broadcaster(bench_broadcaster_args(chunk_ms));
      auto relay = tree_->start_relay(
          broadcaster.port, {"--max-children", std::to_string(children), "--log-level", "warn"});
      relay.process->wait_for_line(
          [](const std::string& l) {
            return l.rfind("status ", 0) == 0 && testing::status_fields(l)["depth"] == "1";
          },
          15s);
      s.treecast_link = tree_->link_to(relay.port);
      s.relay_pid = relay.process->pid();
      s.processes.push_back(std::move(broadcaster.process));
      s.processes.push_back(std::move(relay.process));
      return s;
    }
    if (impl == "tcpserversink") {
      const auto in = free_port(SOCK_STREAM), out = free_port(SOCK_STREAM);
      s.processes.push_back(
          gst(encoder() + " ! mpegtsmux alignment=7 ! tcpserversink host=127.0.0.1 port=" +
                  std::to_string(in) + " sync=false",
              "tcp-source"));
      wait_listening(in);
      s.processes.push_back(
          gst("tcpclientsrc host=127.0.0.1 port=" + std::to_string(in) +
                  " ! tcpserversink host=127.0.0.1 sync=false port=" + std::to_string(out),
              "tcp-relay"));
      wait_listening(out);
      s.gst_source = "tcpclientsrc host=127.0.0.1 port=" + std::to_string(out);
    } else if (impl == "srtsink") {
      const auto in = free_port(SOCK_DGRAM), out = free_port(SOCK_DGRAM);
      s.processes.push_back(gst(encoder() +
                                    " ! mpegtsmux alignment=7 ! srtsink uri=srt://127.0.0.1:" +
                                    std::to_string(in) + "?mode=listener wait-for-connection=false",
                                "srt-source"));
      s.processes.push_back(gst("srtsrc uri=srt://127.0.0.1:" + std::to_string(in) +
                                    "?mode=caller ! srtsink sync=false wait-for-connection=false "
                                    "uri=srt://127.0.0.1:" +
                                    std::to_string(out) + "?mode=listener",
                                "srt-relay"));
      s.gst_source = "srtsrc uri=srt://127.0.0.1:" + std::to_string(out) + "?mode=caller";
    } else if (impl == "nginx-rtmp") {
      const auto port = free_port(SOCK_STREAM);
      const std::string conf = log_dir_ + "/nginx.conf";
      std::ofstream(conf) << "load_module " << nginx_rtmp_module << ";\n"
                          << "daemon off;\nmaster_process off;\nworker_processes 1;\n"
                          << "error_log " << log_dir_ << "/nginx-error.log warn;\n"
                          << "pid " << log_dir_ << "/nginx.pid;\n"
                          << "events { worker_connections 1024; }\n"
                          << "rtmp { server { listen 127.0.0.1:" << port
                          << "; application live { live on; } } }\n";
      s.processes.push_back(std::make_unique<child_process>(
          std::vector<std::string>{nginx, "-p", log_dir_, "-c", conf}, log("nginx")));
      // nginx is the relay (measured, last); its source starts once it listens.
      const std::string url = "rtmp://127.0.0.1:" + std::to_string(port) + "/live/bench";
      wait_listening(port);
      s.processes.insert(
          s.processes.begin(),
          gst(encoder() + " ! flvmux streamable=true ! rtmp2sink location=" + url, "rtmp-source"));
      s.gst_source = "rtmp2src location=" + url;
    } else {
      throw std::invalid_argument("unknown impl " + impl);
    }
    s.relay_pid = s.processes.back()->pid();
    return s;
  }

  const fanout_options& options_;
  std::string log_dir_;
  std::unique_ptr<testing::local_tree> tree_;
};

}  // namespace

int run_fanout_bench(const fanout_options& options) {
  fanout bench(options);
  std::vector<row> rows;
  std::printf("%-14s %8s %11s %14s %8s %15s %9s\n", "impl", "children", "cpu_s_per_s",
              "cpu_s_per_gbit", "rss_mb", "mbps_per_child", "attached");
  for (const int children : options.children) {
    for (const auto& impl : options.impls) {
      row r{impl, children};
      try {
        r = bench.measure(impl, children);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "treecast-bench fanout: %s with %d children failed: %s\n",
                     impl.c_str(), children, e.what());
      }
      std::printf("%-14s %8d %11.3f %14.2f %8.1f %15.2f %9d\n", r.impl.c_str(), r.children,
                  r.cpu_s_per_s, r.cpu_s_per_gbit, r.rss_mb, r.received_mbps_per_child, r.attached);
      std::fflush(stdout);
      rows.push_back(r);
    }
  }
  // The first treecast in --impls / each other one, per number of children.
  std::string first;
  for (const auto& impl : options.impls) {
    if (first.empty() && is_treecast(impl)) {
      first = impl;
    }
  }
  std::printf("\nratios %s / the others (cpu_s_per_gbit, rss_mb):\n", first.c_str());
  std::map<int, const row*> ours;
  for (const auto& r : rows) {
    if (r.impl == first)
      ours[r.children] = &r;
  }
  for (const auto& r : rows) {
    if (r.impl != first && ours.count(r.children) && r.cpu_s_per_gbit > 0 && r.rss_mb > 0) {
      std::printf("  %-14s %4d children: cpu %.2f  rss %.2f\n", r.impl.c_str(), r.children,
                  ours[r.children]->cpu_s_per_gbit / r.cpu_s_per_gbit,
                  ours[r.children]->rss_mb / r.rss_mb);
    }
  }
  if (options.json) {
    std::printf("{\"rows\": [");
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const row& r = rows[i];
      std::printf(
          "%s{\"impl\": \"%s\", \"children\": %d, \"cpu_s_per_s\": %.4f, "
          "\"cpu_s_per_gbit\": %.3f, \"rss_mb\": %.1f, \"mbps_per_child\": %.3f, "
          "\"attached\": %d}",
          i ? ", " : "", r.impl.c_str(), r.children, r.cpu_s_per_s, r.cpu_s_per_gbit, r.rss_mb,
          r.received_mbps_per_child, r.attached);
    }
    std::printf("]}\n");
  }
  return 0;
}

}  // namespace treecast::bench
