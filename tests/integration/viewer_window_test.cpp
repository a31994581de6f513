// The viewer's window as a person uses it, under Xvfb: the picture moves,
// scales with the window keeping its aspect, goes full screen on `f` or a
// double click and back on Escape, `m` mutes, Down lowers the volume, `q`
// closes. Screenshots are kept in <build>/tests/artifacts.
#include <gtest/gtest.h>

#include <csignal>

#include "local_tree.hpp"
#include "screen.hpp"

namespace treecast::testing {
namespace {

using namespace std::chrono_literals;

TEST(viewer, window_shows_moving_video_under_xvfb) {
  local_tree tree("viewer_window");
  xvfb_display xvfb(800, 600, tree.log_path("xvfb"));
  ASSERT_FALSE(xvfb.name().empty()) << "Xvfb did not start; see " << tree.log_path("xvfb");
  const std::string display = xvfb.name();

  auto broadcaster = tree.start_broadcaster({"--resolution", "640x360", "--fps", "30"});
  auto viewer = tree.start_windowed_viewer(broadcaster.port, display);
  ASSERT_TRUE(viewer.process->wait_for_line(
      [](const std::string& l) { return is_status(l) && status_value(l, "frames") > 30; }, 20s))
      << "the viewer decoded nothing; see " << tree.log_path("viewer1");

  const std::string dir = artifact_dir();
  const std::string first = dir + "/viewer_window_1.ppm";
  const std::string second = dir + "/viewer_window_2.ppm";
  ASSERT_TRUE(screenshot(display, first, tree.log_path("import")));
  // One second of playback between the two: the viewer's next status line.
  const std::size_t mark = viewer.process->lines().size();
  ASSERT_TRUE(viewer.process->wait_for_line(is_status, 5s, mark));
  ASSERT_TRUE(screenshot(display, second, tree.log_path("import")));

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
}

// xdotool on the test's display; its stdout lines.
std::vector<std::string> xdotool(const local_tree& tree, const std::string& display,
                                 std::vector<std::string> args) {
  args.insert(args.begin(), {"/usr/bin/env", "DISPLAY=" + display, "/usr/bin/xdotool"});
  std::vector<std::string> out;
  run(std::move(args), tree.log_path("xdotool"), &out);
  return out;
}

struct geometry {
  int x = -1, y = -1, width = -1, height = -1;
};

geometry window_geometry(const local_tree& tree, const std::string& display,
                         const std::string& window) {
  geometry g;
  for (const auto& line : xdotool(tree, display, {"getwindowgeometry", "--shell", window})) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) {
      continue;
    }
    const std::string key = line.substr(0, eq);
    const int value = std::stoi(line.substr(eq + 1));
    if (key == "X") {
      g.x = value;
    } else if (key == "Y") {
      g.y = value;
    } else if (key == "WIDTH") {
      g.width = value;
    } else if (key == "HEIGHT") {
      g.height = value;
    }
  }
  return g;
}

// The next status line (from `from` on) whose `key` is `value`.
bool status_reaches(child_process& viewer, const std::string& key, long long value,
                    std::size_t from) {
  return viewer
      .wait_for_line(
          [&](const std::string& l) { return is_status(l) && status_value(l, key) == value; }, 10s,
          from)
      .has_value();
}

// Screenshot `name` after one more second of playback.
image screen_after_a_second(const local_tree& tree, child_process& viewer,
                            const std::string& display, const std::string& name) {
  const std::size_t mark = viewer.lines().size();
  viewer.wait_for_line(is_status, 5s, mark);
  const std::string path = artifact_dir() + "/" + name + ".ppm";
  if (!screenshot(display, path, tree.log_path("import"))) {
    return {};
  }
  run({"/usr/bin/convert", path, artifact_dir() + "/" + name + ".png"}, tree.log_path("convert"));
  return read_ppm(path);
}

// Resizes the 640x360 window at the top left of a black screen to 1200x675:
// the picture must fill the new size and nothing be drawn outside it.
void expect_picture_fills_resized_window(const local_tree& tree, child_process& viewer,
                                         const std::string& display, const std::string& window,
                                         const std::string& name) {
  xdotool(tree, display, {"windowsize", "--sync", window, "1200", "675"});
  const image resized = screen_after_a_second(tree, viewer, display, name);
  ASSERT_FALSE(resized.rgb.empty());
  const double outside_first = luminance_stddev(resized, 700, 400, 450, 250);
  std::printf("%s: resized to 1200x675, luminance stddev %.1f where the first window was not\n",
              name.c_str(), outside_first);
  EXPECT_GT(outside_first, 10) << "the picture did not scale with the window";
  EXPECT_LT(luminance_stddev(resized, 1210, 0, 70, 720), 1) << "drawn outside the window";
}

// A started windowed viewer's window, found by its title.
std::string window_titled(const local_tree& tree, const std::string& display,
                          const std::string& title) {
  const auto found = xdotool(tree, display, {"search", "--name", title});
  return found.size() == 1 ? found.front() : "";
}

TEST(viewer, window_scales_goes_full_screen_mutes_and_closes_on_keys) {
  local_tree tree("viewer_window_keys");
  xvfb_display xvfb(1280, 720, tree.log_path("xvfb"));
  ASSERT_FALSE(xvfb.name().empty()) << "Xvfb did not start; see " << tree.log_path("xvfb");
  const std::string display = xvfb.name();

  auto broadcaster = tree.start_broadcaster(
      {"--resolution", "640x360", "--fps", "30", "--title", "Town hall: Q4 & plans"});
  // GL here; the software scaler is auto's choice on Xvfb (the test below).
  auto viewer = tree.start_windowed_viewer(broadcaster.port, display, {"--video-output", "gl"});
  // It plays the full rendition (where it starts on a wide link): the
  // window has the broadcast's size.
  ASSERT_TRUE(viewer.process->wait_for_line(
      [](const std::string& l) {
        return is_status(l) && status_value(l, "frames") > 30 &&
               l.find(" rendition=full") != std::string::npos;
      },
      20s))
      << "the viewer decoded nothing, or not the full rendition; see " << tree.log_path("viewer1");

  EXPECT_NE(read_file(tree.log_path("viewer1")).find("drawn with --video-output gl"),
            std::string::npos);
  // The window carries the stream's title and the picture's size.
  const std::string window = window_titled(tree, display, "Town hall: Q4 & plans");
  ASSERT_FALSE(window.empty()) << "no window titled with the stream's title";
  const geometry first = window_geometry(tree, display, window);
  EXPECT_EQ(first.width, 640);
  EXPECT_EQ(first.height, 360);

  expect_picture_fills_resized_window(tree, *viewer.process, display, window, "window_resized");

  // f: full screen; the picture reaches the screen's far corner.
  std::size_t mark = viewer.process->lines().size();
  xdotool(tree, display, {"key", "--window", window, "f"});
  ASSERT_TRUE(status_reaches(*viewer.process, "fullscreen", 1, mark));
  const geometry full = window_geometry(tree, display, window);
  EXPECT_EQ(full.width, 1280);
  EXPECT_EQ(full.height, 720);
  const image whole = screen_after_a_second(tree, *viewer.process, display, "window_full_screen");
  ASSERT_FALSE(whole.rgb.empty());
  EXPECT_GT(luminance_stddev(whole, 1000, 500, 270, 200), 10)
      << "full screen, the picture does not reach the corner";

  // Escape leaves full screen, back to the size it had.
  mark = viewer.process->lines().size();
  xdotool(tree, display, {"key", "--window", window, "Escape"});
  ASSERT_TRUE(status_reaches(*viewer.process, "fullscreen", 0, mark));
  const geometry back = window_geometry(tree, display, window);
  EXPECT_EQ(back.width, 1200);
  EXPECT_EQ(back.height, 675);

  // A double click is full screen too.
  mark = viewer.process->lines().size();
  xdotool(tree, display,
          {"mousemove", "--window", window, "300", "200", "click", "--repeat", "2", "--delay",
           "100", "1"});
  EXPECT_TRUE(status_reaches(*viewer.process, "fullscreen", 1, mark))
      << "a double click did not go full screen";

  // m mutes (the volume element's mute property); Down lowers the volume.
  mark = viewer.process->lines().size();
  xdotool(tree, display, {"key", "--window", window, "m"});
  EXPECT_TRUE(status_reaches(*viewer.process, "muted", 1, mark));
  mark = viewer.process->lines().size();
  xdotool(tree, display, {"key", "--window", window, "Down"});
  EXPECT_TRUE(status_reaches(*viewer.process, "volume", 90, mark));

  // q ends watching normally.
  xdotool(tree, display, {"key", "--window", window, "q"});
  EXPECT_EQ(viewer.process->wait_exit(10s), 0);
  broadcaster.process->send_signal(SIGINT);
  EXPECT_EQ(broadcaster.process->wait_exit(10s), 0);
}

TEST(viewer, window_without_xvideo_scales_in_software) {
  local_tree tree("viewer_window_x");
  xvfb_display xvfb(1280, 720, tree.log_path("xvfb"));
  ASSERT_FALSE(xvfb.name().empty()) << "Xvfb did not start; see " << tree.log_path("xvfb");
  auto broadcaster = tree.start_broadcaster({"--resolution", "640x360", "--fps", "30"});
  // Xvfb offers no XVideo: auto falls back to software scaling.
  auto viewer = tree.start_windowed_viewer(broadcaster.port, xvfb.name());
  // Up to the full rendition first, so the window no longer grows.
  ASSERT_TRUE(viewer.process->wait_for_line(
      [](const std::string& l) {
        return is_status(l) && status_value(l, "frames") > 30 &&
               l.find(" rendition=full") != std::string::npos;
      },
      20s))
      << "the viewer decoded nothing, or not the full rendition; see " << tree.log_path("viewer1");
  EXPECT_NE(read_file(tree.log_path("viewer1")).find("drawn with --video-output x"),
            std::string::npos);
  // No --title: the window is called treecast.
  const std::string window = window_titled(tree, xvfb.name(), "treecast");
  ASSERT_FALSE(window.empty());
  expect_picture_fills_resized_window(tree, *viewer.process, xvfb.name(), window,
                                      "window_resized_software");
  viewer.process->send_signal(SIGINT);
  EXPECT_EQ(viewer.process->wait_exit(10s), 0);
}

}  // namespace
}  // namespace treecast::testing
