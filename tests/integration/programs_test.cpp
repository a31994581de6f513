// The programs as people run them: a broadcast from a file, a relay's /metrics and /status, --help,
// and a missing device named in the error.
#include <gtest/gtest.h>

#include <algorithm>

#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "http_get.hpp"
#include "local_tree.hpp"
#include "screen.hpp"

namespace treecast::testing {
namespace {

using namespace std::chrono_literals;

TEST(broadcaster, file_source_streams_a_clip_that_the_viewer_decodes) {
  local_tree tree("file_source");
  // 8 s of 320x180 at 15 fps with sound, made here.
  const std::string clip = std::string(TREECAST_TEST_LOG_DIR) + "/file_source_clip.mkv";
  ASSERT_EQ(run({"/usr/bin/gst-launch-1.0",
                 "-q",
                 "videotestsrc",
                 "num-buffers=120",
                 "pattern=ball",
                 "!",
                 "video/x-raw,width=320,height=180,framerate=15/1",
                 "!",
                 "x264enc",
                 "speed-preset=ultrafast",
                 "key-int-max=15",
                 "!",
                 "h264parse",
                 "!",
                 "matroskamux",
                 "name=m",
                 "!",
                 "filesink",
                 "location=" + clip,
                 "audiotestsrc",
                 "num-buffers=400",
                 "!",
                 "audio/x-raw,rate=48000,channels=2",
                 "!",
                 "opusenc",
                 "!",
                 "m."},
                tree.log_path("clip")),
            0)
      << "could not make the clip; see " << tree.log_path("clip");

  auto broadcaster = tree.start_broadcaster(
      {"--source", "file:" + clip, "--resolution", "320x180", "--fps", "15"});
  auto viewer = tree.start_viewer(broadcaster.port);

  // The broadcast ends with the clip: the broadcaster says so and exits 0.
  EXPECT_EQ(broadcaster.process->wait_exit(30s), 0);
  EXPECT_NE(read_file(tree.log_path("broadcaster")).find("the source ended"), std::string::npos);
  long long encoded = 0;
  for (const auto& line : broadcaster.process->lines()) {
    if (is_status(line)) {
      encoded = status_value(line, "frames");
    }
  }
  // The viewer played what it received: most of the clip.
  const auto last = viewer.process->wait_for_line(
      [](const std::string& l) { return is_status(l) && status_value(l, "frames") > 0; }, 10s,
      viewer.process->lines().size() > 0 ? viewer.process->lines().size() - 1 : 0);
  ASSERT_TRUE(last) << "the viewer decoded nothing; see " << tree.log_path("viewer1");
  long long decoded = 0;
  for (const auto& line : viewer.process->lines()) {
    if (is_status(line)) {
      decoded = std::max(decoded, status_value(line, "frames"));
    }
  }
  std::printf("clip: 120 frames at 15 fps; broadcaster encoded %lld, viewer decoded %lld\n",
              encoded, decoded);
  EXPECT_GE(encoded, 100);
  EXPECT_GE(decoded, 80);
  viewer.process->send_signal(SIGINT);
  EXPECT_EQ(viewer.process->wait_exit(10s), 0);
}

TEST(viewer, metrics_count_every_frame_shown_with_its_glass_to_glass) {
  local_tree tree("viewer_frame_latency");
  auto broadcaster = tree.start_broadcaster({"--resolution", "320x180", "--fps", "15"});
  auto viewer = tree.start_viewer(broadcaster.port, {"--metrics-port", "0"});
  const std::uint16_t port = metrics_port_of(*viewer.process);
  ASSERT_TRUE(viewer.process->wait_for_line(
      [](const std::string& l) { return is_status(l) && status_value(l, "frames") > 0; }, 20s));

  const auto first = http_get(port, "/metrics");
  ASSERT_TRUE(first);
  const auto frames = prometheus_value(first->body, "treecast_frame_latency_ms_count");
  ASSERT_TRUE(frames);
  EXPECT_GT(*frames, 0);
  EXPECT_EQ(prometheus_value(first->body, "treecast_frame_latency_ms_bucket{le=\"+Inf\"}"),
            *frames);
  // Capture -> screen: the chunk's arrival plus at least the default buffer
  // (--latency, the jitter target's floor); never ~0.
  const double mean = *prometheus_value(first->body, "treecast_frame_latency_ms_sum") / *frames;
  EXPECT_GT(mean, 200);  // media::default_latency
  EXPECT_LT(mean, 2000);
  EXPECT_EQ(prometheus_value(first->body, "treecast_frame_latency_ms_bucket{le=\"10\"}"), 0);

  // Every frame is counted: a second later, about 15 more.
  ASSERT_TRUE(viewer.process->wait_for_line(is_status, 5s, viewer.process->lines().size()));
  ASSERT_TRUE(viewer.process->wait_for_line(is_status, 5s, viewer.process->lines().size()));
  const auto second = http_get(port, "/metrics");
  ASSERT_TRUE(second);
  EXPECT_GE(prometheus_value(second->body, "treecast_frame_latency_ms_count").value_or(0),
            *frames + 10);
  const auto status = http_get(port, "/status");
  ASSERT_TRUE(status);
  const auto histogram = nlohmann::json::parse(status->body).at("frame_latency_ms");
  EXPECT_EQ(histogram.at("bounds").size() + 1, histogram.at("cumulative").size());
  viewer.process->send_signal(SIGINT);
  EXPECT_EQ(viewer.process->wait_exit(10s), 0);
}

TEST(relay, metrics_and_status_report_a_running_relay) {
  local_tree tree("relay_metrics");
  auto broadcaster = tree.start_broadcaster({"--resolution", "320x180", "--fps", "15"});
  auto relay = tree.start_relay(broadcaster.port, {"--metrics-port", "0"});
  const std::uint16_t port = metrics_port_of(*relay.process);
  auto viewer = tree.start_viewer(relay.port);
  ASSERT_TRUE(viewer.process->wait_for_line(
      [](const std::string& l) { return is_status(l) && status_value(l, "frames") > 0; }, 20s));

  const auto first = http_get(port, "/metrics");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  EXPECT_NE(first->headers.find("text/plain; version=0.0.4"), std::string::npos);
  const auto received = prometheus_value(first->body, "treecast_chunks_received_total");
  ASSERT_TRUE(received);
  EXPECT_GT(*received, 0);
  EXPECT_EQ(prometheus_value(first->body, "treecast_children"), 1);
  EXPECT_EQ(prometheus_value(first->body, "treecast_depth"), 1);
  EXPECT_EQ(prometheus_value(first->body, "treecast_chunks_forged_total"), 0);
  EXPECT_GT(prometheus_value(first->body, "treecast_chunks_sent_total").value_or(0), 0);
  const auto histogram = prometheus_value(first->body, "treecast_chunk_latency_ms_count");
  ASSERT_TRUE(histogram);
  EXPECT_GT(*histogram, 0);
  EXPECT_EQ(prometheus_value(first->body, "treecast_chunk_latency_ms_bucket{le=\"+Inf\"}"),
            *histogram);

  // Counters move: wait for a status line (a second) and read again.
  ASSERT_TRUE(relay.process->wait_for_line(is_status, 5s, relay.process->lines().size()));
  const auto second = http_get(port, "/metrics");
  ASSERT_TRUE(second);
  EXPECT_GT(prometheus_value(second->body, "treecast_chunks_received_total").value_or(0),
            *received);

  const auto status = http_get(port, "/status");
  ASSERT_TRUE(status);
  EXPECT_EQ(status->status, 200);
  const auto json = nlohmann::json::parse(status->body);
  EXPECT_EQ(json.at("role"), "relay");
  EXPECT_EQ(json.at("attached"), true);
  EXPECT_EQ(json.at("depth"), 1);
  EXPECT_EQ(json.at("children"), 1);
  EXPECT_EQ(json.at("parent"), "127.0.0.1:" + std::to_string(broadcaster.port));
  EXPECT_GT(json.at("counters").at("chunks_received").get<long long>(), 0);
  EXPECT_GT(json.at("latency_ms").get<long long>(), 0);

  const auto missing = http_get(port, "/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);

  for (auto* p : {&viewer, &relay, &broadcaster}) {
    p->process->send_signal(SIGINT);
    EXPECT_EQ(p->process->wait_exit(10s), 0);
  }
}

TEST(programs, help_lists_every_flag_with_its_default_and_the_exit_codes) {
  local_tree tree("help");
  for (const std::string binary : {TREECAST_BROADCASTER, TREECAST_RELAY, TREECAST_VIEWER}) {
    child_process p({binary, "--help"}, tree.log_path("help"));
    // The last line printed: all of the help has been read.
    ASSERT_TRUE(
        p.wait_for_line([](const std::string& l) { return l.rfind("Exit codes", 0) == 0; }, 10s))
        << binary << " --help lacks the exit codes";
    ASSERT_EQ(p.wait_exit(10s), 0) << binary;
    std::string text;
    for (const auto& line : p.lines()) {
      text += line + "\n";
    }
    for (const char* flag :
         {"--listen", "--max-children", "--site", "--log-level", "--metrics-port", "TREECAST_"}) {
      EXPECT_NE(text.find(flag), std::string::npos) << binary << " --help lacks " << flag;
    }
    EXPECT_NE(text.find("(=-1)"), std::string::npos) << binary << ": defaults not shown";
  }
}

TEST(broadcaster, missing_camera_is_named_in_the_error) {
  local_tree tree("missing_camera");
  child_process p({TREECAST_BROADCASTER, "--listen", "127.0.0.1:0", "--key", tree.key_path(),
                   "--source", "camera", "--device", "/dev/video-treecast-test"},
                  tree.log_path("broadcaster"));
  EXPECT_EQ(p.wait_exit(15s), 1);
  EXPECT_NE(read_file(tree.log_path("broadcaster")).find("no camera at /dev/video-treecast-test"),
            std::string::npos);
}

TEST(programs, out_of_range_flags_and_unreadable_links_are_usage_errors) {
  const std::string log = std::string(TREECAST_TEST_LOG_DIR) + "/bad-flags.log";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{TREECAST_BROADCASTER, "--resolution", "0x0"}, "--resolution must be"},
      {{TREECAST_BROADCASTER, "--bitrate", "-5"}, "--bitrate must be"},
      {{TREECAST_BROADCASTER, "--fps", "1000"}, "--fps must be"},
      {{TREECAST_BROADCASTER, "--title", std::string(201, 't')}, "--title must be"},
      {{TREECAST_BROADCASTER, "--status", "json"}, "--status must be auto, kv or line"},
      {{TREECAST_VIEWER,
        "treecast://127.0.0.1:7000/?stream=" + std::string(64, '0') + "&token=00&key=00",
        "--video-output", "hologram"},
       "--video-output must be auto, xv, gl or x"},
      {{TREECAST_VIEWER,
        "treecast://127.0.0.1:7000/?stream=" + std::string(64, '0') +
            "&token=00&key=" + std::string(64, '1'),
        "--start-rendition", "audio"},
       "--start-rendition must be full or low, not 'audio'"},
      {{TREECAST_VIEWER,
        "treecast://127.0.0.1:7000/?stream=" + std::string(64, '0') + "&token=00&key=00"},
       "the link's content key is not 64 hex digits"},
      {{TREECAST_VIEWER, "treecast://127.0.0.1:99999/?stream=00", "--headless"},
       "port '99999' is not a number from 1 to 65535"},
      {{TREECAST_RELAY, "treecast://127.0.0.1:7000/?stream=" + std::string(64, '0') +
                            "&token=00&key=" + std::string(64, '1')},
       "this is the viewer link: a relay forwards with the relay link"},
      {{TREECAST_RELAY, "treecast://127.0.0.1:7000/?stream=" + std::string(64, '0') + "&token=00",
        "--serve-browsers", "127.0.0.1:0"},
       "this link carries no content key"},
      {{TREECAST_VIEWER,
        "treecast://127.0.0.1:7000/?stream=" + std::string(64, '0') +
            "&token=00&key=" + std::string(64, '1'),
        "--serve-browsers", "nowhere"},
       "--serve-browsers wants HOST:PORT"},
      {{TREECAST_RELAY, "--max-links", "2",
        "treecast://127.0.0.1:7000/?stream=" + std::string(64, '0') + "&token=00"},
       "--max-links must be"},
      {{TREECAST_LAB, "--peer-log-level", "loud"}, "a known peer log level"}};
  for (const auto& [argv, says] : cases) {
    std::filesystem::remove(log);
    child_process program(argv, log);
    EXPECT_EQ(program.wait_exit(10s), 2) << argv[1];
    EXPECT_NE(read_file(log).find(says), std::string::npos) << read_file(log);
  }
}

TEST(programs, on_a_terminal_the_status_is_one_line_in_words) {
  local_tree tree("status_on_terminal");
  auto broadcaster = tree.start_broadcaster();
  // script(1) runs the relay on a pseudo-terminal and copies what it shows.
  child_process relay({"/usr/bin/script", "-q", "-e", "-c",
                       std::string(TREECAST_RELAY) + " '" + tree.link_to(broadcaster.port) +
                           "' --listen 127.0.0.1:0",
                       "/dev/null"},
                      tree.log_path("relay-on-terminal"));
  const auto joined = broadcaster.process->wait_for_line(
      [](const std::string& l) { return is_status(l) && status_value(l, "relays") == 1; }, 20s);
  ASSERT_TRUE(joined) << "the relay never joined; see " << tree.log_path("relay-on-terminal");
  // Two more seconds: the relay's own status ticks since it attached.
  std::size_t ticks = 0;
  const std::size_t mark = broadcaster.process->lines().size();
  ASSERT_TRUE(broadcaster.process->wait_for_line(
      [&ticks](const std::string& l) { return is_status(l) && ++ticks >= 2; }, 10s, mark));
  relay.send_signal(SIGINT);
  ASSERT_TRUE(relay.wait_exit(20s));
  std::string shown;
  for (const auto& line : relay.lines()) {
    shown += line + "\n";
  }
  EXPECT_NE(shown.find("\033[Kdepth 1 · 0 children · 0 missed · 0 repairs"), std::string::npos)
      << shown;
  EXPECT_NE(shown.find("listening on 127.0.0.1:"), std::string::npos) << shown;
  EXPECT_EQ(shown.find("status t="), std::string::npos) << "key=value lines on a terminal";
}

TEST(viewer, consume_only_opens_no_port_and_still_plays) {
  local_tree tree("consume_only");
  auto broadcaster = tree.start_broadcaster();
  auto viewer = tree.start_viewer(broadcaster.port, {"--max-children", "0"});
  EXPECT_EQ(viewer.port, 0);
  const auto lines = viewer.process->lines();
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines.front().find("(consume only, no port opened)"), std::string::npos)
      << lines.front();
  ASSERT_TRUE(viewer.process->wait_for_line(
      [](const std::string& l) { return is_status(l) && status_value(l, "frames") > 30; }, 20s))
      << "see " << tree.log_path("viewer1");
  EXPECT_NE(read_file(tree.log_path("viewer1")).find("consume only (--max-children 0)"),
            std::string::npos);
  // No socket of the viewer's listens (ss names each listener's process).
  std::vector<std::string> listeners;
  ASSERT_EQ(run({"/usr/bin/ss", "-ltnpH"}, tree.log_path("ss"), &listeners), 0);
  const std::string owner = "pid=" + std::to_string(viewer.process->pid()) + ",";
  for (const auto& line : listeners) {
    EXPECT_EQ(line.find(owner), std::string::npos) << "the viewer listens: " << line;
  }
  // The broadcaster's own port is there, so the listing is not empty by mistake.
  const std::string broadcaster_owner = "pid=" + std::to_string(broadcaster.process->pid()) + ",";
  EXPECT_TRUE(std::any_of(listeners.begin(), listeners.end(), [&](const std::string& l) {
    return l.find(broadcaster_owner) != std::string::npos;
  }));
  viewer.process->send_signal(SIGINT);
  EXPECT_EQ(viewer.process->wait_exit(10s), 0);
}

TEST(broadcaster, unknown_source_is_a_usage_error) {
  local_tree tree("unknown_source");
  child_process p({TREECAST_BROADCASTER, "--source", "webcam"}, tree.log_path("broadcaster"));
  EXPECT_EQ(p.wait_exit(15s), 2);
  EXPECT_NE(read_file(tree.log_path("broadcaster")).find("unknown source 'webcam'"),
            std::string::npos);
}

}  // namespace
}  // namespace treecast::testing
