// Real processes on loopback: broadcaster -> relay -> relay -> headless
// viewer. The viewer must decode nearly every video frame the broadcaster
// encodes, with audio, at depth 3; every process stops cleanly on SIGINT.
#include <gtest/gtest.h>

#include <csignal>

#include "local_tree.hpp"
#include "status_samples.hpp"

namespace treecast::testing {
namespace {

using namespace std::chrono_literals;

bool viewer_playing_at_depth(const std::string& line, const std::string& depth) {
  if (line.rfind("status ", 0) != 0) {
    return false;
  }
  auto f = status_fields(line);
  return f["depth"] == depth && std::stoll(f["frames"]) > 0;
}

TEST(chain, viewer_at_depth_three_decodes_the_broadcast) {
  local_tree tree("chain");
  auto broadcaster = tree.start_broadcaster({"--resolution", "640x360", "--fps", "30"});
  auto relay1 = tree.start_relay(broadcaster.port);
  auto relay2 = tree.start_relay(relay1.port);
  auto viewer = tree.start_viewer(relay2.port);

  const auto playing = viewer.process->wait_for_line(
      [](const std::string& l) { return viewer_playing_at_depth(l, "3"); }, 20s);
  ASSERT_TRUE(playing) << "viewer never played at depth 3; see " << tree.log_path("viewer3");

  // Measure over a window of at least 5 s of status lines from both ends.
  const std::size_t mark = viewer.process->lines().size();
  std::size_t seen = 0;
  const auto enough = viewer.process->wait_for_line(
      [&seen](const std::string& l) { return l.rfind("status ", 0) == 0 && ++seen >= 7; }, 20s,
      mark);
  ASSERT_TRUE(enough);

  const auto viewer_samples = status_samples(*viewer.process);
  const auto broadcaster_samples = status_samples(*broadcaster.process);
  ASSERT_GE(broadcaster_samples.size(), 3u);
  // Start one second after the viewer began playing, past the start-up burst.
  const double t0 = std::stod(status_fields(*playing).at("t")) + 1000;
  const double t1 = viewer_samples.back().t_ms;
  ASSERT_GE(t1 - t0, 5000) << "window too short";
  ASSERT_LE(t1, broadcaster_samples.back().t_ms + 1000);

  const double encoded = counter_at(broadcaster_samples, t1, &status_sample::frames) -
                         counter_at(broadcaster_samples, t0, &status_sample::frames);
  const double decoded = counter_at(viewer_samples, t1, &status_sample::frames) -
                         counter_at(viewer_samples, t0, &status_sample::frames);
  const double audio_sent = counter_at(broadcaster_samples, t1, &status_sample::audio) -
                            counter_at(broadcaster_samples, t0, &status_sample::audio);
  const double audio_got = counter_at(viewer_samples, t1, &status_sample::audio) -
                           counter_at(viewer_samples, t0, &status_sample::audio);
  std::printf("window %.1f s: encoded %.0f frames, decoded %.0f (%.1f%%); audio %.0f/%.0f\n",
              (t1 - t0) / 1000, encoded, decoded, 100 * decoded / encoded, audio_got, audio_sent);
  EXPECT_GT(encoded, 100);  // 30 fps over >= 5 s
  EXPECT_GE(decoded, 0.95 * encoded);
  EXPECT_GE(audio_got, 0.9 * audio_sent);

  auto last = status_fields(*viewer.process->wait_for_line(
      [](const std::string& l) { return l.rfind("status ", 0) == 0; }, 5s,
      viewer.process->lines().size() - 1));
  EXPECT_EQ(last["depth"], "3");
  EXPECT_GT(std::stoll(last["latency_ms"]), 0);
  std::printf("viewer latency at depth 3: %s ms\n", last["latency_ms"].c_str());

  // Ctrl-C stops each program cleanly, leaves first.
  for (auto* p : {&viewer, &relay2, &relay1, &broadcaster}) {
    p->process->send_signal(SIGINT);
    EXPECT_EQ(p->process->wait_exit(10s), 0);
  }
}

}  // namespace
}  // namespace treecast::testing
