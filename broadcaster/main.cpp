// treecast-broadcaster: captures and encodes the stream and feeds it to the
// root of the tree; seed relays and viewers attach to it.
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <optional>

#include "broadcast_pipeline.hpp"
#include "broadcast_session.hpp"
#include "dashboard_page.hpp"
#include "gst_support.hpp"
#include "media_source.hpp"
#include "runtime/address.hpp"
#include "runtime/console_log.hpp"
#include "runtime/heap_tuning.hpp"
#include "runtime/node_runtime.hpp"
#include "runtime/peer_metrics.hpp"
#include "runtime/peer_options.hpp"
#include "runtime/periodic_timer.hpp"
#include "runtime/program_loop.hpp"
#include "runtime/status_line.hpp"
#include "runtime/terminal_qr.hpp"
#include "tree_api.hpp"
#include "ts_recorder.hpp"

namespace po = boost::program_options;
using namespace treecast;

namespace {

media::broadcast_settings parse_media(const std::string& resolution, int fps, int bitrate,
                                      int chunk_ms, const std::string& source) {
  media::parse_source(source);  // an unknown source is a usage error
  media::broadcast_settings settings;
  if (std::sscanf(resolution.c_str(), "%dx%d", &settings.width, &settings.height) != 2) {
    throw std::invalid_argument("--resolution wants WIDTHxHEIGHT, got '" + resolution + "'");
  }
  settings.fps = fps;
  settings.video_kbps = bitrate;
  settings.chunk_duration = std::chrono::milliseconds(chunk_ms);
  settings.source = source;
  if (const std::string problem = settings.validate(); !problem.empty()) {
    throw std::invalid_argument(problem);  // a bad flag: exit 2
  }
  return settings;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  runtime::keep_freed_heap();
  runtime::peer_options options;
  runtime::peer_options defaults;
  defaults.listen = "0.0.0.0:7000";
  defaults.max_children = 3;
  std::string source = "test";
  std::string resolution = "640x360";
  std::string public_host;
  std::string title;
  std::string key_path = broadcaster::default_key_path();
  double token_hours = 24;
  int fps = 30;
  int bitrate = 2000;
  int chunk_ms = 33;  // a frame at 30 fps: latency (README, Performance)
  std::string device = "/dev/video0";
  std::string record_path;
  std::string low_rendition = "yes";
  po::options_description description("treecast-broadcaster options");
  // clang-format off
  description.add_options()
    ("help,h", "show this help")
    ("source", po::value(&source)->default_value(source),
     "test | camera | mic | screen | file:PATH | camera+mic | screen+mic | test+mic")
    ("device", po::value(&device)->default_value(device), "camera device for --source camera")
    ("record", po::value(&record_path)->default_value(""),
     "keep a local copy in FILE (.ts as sent; .mp4 or .mkv remuxed)")
    ("resolution", po::value(&resolution)->default_value(resolution), "video WIDTHxHEIGHT")
    ("fps", po::value(&fps)->default_value(fps), "video frames per second")
    ("bitrate", po::value(&bitrate)->default_value(bitrate), "video bitrate, kbit/s")
    ("chunk-ms", po::value(&chunk_ms)->default_value(chunk_ms), "capture time per chunk, ms (33: a chunk per frame at 30 fps; longer chunks cost latency,\n"
     "shorter ones signatures and framing)")
    ("low-rendition", po::value(&low_rendition)->default_value(low_rendition),
     "yes | no: also encode the video at ~360p and a third of the bitrate, for viewers whose\n"
     "downlink does not carry the full one (they switch at a keyframe; sound alone is always there)")
    ("key", po::value(&key_path)->default_value(key_path),
     "the stream's Ed25519 private key (PEM), created on first run; the stream id is its public key")
    ("token-hours", po::value(&token_hours)->default_value(token_hours),
     "how long the printed invite links admit new peers")
    ("title", po::value(&title)->default_value(""),
     "the stream's title, carried in the links; viewers show it on their window")
    ("public-host", po::value(&public_host)->default_value(""),
     "host name put in the invite link (default: the listen host, or 127.0.0.1)");
  // clang-format on
  runtime::add_peer_options(description, options, defaults);

  core::node_config node_config;
  runtime::runtime_config runtime_config;
  media::broadcast_settings media_settings;
  core::log_level level;
  try {
    if (!runtime::parse_command_line(argc, argv, description, {},
                                     "usage: treecast-broadcaster [options]")) {
      return runtime::exit_ok;
    }
    node_config.role = wire::peer_role::broadcaster;
    runtime::apply_peer_options(options, node_config, runtime_config);
    // The root's site is that of the address it is reached at.
    runtime::apply_site(options, node_config,
                        broadcaster::reached_at(public_host, runtime_config.listen_host));
    media_settings = parse_media(resolution, fps, bitrate, chunk_ms, source);
    if (title.size() > 200) {
      throw std::invalid_argument("--title must be at most 200 characters");
    }
    media_settings.device = device;
    if (low_rendition != "yes" && low_rendition != "no") {
      throw std::invalid_argument("--low-rendition must be yes or no");
    }
    media_settings.low_rendition = low_rendition == "yes";
    level = runtime::parse_log_level(options.log_level);
  } catch (const std::exception& e) {
    std::cerr << "treecast-broadcaster: " << e.what() << "\n";
    return runtime::exit_usage;
  }

  std::unique_ptr<media::ts_recorder> recorder;
  try {
    if (!record_path.empty()) {
      recorder = std::make_unique<media::ts_recorder>(record_path);
    }
  } catch (const std::exception& e) {
    std::cerr << "treecast-broadcaster: " << e.what() << "\n";
    return runtime::exit_failure;
  }

  boost::asio::io_context io;
  std::optional<broadcaster::broadcast_session> session;
  try {
    session.emplace(io, node_config, runtime_config,
                    broadcaster::session_settings{key_path, token_hours, public_host, title},
                    runtime::console_log("broadcaster", level));
  } catch (const std::exception& e) {
    std::cerr << "treecast-broadcaster: " << e.what() << "\n";
    return runtime::exit_failure;
  }
  runtime::node_runtime& root = session->root();
  int exit_code = runtime::exit_ok;
  std::unique_ptr<runtime::shutdown_signals> shutdown;

  std::atomic<std::uint64_t> full_rendition_bytes{0};  // the pipeline's full rendition, so far
  std::unique_ptr<media::broadcast_pipeline> pipeline;
  try {
    pipeline = std::make_unique<media::broadcast_pipeline>(
        media_settings,
        [&session, &recorder, &full_rendition_bytes](media::media_chunk&& m) {
          // Streaming thread: encrypt, sign and encode once here, off the
          // network thread.
          full_rendition_bytes += m.bytes.size();
          if (recorder) {
            recorder->write(m.bytes);
          }
          session->submit(m);
        },
        [&io, &shutdown, &exit_code](const std::string& error) {
          // A file source that ends ends the broadcast normally.
          const bool ended = error == media::end_of_stream;
          if (ended) {
            std::fprintf(stderr, "treecast-broadcaster: the source ended\n");
          } else {
            std::fprintf(stderr, "treecast-broadcaster: media pipeline failed: %s\n",
                         error.c_str());
          }
          boost::asio::post(io, [&, ended] {
            exit_code = ended ? runtime::exit_ok : runtime::exit_failure;
            shutdown->request_stop();
          });
        });
    session->start();
    pipeline->start();
  } catch (const std::exception& e) {
    std::cerr << "treecast-broadcaster: cannot start: " << e.what() << "\n";
    return runtime::exit_failure;
  }

  runtime::status_printer out(runtime::parse_status_style(options.status));
  out.note(runtime::listening_line(runtime_config.listen_host, root));
  out.note("link: " + session->viewer_link());
  out.note("relay-link: " + session->relay_link());
  // Ready to paste: links hold '&', which a shell must not see unquoted.
  out.note("watch with: treecast-viewer '" + session->viewer_link() + "'");
  if (out.in_place()) {
    // A person at a terminal: the viewer link for a phone's camera too.
    out.note(runtime::terminal_qr(session->viewer_link()) + "the viewer link, as a QR code");
  }

  // Per-second rates for the status line and /metrics.
  struct rates {
    std::uint64_t sent_bytes = 0;
    std::uint64_t encoder_busy_ns = 0;
    std::uint64_t upload_kbps = 0;
    std::uint64_t source_bytes = 0;
    std::uint64_t stream_kbps = 0;  // what one copy of the stream costs, measured
    double encoder_load = 0;        // share of real time the encoder is busy
  } rate;
  std::unique_ptr<runtime::http_server> metrics;
  try {
    metrics = runtime::start_metrics_server(io, options, root, [&] {
      const core::node& node = root.engine();
      return std::vector<runtime::program_metric>{
          {"viewers", static_cast<double>(node.subtree_viewers()), "viewers in the tree"},
          {"relays", static_cast<double>(node.subtree_relays()), "relays in the tree"},
          {"upload_kbps", static_cast<double>(rate.upload_kbps), "own upload, kbit/s"},
          {"encoder_load", rate.encoder_load, "share of real time the video encoder is busy"},
          {"video_frames", static_cast<double>(pipeline->video_frames()), "frames encoded"}};
    });
    if (metrics) {
      // The dashboard shares the metrics port: one address for operators.
      metrics->route("/", [](const std::string&) {
        return runtime::http_response{200, "text/html; charset=utf-8", broadcaster::dashboard_page};
      });
      metrics->route("/api/tree", [&](const std::string&) {
        const broadcaster::upload_figures upload{rate.stream_kbps, rate.upload_kbps};
        return runtime::http_response{200, "application/json",
                                      broadcaster::tree_json(root.engine(), upload).dump() + "\n"};
      });
      out.note("dashboard on http://" +
               runtime::format_address({options.metrics_host, metrics->port()}) + "/");
    }
  } catch (const std::exception& e) {
    std::cerr << "treecast-broadcaster: cannot serve metrics: " << e.what() << "\n";
    pipeline->stop();
    return runtime::exit_failure;
  }
  runtime::periodic_timer status(io, std::chrono::seconds(1), [&] {
    const core::node& node = root.engine();
    const std::uint64_t sent = node.stats().get(core::counter::chunk_bytes_sent);
    const std::uint64_t busy = pipeline->encoder_busy_ns();
    // One copy of the stream: the full rendition (the root holds every
    // rendition; a link carries the full one alone unless asked for more).
    const std::uint64_t source = full_rendition_bytes.load();
    rate.upload_kbps = (sent - rate.sent_bytes) * 8 / 1000;
    rate.stream_kbps = (source - rate.source_bytes) * 8 / 1000;
    rate.source_bytes = source;
    rate.encoder_load = static_cast<double>(busy - rate.encoder_busy_ns) / 1e9;
    rate.sent_bytes = sent;
    rate.encoder_busy_ns = busy;
    runtime::status_report report;
    report.field("peers", static_cast<long long>(node.subtree_size() - 1));
    report.field("viewers", static_cast<long long>(node.subtree_viewers()));
    report.field("relays", static_cast<long long>(node.subtree_relays()));
    report.field("tree_depth", static_cast<long long>(node.subtree_depth()));
    report.field("children", static_cast<long long>(node.child_count()));
    report.field("frames", static_cast<long long>(pipeline->video_frames()));
    report.field("audio", static_cast<long long>(pipeline->audio_buffers()));
    report.field("chunks", static_cast<long long>(pipeline->chunks()));
    report.field("upload_kbps", static_cast<long long>(rate.upload_kbps));
    char load[16];
    std::snprintf(load, sizeof load, "%.2f", rate.encoder_load);
    report.field("encoder_load", load);
    report.field("missed_in_tree", static_cast<long long>(node.subtree_chunks_missed()));
    report.say(runtime::counted(node.subtree_viewers(), "viewer", "viewers"));
    report.say(runtime::counted(node.subtree_relays(), "relay", "relays"));
    report.say("tree depth " + std::to_string(node.subtree_depth()));
    report.say("upload " + std::to_string(rate.upload_kbps) + " kbit/s");
    report.say("encoder " + std::to_string(static_cast<int>(rate.encoder_load * 100 + 0.5)) + "%");
    report.say(std::to_string(node.subtree_chunks_missed()) + " missed in the tree");
    out.report(report);
  });
  status.start();
  shutdown = std::make_unique<runtime::shutdown_signals>(io, [&] {
    status.cancel();
    if (metrics) {
      metrics->stop();
    }
    pipeline->stop();
    if (recorder) {
      recorder->finish();
    }
    session->stop();
  });
  io.run();
  return exit_code;
}
