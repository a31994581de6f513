// treecast-broadcaster: captures and encodes the stream and feeds it to the
// root of the tree; seed relays and viewers attach to it.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/program_options.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>

#include "broadcast_pipeline.hpp"
#include "core/chunk_sealer.hpp"
#include "dashboard_page.hpp"
#include "gst_support.hpp"
#include "media_source.hpp"
#include "runtime/address.hpp"
#include "runtime/console_log.hpp"
#include "runtime/ed25519.hpp"
#include "runtime/invite_token.hpp"
#include "runtime/node_runtime.hpp"
#include "runtime/payload_cipher.hpp"
#include "runtime/peer_metrics.hpp"
#include "runtime/peer_options.hpp"
#include "runtime/periodic_timer.hpp"
#include "runtime/program_loop.hpp"
#include "tree_api.hpp"
#include "ts_recorder.hpp"
#include "wire/codec.hpp"

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

// Where the stream key lives unless --key says otherwise.
std::string default_key_path() {
  if (const char* config = std::getenv("XDG_CONFIG_HOME"); config && *config) {
    return std::string(config) + "/treecast/broadcaster.key";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return std::string(home) + "/.config/treecast/broadcaster.key";
  }
  return "treecast-broadcaster.key";
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  runtime::peer_options options;
  runtime::peer_options defaults;
  defaults.listen = "0.0.0.0:7000";
  defaults.max_children = 3;
  std::string source = "test";
  std::string resolution = "640x360";
  std::string public_host;
  std::string key_path = default_key_path();
  double token_hours = 24;
  int fps = 30;
  int bitrate = 2000;
  int chunk_ms = 200;
  std::string device = "/dev/video0";
  std::string record_path;
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
    ("chunk-ms", po::value(&chunk_ms)->default_value(chunk_ms), "capture time per chunk, ms")
    ("key", po::value(&key_path)->default_value(key_path),
     "the stream's Ed25519 private key (PEM), created on first run; the stream id is its public key")
    ("token-hours", po::value(&token_hours)->default_value(token_hours),
     "how long the printed invite links admit new peers")
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
    // The root is reached at --public-host, else at a specific --listen
    // address (a wildcard one names no machine); its site is that address's.
    const bool wildcard =
        runtime_config.listen_host == "0.0.0.0" || runtime_config.listen_host == "::";
    if (public_host.empty() && !wildcard) {
      public_host = runtime_config.listen_host;
    }
    runtime::apply_site(options, node_config, public_host);
    media_settings = parse_media(resolution, fps, bitrate, chunk_ms, source);
    media_settings.device = device;
    level = runtime::parse_log_level(options.log_level);
  } catch (const std::exception& e) {
    std::cerr << "treecast-broadcaster: " << e.what() << "\n";
    return runtime::exit_usage;
  }

  std::optional<runtime::ed25519_key> key;
  try {
    key = runtime::ed25519_key::load_or_create(key_path);
  } catch (const std::exception& e) {
    std::cerr << "treecast-broadcaster: " << e.what() << "\n";
    return runtime::exit_failure;
  }
  const std::string stream_id = key->public_key();
  // The content key lives beside the stream key, so viewer links stay valid
  // across restarts; only viewer links carry it.
  std::optional<runtime::payload_cipher> cipher;
  std::string content_key;
  try {
    content_key = runtime::payload_cipher::load_or_create_key(key_path + ".content");
    cipher.emplace(content_key);
  } catch (const std::exception& e) {
    std::cerr << "treecast-broadcaster: " << e.what() << "\n";
    return runtime::exit_failure;
  }
  node_config.stream_id = stream_id;
  // The root admits only peers holding a token it signed (the seeds too).
  node_config.admission = std::make_shared<runtime::token_admission>(stream_id);
  const auto expires =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch() +
                                     std::chrono::duration<double, std::ratio<3600>>(token_hours))
                                     .count());
  const std::string viewer_token =
      runtime::to_hex(runtime::make_invite_token(*key, runtime::invite_role::viewer, expires));
  const std::string relay_token =
      runtime::to_hex(runtime::make_invite_token(*key, runtime::invite_role::relay, expires));
  // Peers ask every peer they reach for an invite, the root included; and
  // the root proves in every Pong that it holds the stream key.
  node_config.token = runtime::from_hex(relay_token);
  node_config.root_signer = std::make_shared<const runtime::ed25519_key>(*key);

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
  runtime::node_runtime root(io, node_config, runtime_config,
                             runtime::console_log("broadcaster", level));
  int exit_code = runtime::exit_ok;
  std::unique_ptr<runtime::shutdown_signals> shutdown;

  // Sequence numbers start at the wall clock in ms, so that after a restart
  // with the same key every new chunk numbers above every old one: an old
  // signed chunk replayed into the new broadcast is dropped as too old.
  core::chunk_sealer sealer(stream_id, runtime::wall_time_ms(),
                            std::make_shared<const runtime::ed25519_key>(*key),
                            std::make_shared<const runtime::payload_cipher>(*cipher));
  std::unique_ptr<media::broadcast_pipeline> pipeline;
  try {
    pipeline = std::make_unique<media::broadcast_pipeline>(
        media_settings,
        [&root, &sealer, &recorder](media::media_chunk&& m) {
          // Streaming thread: encrypt, sign and encode once here, off the
          // network thread.
          if (recorder) {
            recorder->write(m.bytes);
          }
          root.submit_source_chunk(sealer.seal(m.bytes, m.capture_time_us, m.keyframe));
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
    root.start();
    pipeline->start();
  } catch (const std::exception& e) {
    std::cerr << "treecast-broadcaster: cannot start: " << e.what() << "\n";
    return runtime::exit_failure;
  }

  if (public_host.empty()) {
    public_host = "127.0.0.1";  // listening on every address: links name this machine
  }
  std::printf("listening on %s\n",
              runtime::format_address({runtime_config.listen_host, root.listen_port()}).c_str());
  const wire::endpoint entry{public_host, root.listen_port()};
  const std::string stream_hex = runtime::to_hex(stream_id);
  std::printf("link: %s&key=%s\n", runtime::format_link(entry, stream_hex, viewer_token).c_str(),
              runtime::to_hex(content_key).c_str());
  std::printf("relay-link: %s\n", runtime::format_link(entry, stream_hex, relay_token).c_str());

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
      std::printf("dashboard on http://%s/\n",
                  runtime::format_address({options.metrics_host, metrics->port()}).c_str());
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
    const std::uint64_t source = node.stats().get(core::counter::chunk_bytes_received);
    rate.upload_kbps = (sent - rate.sent_bytes) * 8 / 1000;
    rate.stream_kbps = (source - rate.source_bytes) * 8 / 1000;
    rate.source_bytes = source;
    rate.encoder_load = static_cast<double>(busy - rate.encoder_busy_ns) / 1e9;
    rate.sent_bytes = sent;
    rate.encoder_busy_ns = busy;
    std::printf(
        "status t=%llu peers=%u viewers=%u relays=%u tree_depth=%u children=%zu frames=%llu "
        "audio=%llu chunks=%llu upload_kbps=%llu encoder_load=%.2f missed_in_tree=%llu\n",
        static_cast<unsigned long long>(runtime::wall_time_ms()), node.subtree_size() - 1,
        node.subtree_viewers(), node.subtree_relays(), node.subtree_depth(), node.child_count(),
        static_cast<unsigned long long>(pipeline->video_frames()),
        static_cast<unsigned long long>(pipeline->audio_buffers()),
        static_cast<unsigned long long>(pipeline->chunks()),
        static_cast<unsigned long long>(rate.upload_kbps), rate.encoder_load,
        static_cast<unsigned long long>(node.subtree_chunks_missed()));
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
    root.stop();
  });
  io.run();
  return exit_code;
}
