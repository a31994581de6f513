// treecast-viewer: a peer that plays the stream (in a window, or headless)
// and forwards it to a few children of its own.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <vector>

#include "browser_gateway_program.hpp"
#include "gst_support.hpp"
#include "overlay_text.hpp"
#include "playback_pipeline.hpp"
#include "runtime/address.hpp"
#include "runtime/console_log.hpp"
#include "runtime/heap_tuning.hpp"
#include "runtime/node_runtime.hpp"
#include "runtime/peer_metrics.hpp"
#include "runtime/peer_options.hpp"
#include "runtime/periodic_timer.hpp"
#include "runtime/program_loop.hpp"
#include "runtime/status_line.hpp"
#include "stream_receiver.hpp"
#include "ts_recorder.hpp"

namespace po = boost::program_options;
using namespace treecast;

int main(int argc, char** argv) {
  const std::uint64_t launched_us = runtime::wall_time_us();
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  runtime::keep_freed_heap();
  bool headless = false;
  bool no_overlay = false;
  std::string video_output = "auto";
  int latency_ms = static_cast<int>(media::default_latency.count());
  std::string rendition = "auto";
  std::string start_rendition = "full";
  std::string record_path;
  runtime::peer_options defaults;
  defaults.max_children = 2;
  po::options_description description("treecast-viewer options");
  // clang-format off
  description.add_options()
    ("help,h", "show this help")
    ("headless", po::bool_switch(&headless), "decode without a window or sound (servers, tests)")
    ("latency", po::value(&latency_ms)->default_value(latency_ms),
     "jitter buffer, ms (50-10000): how long after the freshest chunks arrive frames are shown\n"
     "while they come on time; a late frame grows it, calm shrinks it back to this. Lower: less\n"
     "latency, and the first hiccups (a repair, a busy machine) stand the picture still")
    ("rendition", po::value(&rendition)->default_value(rendition),
     "what to play: auto (the best the downlink carries: full, low ~360p, or audio alone before\n"
     "the picture would stall) | full | low | audio")
    ("start-rendition", po::value(&start_rendition)->default_value(start_rendition),
     "where auto starts: full | low (a smaller join backlog, a sooner first frame on a link\n"
     "the join cannot time, e.g. behind a shaper whose burst passes the timing's 12 KiB at once;\n"
     "keyframes showing room take it up). The join's timing of the downlink only lowers it")
    ("no-overlay", po::bool_switch(&no_overlay),
     "start with the status overlay hidden (keys in the window: o overlay, f or double click "
     "full screen, m mute, Up/Down volume, q close)")
    ("video-output", po::value(&video_output)->default_value(video_output),
     "what draws the picture: auto (xv, else x) | xv | gl | x (software scaling)")
    ("record", po::value(&record_path)->default_value(""),
     "also write what is played to FILE (.ts as received; .mp4 or .mkv remuxed)");
  // clang-format on
  viewer::browser_gateway_options gateway_options;
  viewer::add_browser_gateway_options(description, gateway_options);
  runtime::joining_peer_config config;
  media::playback_settings playback;
  std::optional<wire::rendition> fixed_rendition;
  wire::rendition auto_start = wire::rendition::full;
  std::optional<viewer::browser_gateway_settings> gateway_settings;
  try {
    auto parsed =
        runtime::parse_joining_peer(argc, argv, description, defaults, wire::peer_role::viewer,
                                    "usage: treecast-viewer LINK [options]");
    if (!parsed) {
      return runtime::exit_ok;
    }
    config = std::move(*parsed);
    if (latency_ms < 50 || latency_ms > 10000) {
      throw std::invalid_argument("--latency must be between 50 and 10000 ms");
    }
    playback.output = media::parse_video_output(video_output);
    fixed_rendition = viewer::parse_rendition_mode(rendition);
    auto_start = viewer::parse_start_rendition(start_rendition);
  } catch (const std::exception& e) {
    std::cerr << "treecast-viewer: " << e.what() << "\n";
    return runtime::exit_usage;
  }
  try {
    viewer::content_key_of(config.link);  // a relay link or a bad key is a usage error
    gateway_settings = viewer::browser_gateway_settings_of(gateway_options, config.link);
  } catch (const std::exception& e) {
    std::cerr << "treecast-viewer: " << e.what() << "\n";
    return runtime::exit_usage;
  }
  const runtime::runtime_config& runtime_config = config.runtime;
  const core::log_level level = config.level;

  if (!headless && !media::playback_pipeline::display_available()) {
    std::fprintf(stderr,
                 "treecast-viewer: no display (DISPLAY is unset or cannot be opened); "
                 "playing headless: decoding without a window or sound\n");
    headless = true;
  }

  std::unique_ptr<media::ts_recorder> recorder;
  try {
    if (!record_path.empty()) {
      recorder = std::make_unique<media::ts_recorder>(record_path);
    }
  } catch (const std::exception& e) {
    std::cerr << "treecast-viewer: " << e.what() << "\n";
    return runtime::exit_failure;
  }

  boost::asio::io_context io;
  runtime::status_printer out(runtime::parse_status_style(config.options.status));
  int exit_code = runtime::exit_ok;
  std::unique_ptr<runtime::shutdown_signals> shutdown;
  std::unique_ptr<media::playback_pipeline> player;
  std::unique_ptr<runtime::http_server> metrics;
  std::unique_ptr<viewer::browser_gateway> gateway;
  std::optional<std::uint64_t> first_frame_ms;
  const auto fail = [&](const std::string& error) {
    // From any thread: a closed window ends the viewer normally; anything
    // else is a failure.
    const bool closed = error == media::window_closed;
    if (!closed) {
      std::fprintf(stderr, "treecast-viewer: playback failed: %s\n", error.c_str());
    }
    boost::asio::post(io, [&, closed] {
      exit_code = closed ? runtime::exit_ok : runtime::exit_failure;
      shutdown->request_stop();
    });
  };
  viewer::stream_receiver receiver(
      io, config, runtime::console_log("viewer", level),
      {.play =
           [&](std::shared_ptr<const std::string> ts, std::uint64_t capture_time_us) {
             if (recorder) {
               recorder->write(*ts);
             }
             if (gateway) {
               gateway->push(ts, capture_time_us);
             }
             try {
               player->push(*ts, capture_time_us);
             } catch (const std::exception& e) {
               fail(e.what());
             }
           },
       .fail =
           [&](const std::string& why) {
             std::fprintf(stderr, "treecast-viewer: %s\n", why.c_str());
             exit_code = runtime::exit_failure;
             shutdown->request_stop();
           },
       .notice =
           [](const std::string& what) {
             std::fprintf(stderr, "treecast-viewer: %s\n", what.c_str());
           },
       .rendition =
           [&](wire::rendition now_playing) {
             player->rendition_changed(now_playing != wire::rendition::audio);
             std::fprintf(stderr, "treecast-viewer: playing the %s rendition\n",
                          wire::rendition_name(now_playing));
           },
       .expect_lateness =
           [&](std::chrono::microseconds lateness) { player->expect_lateness(lateness); }});
  // Headless too starts where the timed downlink allows (a window must: it
  // opens at the first picture's size): a start on the low rendition costs
  // a change of decoder a second in, which can stand the picture still.
  receiver.set_rendition(fixed_rendition, auto_start);
  runtime::node_runtime& peer = receiver.peer();
  const media::playout_order& playout = receiver.playout();
  try {
    playback.headless = headless;
    playback.latency = std::chrono::milliseconds(latency_ms);
    playback.overlay = !no_overlay;
    playback.title = runtime::link_title(config.link, "treecast");
    player = std::make_unique<media::playback_pipeline>(playback, fail);
    if (!headless) {
      std::fprintf(stderr, "treecast-viewer: the picture is drawn with --video-output %s\n",
                   media::video_output_name(player->output()));
    }
    player->set_first_frame_handler(
        [&io, &out, &first_frame_ms, launched_us](std::uint64_t shown_us) {
          boost::asio::post(io, [&out, &first_frame_ms, launched_us, shown_us] {
            first_frame_ms = (shown_us - launched_us) / 1000;
            out.note("first-frame ms=" + std::to_string(*first_frame_ms));
          });
        });
    if (gateway_settings) {
      gateway = viewer::start_browser_gateway(io, *gateway_settings, out, "treecast-viewer");
    }
    receiver.start();
    metrics = runtime::start_metrics_server(
        io, config.options, peer,
        [&] {
          const media::stall_figures stalled = player->stalls();
          auto figures = viewer::browser_gateway_metrics(gateway.get());
          figures.insert(
              figures.end(),
              {{"video_frames", static_cast<double>(player->video_frames()),
                "video frames decoded"},
               {"audio_buffers", static_cast<double>(player->audio_buffers()),
                "audio buffers decoded"},
               {"play_latency_ms", static_cast<double>(player->playback_latency_ms()),
                "capture -> screen of the latest frame"},
               {"buffer_ms", static_cast<double>(player->buffer_ms()),
                "media received ahead of the picture on screen"},
               {"jitter_target_ms", static_cast<double>(player->jitter_target_ms()),
                "how long after the live edge frames are due (grown by late frames)"},
               {"discontinuities", static_cast<double>(playout.discontinuities()),
                "gaps skipped to the next keyframe"},
               {"first_frame_ms", first_frame_ms ? static_cast<double>(*first_frame_ms) : -1.0,
                "launch -> first frame on screen"},
               {"stalls", static_cast<double>(stalled.stalls), "times the picture stood still"},
               {"audio_gaps", static_cast<double>(player->audio_gaps().stalls),
                "times the sound stopped"},
               {"rendition",
                static_cast<double>(receiver.renditions().playing()
                                        ? static_cast<int>(*receiver.renditions().playing())
                                        : -1),
                "rendition playing: 0 full, 1 low, 2 audio alone"},
               {"rendition_switches", static_cast<double>(receiver.renditions().switches()),
                "changes of the rendition playing"},
               {"stall_ms", static_cast<double>(stalled.stall_ms),
                "time the picture stood still, in all"},
               {"rebuffer_ratio", stalled.rebuffer_ratio,
                "time the picture stood still / time watched"}});
          return figures;
        },
        [&] {
          const media::frame_latency::snapshot_t per_frame = player->frame_latencies();
          return std::vector<runtime::program_histogram>{
              {"frame_latency_ms", "capture at the broadcaster -> on screen, every frame",
               media::frame_latency::bounds_ms(), per_frame.cumulative,
               static_cast<double>(per_frame.sum_ms)}};
        });
  } catch (const std::exception& e) {
    std::cerr << "treecast-viewer: cannot start: " << e.what() << "\n";
    return runtime::exit_failure;
  }
  out.note(runtime::listening_line(runtime_config.listen_host, peer));

  const auto playing_name = [&]() -> std::string {
    const auto playing = receiver.renditions().playing();
    return playing ? wire::rendition_name(*playing) : "-";
  };
  std::int64_t noted_stall_end_us = 0;
  runtime::periodic_timer status(io, std::chrono::seconds(1), [&] {
    const long long arrival_ms = peer.latency().take_median_ms();
    const media::stall_figures stalled = player->stalls();
    if (stalled.last.ended_us != noted_stall_end_us) {
      // Each stall once, with when it ended (epoch ms): the lab lays
      // stalls beside its churn, a reader beside the log (the latest of
      // several within a second).
      noted_stall_end_us = stalled.last.ended_us;
      out.note("stall ms=" + std::to_string(stalled.last.length_us / 1000) + " ended=" +
               std::to_string(stalled.last.ended_us / 1000) + " rendition=" + playing_name() +
               " switches=" + std::to_string(receiver.renditions().switches()));
    }
    peer.set_local_health(
        {static_cast<std::int32_t>(arrival_ms), static_cast<std::int32_t>(player->buffer_ms()),
         static_cast<std::uint32_t>(stalled.stalls), static_cast<std::uint64_t>(stalled.stall_ms),
         static_cast<std::uint32_t>(gateway ? gateway->browsers() : 0),
         receiver.renditions().playing()});
    const int volume_percent = static_cast<int>(player->volume() * 100 + 0.5);
    runtime::status_report report = runtime::tree_status(peer);
    report.field("frames", static_cast<long long>(player->video_frames()));
    report.field("audio", static_cast<long long>(player->audio_buffers()));
    report.field("latency_ms", arrival_ms);
    report.field("play_latency_ms", player->playback_latency_ms());
    report.field("buffer_ms", player->buffer_ms());
    report.field("jitter_target_ms", player->jitter_target_ms());
    report.field("discontinuities", static_cast<long long>(playout.discontinuities()));
    report.field("late_chunks", static_cast<long long>(playout.late_chunks()));
    report.field("re_anchors", static_cast<long long>(player->re_anchors()));
    report.field("rendition", playing_name());
    report.field("switches", static_cast<long long>(receiver.renditions().switches()));
    report.field("audio_gaps", static_cast<long long>(player->audio_gaps().stalls));
    report.field("audio_gap_ms", static_cast<long long>(player->audio_gaps().stall_ms));
    report.field("stalls", static_cast<long long>(stalled.stalls));
    report.field("stall_ms", static_cast<long long>(stalled.stall_ms));
    report.field("watch_ms", static_cast<long long>(stalled.watch_ms));
    char ratio[32];
    std::snprintf(ratio, sizeof ratio, "%.5f", stalled.rebuffer_ratio);
    report.field("rebuffer", ratio);
    report.field("muted", player->muted() ? 1 : 0);
    report.field("volume", volume_percent);
    report.field("fullscreen", player->fullscreen() ? 1 : 0);
    viewer::report_browsers(gateway.get(), report);
    if (player->playback_latency_ms() >= 0) {
      report.say("latency " + std::to_string(player->playback_latency_ms()) + " ms");
      report.say("buffer " + std::to_string(player->buffer_ms()) + " ms");
    }
    report.say("stalled " + std::to_string(stalled.stall_ms) + " ms");
    report.say(player->muted() ? "muted" : "volume " + std::to_string(volume_percent) + "%");
    out.report(report);
    const core::node& node = peer.engine();
    const auto parent = node.parent_endpoint();
    player->set_overlay_text(viewer::overlay_text(
        {.play_latency_ms = player->playback_latency_ms(),
         .buffer_ms = player->buffer_ms(),
         .depth = node.attached() ? std::optional(node.depth()) : std::nullopt,
         .parent = parent && node.attached() ? runtime::format_address(*parent) : "",
         .chunks_missed = node.stats().get(core::counter::chunks_missed),
         .repairs = node.stats().get(core::counter::repairs),
         .stall_ms = static_cast<long long>(stalled.stall_ms),
         .playing = receiver.renditions().playing(),
         .muted = player->muted(),
         .volume_percent = volume_percent}));
  });
  status.start();
  shutdown = std::make_unique<runtime::shutdown_signals>(io, [&] {
    status.cancel();
    if (metrics) {
      metrics->stop();
    }
    if (gateway) {
      gateway->stop();
    }
    receiver.stop();
    player->stop();
    if (recorder) {
      recorder->finish();
    }
  });
  runtime::print_repairs(peer, out);
  io.run();
  return exit_code;
}
