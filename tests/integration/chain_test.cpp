// Real processes on loopback: broadcaster -> relay -> relay -> headless
// viewer. The viewer must decode nearly every video frame the broadcaster
// encodes, with audio, at depth 3; every process stops cleanly on SIGINT.
#include <gtest/gtest.h>

#include <csignal>

#include "local_tree.hpp"

namespace treecast::testing {
namespace {

using namespace std::chrono_literals;

struct sample {
  double t_ms;
  double frames;
  double audio;
};

std::vector<sample> samples_of(const child_process& p) {
  std::vector<sample> out;
  for (const auto& line : p.lines()) {
    if (line.rfind("status ", 0) != 0) {
      continue;
    }
    auto f = status_fields(line);
    out.push_back({std::stod(f.at("t")), std::stod(f.at("frames")), std::stod(f.at("audio"))});
  }
  return out;
}

// Linear interpolation of a counter at time t.
double at(const std::vector<sample>& s, double t, double sample::*field) {
  for (std::size_t i = 1; i < s.size(); ++i) {
    if (s[i].t_ms >= t) {
      const double w = (t - s[i - 1].t_ms) / (s[i].t_ms - s[i - 1].t_ms);
      return s[i - 1].*field + w * (s[i].*field - s[i - 1].*field);
    }
  }
  return s.back().*field;
}

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

  const auto viewer_samples = samples_of(*viewer.process);
  const auto broadcaster_samples = samples_of(*broadcaster.process);
  ASSERT_GE(broadcaster_samples.size(), 3u);
  // Start one second after the viewer began playing, past the start-up burst.
  const double t0 = std::stod(status_fields(*playing).at("t")) + 1000;
  const double t1 = viewer_samples.back().t_ms;
  ASSERT_GE(t1 - t0, 5000) << "window too short";
  ASSERT_LE(t1, broadcaster_samples.back().t_ms + 1000);

  const double encoded =
      at(broadcaster_samples, t1, &sample::frames) - at(broadcaster_samples, t0, &sample::frames);
  const double decoded =
      at(viewer_samples, t1, &sample::frames) - at(viewer_samples, t0, &sample::frames);
  const double audio_sent =
      at(broadcaster_samples, t1, &sample::audio) - at(broadcaster_samples, t0, &sample::audio);
  const double audio_got =
      at(viewer_samples, t1, &sample::audio) - at(viewer_samples, t0, &sample::audio);
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
