#include "latency_bench.hpp"

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <sys/socket.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "bench_broadcaster.hpp"
#include "child_process.hpp"
#include "frame_latency.hpp"
#include "http_get.hpp"
#include "local_tree.hpp"
#include "loopback_port.hpp"
#include "playback_pipeline.hpp"
#include "quantile.hpp"
#include "runtime/program_loop.hpp"
#include "ts_mux_on_arrival.hpp"
#include "ts_program_tables.hpp"
#include "ts_video_pts.hpp"

namespace treecast::bench {
namespace {

using namespace std::chrono_literals;
using testing::child_process;
constexpr int chain_depth = 6;

struct figures {
  double p50 = 0, p99 = 0;
  bool measured = false;
};

figures of(const std::vector<double>& v) {
  return {quantile(v, 0.5), quantile(v, 0.99), !v.empty()};
}

// "p50/p99", or "-" when not measured (SRT has no player of ours to time).
std::string shown(const figures& f, int decimals) {
  if (!f.measured)
    return "-";
  char text[64];
  std::snprintf(text, sizeof text, "%.*f/%.*f", decimals, f.p50, decimals, f.p99);
  return text;
}

std::string json_pair(const char* name, const figures& f) {
  if (!f.measured)
    return "\"" + std::string(name) + "_p50\": null, \"" + name + "_p99\": null";
  char text[160];
  std::snprintf(text, sizeof text, "\"%s_p50\": %.1f, \"%s_p99\": %.1f", name, f.p50, name, f.p99);
  return text;
}

// Glass-to-glass per frame between two snapshots of a player's cumulative
// histogram (frame_latency); not measured when none was shown in between.
figures glass_of(const std::vector<std::uint64_t>& before,
                 const std::vector<std::uint64_t>& after) {
  const double p50 = media::frame_latency_quantile(before, after, 0.5);
  return {p50, media::frame_latency_quantile(before, after, 0.99),
          after.size() == before.size() && p50 >= 0};
}

struct chain_result {
  std::string impl;
  figures depth1, depth6, hop, glass;  // glass: treecast's viewer only
  std::size_t samples = 0;
  long long lost = -1;  // SRT: frames that reached depth 1 and never depth 6; -1 not counted
};

// ---- treecast: real programs, figures from their status lines -----------

// The viewer's per-frame glass-to-glass histogram (cumulative counts per
// bound, then +Inf) from its /metrics; empty when it does not answer.
std::vector<std::uint64_t> frame_histogram(std::uint16_t metrics_port) {
  const auto reply = testing::http_get(metrics_port, "/metrics");
  std::vector<std::uint64_t> cumulative;
  if (!reply || reply->status != 200) {
    return cumulative;
  }
  std::vector<std::string> bounds;
  for (const auto b : media::frame_latency::bounds_ms()) {
    bounds.push_back(std::to_string(b));
  }
  bounds.push_back("+Inf");
  for (const auto& b : bounds) {
    const auto count = testing::prometheus_value(
        reply->body, "treecast_frame_latency_ms_bucket{le=\"" + b + "\"}");
    if (!count) {
      return {};
    }
    cumulative.push_back(static_cast<std::uint64_t>(*count));
  }
  return cumulative;
}

chain_result measure_treecast(const latency_options& options, const treecast_profile& profile) {
  testing::local_tree tree("bench-latency");
  std::vector<testing::peer_process> chain;
  chain.push_back(tree.start_broadcaster(bench_broadcaster_args(profile.chunk_ms)));
  for (int depth = 1; depth < chain_depth; ++depth) {
    chain.push_back(tree.start_relay(chain.back().port, {"--max-children", "1"}));
  }
  std::vector<std::string> viewer_args{"--max-children", "0", "--metrics-port", "0"};
  if (profile.latency_ms > 0) {
    viewer_args.insert(viewer_args.end(), {"--latency", std::to_string(profile.latency_ms)});
  }
  chain.push_back(tree.start_viewer(chain.back().port, viewer_args));
  auto& viewer = *chain.back().process;
  const std::uint16_t metrics_port = testing::metrics_port_of(viewer);
  const auto is_deep = [](const std::string& l) {
    return l.rfind("status ", 0) == 0 &&
           testing::status_fields(l)["depth"] == std::to_string(chain_depth) &&
           testing::status_fields(l)["frames"] != "0";
  };
  if (!viewer.wait_for_line(is_deep, 30s)) {
    throw std::runtime_error("treecast: the viewer did not reach depth 6");
  }
  viewer.wait_for_line([](const std::string&) { return false; }, 3s);  // warm-up, bounded
  std::vector<std::size_t> marks;
  for (auto& p : chain) {
    marks.push_back(p.process->lines().size());
  }
  const auto frames_before = frame_histogram(metrics_port);
  viewer.wait_for_line([](const std::string&) { return false; },
                       std::chrono::milliseconds(static_cast<int>(options.seconds * 1000)));
  const auto frames_after = frame_histogram(metrics_port);
  // Per depth: second -> median capture->arrival of that second.
  std::vector<std::map<long long, double>> by_second(chain_depth + 1);
  for (std::size_t i = 1; i < chain.size(); ++i) {
    const auto lines = chain[i].process->lines();
    for (std::size_t n = marks[i]; n < lines.size(); ++n) {
      if (lines[n].rfind("status ", 0) != 0)
        continue;
      auto f = testing::status_fields(lines[n]);
      if (f["depth"] != std::to_string(i) || f["latency_ms"].empty() || f["latency_ms"][0] == '-') {
        continue;
      }
      by_second[i][std::stoll(f["t"]) / 1000] = std::stod(f["latency_ms"]);
    }
  }
  std::vector<double> d1, d6, hop;
  for (const auto& [s, ms] : by_second[1])
    d1.push_back(ms);
  for (const auto& [s, ms] : by_second[chain_depth])
    d6.push_back(ms);
  for (int d = 2; d <= chain_depth; ++d) {
    for (const auto& [s, ms] : by_second[d]) {
      if (const auto up = by_second[d - 1].find(s); up != by_second[d - 1].end()) {
        hop.push_back(ms - up->second);
      }
    }
  }
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    it->process->send_signal(SIGINT);
    it->process->wait_exit(10s);
  }
  // Glass-to-glass per frame: the frames the viewer showed in the window.
  const figures glass = glass_of(frames_before, frames_after);
  const std::string name = profile.name() == "default" ? "" : "@" + profile.name();
  return {"treecast" + name, of(d1), of(d6), of(hop), glass, d6.size()};
}

// ---- SRT: the source and the taps in this process, relays as gst-launch ----

// The receive latency goes in the URI: the elements read their settings
// from it when it is set, so a `latency` property given before `uri` is lost.
std::string srt_uri(std::uint16_t port, const char* mode, int latency_ms) {
  return "srt://127.0.0.1:" + std::to_string(port) + "?mode=" + mode +
         "&latency=" + std::to_string(latency_ms);
}

// Capture wall time of each frame, by its PTS in the TS (90 kHz).
class frame_clock {
 public:
  void captured(GstClockTime raw_pts) {
    std::lock_guard lock(mutex_);
    raw_wall_[raw_pts] = runtime::wall_time_us();
  }
  // The first PES leaving the muxer is the first frame captured: that fixes
  // the mux's PTS offset.
  void muxed(std::uint64_t pes_pts) {
    std::lock_guard lock(mutex_);
    if (!first_pes_ && !raw_wall_.empty()) {
      first_pes_ = pes_pts;
      first_raw_ = raw_wall_.begin()->first;
    }
  }
  std::optional<std::uint64_t> capture_wall(std::uint64_t pes_pts) {
    std::lock_guard lock(mutex_);
    if (!first_pes_ || pes_pts < *first_pes_)
      return std::nullopt;
    const GstClockTime raw = first_raw_ + (pes_pts - *first_pes_) * GST_SECOND / 90000;
    const auto it = raw_wall_.lower_bound(raw > GST_MSECOND ? raw - GST_MSECOND : 0);
    if (it == raw_wall_.end() || it->first > raw + GST_MSECOND)
      return std::nullopt;
    return it->second;
  }

 private:
  std::mutex mutex_;
  std::map<GstClockTime, std::uint64_t> raw_wall_;
  std::optional<std::uint64_t> first_pes_;
  GstClockTime first_raw_ = 0;
};

// A pipeline whose appsink hands TS bytes to `on_bytes` (streaming thread).
class ts_pipeline {
 public:
  ts_pipeline(const std::string& description,
              std::function<void(const std::uint8_t*, std::size_t)> on_bytes)
      : on_bytes_(std::move(on_bytes)) {
    GError* error = nullptr;
    pipeline_ = gst_parse_launch(description.c_str(), &error);
    if (!pipeline_ || error) {
      throw std::runtime_error(error ? error->message : "cannot build " + description);
    }
    GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline_), "bytes");
    GstAppSinkCallbacks callbacks{};
    callbacks.new_sample = [](GstAppSink* s, gpointer self) {
      GstSample* sample = gst_app_sink_pull_sample(s);
      GstMapInfo map;
      GstBuffer* buffer = gst_sample_get_buffer(sample);
      if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
        static_cast<ts_pipeline*>(self)->on_bytes_(map.data, map.size);
        gst_buffer_unmap(buffer, &map);
      }
      gst_sample_unref(sample);
      return GST_FLOW_OK;
    };
    gst_app_sink_set_callbacks(GST_APP_SINK(sink), &callbacks, this, nullptr);
    gst_object_unref(sink);
  }
  ~ts_pipeline() {
    gst_element_set_state(pipeline_, GST_STATE_NULL);
    gst_object_unref(pipeline_);
  }
  GstElement* get() { return pipeline_; }
  void play() { gst_element_set_state(pipeline_, GST_STATE_PLAYING); }

 private:
  GstElement* pipeline_ = nullptr;
  std::function<void(const std::uint8_t*, std::size_t)> on_bytes_;
};

// Arrival time of each frame at one depth, and at the deepest one the
// bytes played by treecast's own player (its default jitter buffer): SRT's
// glass-to-glass measured as treecast's is.
struct tap {
  std::mutex mutex;
  std::condition_variable first;
  std::map<std::uint64_t, std::uint64_t> arrival_us;  // PES PTS -> wall
  std::unique_ptr<ts_pipeline> pipeline;
  media::playback_pipeline* player = nullptr;
  frame_clock* clock = nullptr;
  std::uint64_t last_capture_us = 0;  // of the frame the next bytes belong to
  media::ts_program_tables tables;    // the player's first bytes need them
  bool playing = false;

  bool wait_first(std::chrono::seconds timeout) {
    std::unique_lock lock(mutex);
    return first.wait_for(lock, timeout, [&] { return !arrival_us.empty(); });
  }
};

// The player starts at a keyframe led by the latest PAT and PMT, as a
// treecast join does (the first bytes it is given must be where its first
// frame is, or the capture times of the frames are wrong).
void play_at_depth(tap& t, const std::uint8_t* data, std::size_t size,
                   std::optional<std::size_t> keyframe_at, std::uint64_t capture_us) {
  for (std::size_t at = 0; at + media::ts_packet_size <= size; at += media::ts_packet_size) {
    t.tables.observe({reinterpret_cast<const char*>(data + at), media::ts_packet_size});
  }
  auto bytes = std::make_shared<std::string>();
  if (t.playing) {
    bytes->assign(reinterpret_cast<const char*>(data), size);
  } else if (keyframe_at && !t.tables.tables().empty()) {
    *bytes = t.tables.tables();
    bytes->append(reinterpret_cast<const char*>(data + *keyframe_at), size - *keyframe_at);
    t.playing = true;
  } else {
    return;
  }
  t.player->push(*bytes, capture_us);
}

void start_tap(tap& t, std::uint16_t port, int latency_ms) {
  t.pipeline = std::make_unique<ts_pipeline>(
      "srtsrc uri=\"" + srt_uri(port, "caller", latency_ms) + "\"" +
          " ! appsink name=bytes sync=false",
      [&t](const std::uint8_t* data, std::size_t size) {
        std::uint64_t first_byte_capture_us = t.last_capture_us;
        std::optional<std::size_t> keyframe_at;  // where the player may start
        for_each_video_pes(data, size, [&](std::size_t offset, std::uint64_t pts, bool keyframe) {
          std::lock_guard lock(t.mutex);
          t.arrival_us.emplace(pts, runtime::wall_time_us());
          t.first.notify_all();
          const auto at = t.clock ? t.clock->capture_wall(pts) : std::nullopt;
          if (at && keyframe && !t.playing && !keyframe_at) {
            keyframe_at = offset;
            first_byte_capture_us = *at;
          }
          if (at) {
            t.last_capture_us = *at;
          }
        });
        if (t.player) {
          play_at_depth(t, data, size, keyframe_at, first_byte_capture_us);
        }
      });
  t.pipeline->play();
}

chain_result measure_srt(const latency_options& options, const std::string& log_dir,
                         int latency_ms) {
  gst_init(nullptr, nullptr);
  // The broadcaster's muxer, so that SRT's sound waits no more than
  // treecast's for the next video frame.
  media::register_ts_mux_on_arrival();
  frame_clock clock;
  std::vector<std::uint16_t> ports;  // ports[i]: output of hop i (0 = source)
  for (int i = 0; i < chain_depth; ++i)
    ports.push_back(free_port(SOCK_DGRAM));
  ts_pipeline source(
      std::string("videotestsrc is-live=true pattern=smpte horizontal-speed=2 ! "
                  "video/x-raw,format=I420,width=640,height=360,framerate=30/1 ! timeoverlay ! "
                  "x264enc name=enc tune=zerolatency speed-preset=ultrafast bitrate=4000 "
                  "key-int-max=30 ! video/x-h264,profile=constrained-baseline ! "
                  "h264parse config-interval=-1 ! ") +
          media::ts_mux_on_arrival_factory +
          " name=mux alignment=7 ! tee name=t ! queue ! srtsink wait-for-connection=false "
          "sync=false "
          "uri=\"" +
          srt_uri(ports[0], "listener", latency_ms) + "\"" +
          " t. ! queue ! appsink name=bytes sync=false "
          // Sound as treecast's test source has (and the player needs: it
          // waits for both sinks).
          "audiotestsrc is-live=true ! audio/x-raw,rate=48000,channels=2 ! opusenc "
          "bitrate=64000 ! mux.",
      [&clock](const std::uint8_t* data, std::size_t size) {
        for_each_video_pts(data, size, [&](std::uint64_t pts) { clock.muxed(pts); });
      });
  GstElement* enc = gst_bin_get_by_name(GST_BIN(source.get()), "enc");
  GstPad* pad = gst_element_get_static_pad(enc, "sink");
  gst_pad_add_probe(
      pad, GST_PAD_PROBE_TYPE_BUFFER,
      [](GstPad*, GstPadProbeInfo* info, gpointer c) {
        static_cast<frame_clock*>(c)->captured(GST_BUFFER_PTS(GST_PAD_PROBE_INFO_BUFFER(info)));
        return GST_PAD_PROBE_OK;
      },
      &clock, nullptr);
  gst_object_unref(pad);
  gst_object_unref(enc);
  source.play();

  std::vector<std::unique_ptr<tap>> taps;  // taps[d-1] receives what depth d receives
  std::vector<std::unique_ptr<child_process>> relays;
  media::playback_pipeline player({}, [](const std::string& error) {
    std::fprintf(stderr, "treecast-bench latency: srt player: %s\n", error.c_str());
  });
  for (int depth = 1; depth <= chain_depth; ++depth) {
    taps.push_back(std::make_unique<tap>());
    if (depth == chain_depth) {
      taps.back()->player = &player;
      taps.back()->clock = &clock;
    }
    bool flowing = false;
    for (int attempt = 0; attempt < 5 && !flowing; ++attempt) {
      start_tap(*taps.back(), ports[depth - 1], latency_ms);
      flowing = taps.back()->wait_first(5s);
      if (!flowing)
        taps.back()->pipeline.reset();  // the listener was not up yet: again
    }
    if (!flowing)
      throw std::runtime_error("srt: nothing reached depth " + std::to_string(depth));
    if (depth < chain_depth) {
      relays.push_back(std::make_unique<child_process>(
          std::vector<std::string>{"/usr/bin/gst-launch-1.0", "-q", "srtsrc",
                                   "uri=" + srt_uri(ports[depth - 1], "caller", latency_ms), "!",
                                   "srtsink", "sync=false", "wait-for-connection=false",
                                   "uri=" + srt_uri(ports[depth], "listener", latency_ms)},
          log_dir + "/srt-relay" + std::to_string(depth) + ".log"));
    }
  }
  // Warm up, then keep only frames that arrive in the measured window.
  taps.back()->wait_first(1s);
  std::this_thread::sleep_for(3s);  // warm-up of a benchmark, not a synchronisation
  const std::uint64_t from = runtime::wall_time_us();
  const auto frames_before = player.frame_latencies().cumulative;
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(options.seconds * 1000)));
  const auto frames_after = player.frame_latencies().cumulative;
  const std::uint64_t to = runtime::wall_time_us();
  std::vector<std::map<std::uint64_t, double>> latency(chain_depth + 1);  // pts -> ms
  for (int depth = 1; depth <= chain_depth; ++depth) {
    auto& t = *taps[depth - 1];
    std::lock_guard lock(t.mutex);
    for (const auto& [pts, at] : t.arrival_us) {
      const auto captured = clock.capture_wall(pts);
      if (captured && at >= from && at <= to) {
        latency[depth][pts] = static_cast<double>(at - *captured) / 1000.0;
      }
    }
  }
  // Lost: frames depth 1 got in the window, but for its last 2 s (those
  // may still be on their way), that depth 6 never got.
  long long lost = 0;
  {
    std::lock_guard lock(taps.back()->mutex);
    const auto& deepest = taps.back()->arrival_us;
    std::lock_guard first_lock(taps.front()->mutex);
    for (const auto& [pts, at] : taps.front()->arrival_us) {
      if (at >= from && at + 2'000'000 <= to && !deepest.contains(pts)) {
        ++lost;
      }
    }
  }
  for (auto& t : taps)
    t->pipeline.reset();
  player.stop();
  for (auto& r : relays) {
    r->send_signal(SIGINT);
    r->wait_exit(10s);
  }
  std::vector<double> d1, d6, hop;
  for (const auto& [pts, ms] : latency[1])
    d1.push_back(ms);
  for (const auto& [pts, ms] : latency[chain_depth])
    d6.push_back(ms);
  for (int d = 2; d <= chain_depth; ++d) {
    for (const auto& [pts, ms] : latency[d]) {
      if (const auto up = latency[d - 1].find(pts); up != latency[d - 1].end()) {
        hop.push_back(ms - up->second);
      }
    }
  }
  const figures glass = glass_of(frames_before, frames_after);
  return {"srt@" + std::to_string(latency_ms), of(d1), of(d6), of(hop), glass, d6.size(), lost};
}

}  // namespace

std::string treecast_profile::name() const {
  const auto part = [](int ms) { return ms > 0 ? std::to_string(ms) : std::string("default"); };
  return chunk_ms == 0 && latency_ms == 0 ? "default" : part(chunk_ms) + "/" + part(latency_ms);
}

treecast_profile parse_treecast_profile(const std::string& text) {
  if (text == "default") {
    return {};
  }
  const auto malformed = [&] {
    return std::invalid_argument("--treecast: '" + text +
                                 "' is not CHUNK_MS/LATENCY_MS (numbers or 'default')");
  };
  const auto slash = text.find('/');
  if (slash == std::string::npos) {
    throw malformed();
  }
  const auto part = [&](const std::string& ms) {
    if (ms == "default") {
      return 0;
    }
    std::size_t used = 0;
    int value = -1;
    try {
      value = std::stoi(ms, &used);
    } catch (const std::exception&) {
    }
    if (used != ms.size() || value < 1 || value > 10000) {
      throw malformed();
    }
    return value;
  };
  return {part(text.substr(0, slash)), part(text.substr(slash + 1))};
}

int run_latency_bench(const latency_options& options) {
  std::vector<chain_result> results;
  for (const auto& profile : options.treecast) {
    try {
      results.push_back(measure_treecast(options, profile));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "treecast-bench latency: treecast %s: %s\n", profile.name().c_str(),
                   e.what());
    }
  }
  for (const int latency_ms : options.srt_latencies_ms) {
    try {
      results.push_back(measure_srt(options, std::string(TREECAST_TEST_LOG_DIR), latency_ms));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "treecast-bench latency: srt@%d: %s\n", latency_ms, e.what());
    }
  }
  std::printf("%-9s %18s %18s %18s %18s %8s %6s\n", "impl", "depth1_ms p50/p99", "hop_ms p50/p99",
              "depth6_ms p50/p99", "glass_ms p50/p99", "samples", "lost");
  for (const auto& r : results) {
    std::printf("%-9s %18s %18s %18s %18s %8zu %6s\n", r.impl.c_str(), shown(r.depth1, 0).c_str(),
                shown(r.hop, 1).c_str(), shown(r.depth6, 0).c_str(), shown(r.glass, 0).c_str(),
                r.samples, r.lost < 0 ? "-" : std::to_string(r.lost).c_str());
  }
  std::printf(
      "(capture -> arrival; hop = what each relay adds, depths 2..6 (treecast: from each\n"
      " peer's per-second median, SRT: per frame); glass = capture -> on screen, per frame (10 ms\n"
      " buckets), at treecast's viewer (treecast@CHUNK/LATENCY: the broadcaster's --chunk-ms, the\n"
      " viewer's --latency) and at SRT's depth 6 through the same player at its defaults;\n"
      " samples at depth 6; lost = SRT frames depth 1 got and depth 6 never did; srt@N = SRT\n"
      " at N ms of receive latency, 120 being its default)\n");
  // Glass-to-glass, the first treecast chain against each other chain.
  const chain_result* ours = nullptr;
  for (const auto& r : results) {
    if (!ours && r.impl.rfind("treecast", 0) == 0 && r.glass.measured) {
      ours = &r;
    }
  }
  for (const auto& r : results) {
    if (ours && &r != ours && r.glass.measured && r.glass.p50 > 0) {
      std::printf("glass-to-glass %s / %s: p50 %.2f, p99 %.2f\n", ours->impl.c_str(),
                  r.impl.c_str(), ours->glass.p50 / r.glass.p50, ours->glass.p99 / r.glass.p99);
    }
  }
  if (options.json) {
    std::printf("{\"rows\": [");
    for (std::size_t i = 0; i < results.size(); ++i) {
      const auto& r = results[i];
      std::printf("%s{\"impl\": \"%s\", %s, %s, %s, %s, \"lost\": %s}", i ? ", " : "",
                  r.impl.c_str(), json_pair("depth1_ms", r.depth1).c_str(),
                  json_pair("hop_ms", r.hop).c_str(), json_pair("depth6_ms", r.depth6).c_str(),
                  json_pair("glass_ms", r.glass).c_str(),
                  r.lost < 0 ? "null" : std::to_string(r.lost).c_str());
    }
    std::printf("]}\n");
  }
  return results.size() == options.treecast.size() + options.srt_latencies_ms.size() ? 0 : 1;
}

}  // namespace treecast::bench
