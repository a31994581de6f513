// The programs as people run them: the viewer's window under Xvfb, a
// broadcast from a file, a relay's /metrics and /status, --help, and a
// missing device named in the error.
#include <gtest/gtest.h>

#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "http_get.hpp"
#include "local_tree.hpp"

namespace treecast::testing {
namespace {

using namespace std::chrono_literals;

bool is_status(const std::string& line) {
  return line.rfind("status ", 0) == 0;
}

long long status_value(const std::string& line, const std::string& key) {
  const auto fields = status_fields(line);
  const auto it = fields.find(key);
  return it == fields.end() || it->second == "-" ? -1 : std::stoll(it->second);
}

// Runs a short command to completion (screenshots, clip making); its exit code.
int run(std::vector<std::string> argv, const std::string& log) {
  child_process p(std::move(argv), log);
  const auto code = p.wait_exit(60s);
  return code ? *code : -1;
}

std::string artifact_dir() {
  const std::string dir = std::string(TREECAST_TEST_LOG_DIR) + "/../artifacts";
  std::filesystem::create_directories(dir);
  return std::filesystem::canonical(dir).string();
}

// A binary PPM (P6) screenshot.
struct image {
  int width = 0;
  int height = 0;
  std::string rgb;
};

image read_ppm(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  image img;
  std::string magic;
  int max = 0;
  in >> magic >> img.width >> img.height >> max;
  in.get();
  img.rgb.resize(static_cast<std::size_t>(img.width) * img.height * 3);
  in.read(img.rgb.data(), static_cast<std::streamsize>(img.rgb.size()));
  if (magic != "P6" || !in) {
    img.rgb.clear();
  }
  return img;
}

double luminance_stddev(const image& img) {
  double sum = 0;
  double sum2 = 0;
  const std::size_t n = img.rgb.size() / 3;
  for (std::size_t i = 0; i < n; ++i) {
    const double y = 0.299 * static_cast<unsigned char>(img.rgb[3 * i]) +
                     0.587 * static_cast<unsigned char>(img.rgb[3 * i + 1]) +
                     0.114 * static_cast<unsigned char>(img.rgb[3 * i + 2]);
    sum += y;
    sum2 += y * y;
  }
  const double mean = sum / static_cast<double>(n);
  return std::sqrt(std::max(0.0, sum2 / static_cast<double>(n) - mean * mean));
}

double fraction_differing(const image& a, const image& b) {
  std::size_t differing = 0;
  const std::size_t n = a.rgb.size() / 3;
  for (std::size_t i = 0; i < n; ++i) {
    for (int c = 0; c < 3; ++c) {
      if (std::abs(a.rgb[3 * i + c] - b.rgb[3 * i + c]) > 16) {
        ++differing;
        break;
      }
    }
  }
  return static_cast<double>(differing) / static_cast<double>(n);
}

TEST(viewer, window_shows_moving_video_under_xvfb) {
  local_tree tree("viewer_window");
  // Xvfb picks a free display and prints its number on stdout.
  child_process xvfb(
      {"/usr/bin/Xvfb", "-displayfd", "1", "-screen", "0", "800x600x24", "-nolisten", "tcp"},
      tree.log_path("xvfb"));
  const auto number = xvfb.wait_for_line([](const std::string& l) { return !l.empty(); }, 20s);
  ASSERT_TRUE(number) << "Xvfb did not start; see " << tree.log_path("xvfb");
  const std::string display = ":" + *number;

  auto broadcaster = tree.start_broadcaster({"--resolution", "640x360", "--fps", "30"});
  auto viewer = tree.start_windowed_viewer(broadcaster.port, display);
  ASSERT_TRUE(viewer.process->wait_for_line(
      [](const std::string& l) { return is_status(l) && status_value(l, "frames") > 30; }, 20s))
      << "the viewer decoded nothing; see " << tree.log_path("viewer1");

  const std::string dir = artifact_dir();
  const std::string first = dir + "/viewer_window_1.ppm";
  const std::string second = dir + "/viewer_window_2.ppm";
  ASSERT_EQ(run({"/usr/bin/import", "-display", display, "-window", "root", first},
                tree.log_path("import")),
            0);
  // One second of playback between the two: the viewer's next status line.
  const std::size_t mark = viewer.process->lines().size();
  ASSERT_TRUE(viewer.process->wait_for_line(is_status, 5s, mark));
  ASSERT_EQ(run({"/usr/bin/import", "-display", display, "-window", "root", second},
                tree.log_path("import")),
            0);

  const image a = read_ppm(first);
  const image b = read_ppm(second);
  ASSERT_FALSE(a.rgb.empty());
  ASSERT_EQ(a.rgb.size(), b.rgb.size());
  const double spread_a = luminance_stddev(a);
  const double spread_b = luminance_stddev(b);
  const double moved = fraction_differing(a, b);
  std::printf("screenshots: luminance stddev %.1f and %.1f, %.2f%% of pixels changed\n", spread_a,
              spread_b, 100 * moved);
  EXPECT_GT(spread_a, 10) << "first screenshot is blank";
  EXPECT_GT(spread_b, 10) << "second screenshot is blank";
  EXPECT_GT(moved, 0.005) << "the picture did not move in a second";

  const std::string kept = dir + "/viewer_window.png";
  ASSERT_EQ(run({"/usr/bin/convert", second, kept}, tree.log_path("convert")), 0);
  std::printf("screenshot kept at %s\n", kept.c_str());

  viewer.process->send_signal(SIGINT);
  EXPECT_EQ(viewer.process->wait_exit(10s), 0);
  broadcaster.process->send_signal(SIGINT);
  EXPECT_EQ(broadcaster.process->wait_exit(10s), 0);
  xvfb.send_signal(SIGTERM);
  xvfb.wait_exit(10s);
}

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

TEST(relay, metrics_and_status_report_a_running_relay) {
  local_tree tree("relay_metrics");
  auto broadcaster = tree.start_broadcaster({"--resolution", "320x180", "--fps", "15"});
  auto relay = tree.start_relay(broadcaster.port, {"--metrics-port", "0"});
  const auto served = relay.process->wait_for_line(
      [](const std::string& l) { return l.rfind("metrics on ", 0) == 0; }, 10s);
  ASSERT_TRUE(served);
  const auto port = static_cast<std::uint16_t>(std::stoi(served->substr(served->rfind(':') + 1)));
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
      {{TREECAST_VIEWER, "treecast://127.0.0.1:99999/?stream=00", "--headless"},
       "port '99999' is not a number from 1 to 65535"},
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

TEST(broadcaster, unknown_source_is_a_usage_error) {
  local_tree tree("unknown_source");
  child_process p({TREECAST_BROADCASTER, "--source", "webcam"}, tree.log_path("broadcaster"));
  EXPECT_EQ(p.wait_exit(15s), 2);
  EXPECT_NE(read_file(tree.log_path("broadcaster")).find("unknown source 'webcam'"),
            std::string::npos);
}

}  // namespace
}  // namespace treecast::testing
