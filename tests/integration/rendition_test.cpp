// Renditions with real programs on loopback: a viewer that starts on the
// low rendition goes up to the full one at a keyframe, through a relay that
// carries what it is asked for, and the picture goes on across the switch;
// a viewer on sound alone hears it without a gap and is no stall, and a
// moment off the CPU is not heard (the sound is taken ahead, as a sound
// card's buffer takes it) while a long one is.
#include <gtest/gtest.h>

#include <csignal>
#include <thread>

#include "local_tree.hpp"
#include "status_samples.hpp"

namespace treecast::testing {
namespace {

using namespace std::chrono_literals;

bool is_status(const std::string& line) {
  return line.rfind("status ", 0) == 0;
}

std::map<std::string, std::string> next_status(const peer_process& p) {
  const auto line = p.process->wait_for_line(is_status, 5s, p.process->lines().size());
  return line ? status_fields(*line) : std::map<std::string, std::string>{};
}

TEST(renditions, auto_goes_up_to_full_at_a_keyframe_through_a_relay_and_the_picture_goes_on) {
  local_tree tree("renditions_up");
  auto broadcaster = tree.start_broadcaster();
  auto relay = tree.start_relay(broadcaster.port);
  auto viewer = tree.start_viewer(relay.port, {"--start-rendition", "low"});

  const auto low = viewer.process->wait_for_line(
      [](const std::string& l) {
        return is_status(l) && status_fields(l)["rendition"] == "low" &&
               std::stoll(status_fields(l)["frames"]) > 0;
      },
      20s);
  ASSERT_TRUE(low) << "the viewer never played the low rendition; see " << tree.log_path("viewer1");
  const auto full = viewer.process->wait_for_line(
      [](const std::string& l) { return is_status(l) && status_fields(l)["rendition"] == "full"; },
      15s);
  ASSERT_TRUE(full) << "the viewer never went up to full on loopback";
  // Five seconds more, then compare what was encoded and decoded from the
  // first frame of the low rendition on, the switch included.
  std::size_t seen = 0;
  ASSERT_TRUE(viewer.process->wait_for_line(
      [&seen](const std::string& l) { return is_status(l) && ++seen >= 5; }, 15s,
      viewer.process->lines().size()));
  const auto decoded_samples = status_samples(*viewer.process);
  const auto encoded_samples = status_samples(*broadcaster.process);
  const double t0 = std::stod(status_fields(*low).at("t"));
  const double t1 = decoded_samples.back().t_ms;
  const double encoded = counter_at(encoded_samples, t1, &status_sample::frames) -
                         counter_at(encoded_samples, t0, &status_sample::frames);
  const double decoded = counter_at(decoded_samples, t1, &status_sample::frames) -
                         counter_at(decoded_samples, t0, &status_sample::frames);
  std::printf("low -> full: %.1f s, encoded %.0f frames, decoded %.0f (%.1f%%)\n", (t1 - t0) / 1000,
              encoded, decoded, 100 * decoded / encoded);
  EXPECT_GE(decoded, 0.9 * encoded) << "frames were lost across the switch";

  const auto last = next_status(viewer);
  ASSERT_FALSE(last.empty());
  EXPECT_EQ(last.at("rendition"), "full");
  EXPECT_GE(std::stoll(last.at("switches")), 1);
  EXPECT_EQ(last.at("discontinuities"), "0");
  for (auto* p : {&viewer, &relay, &broadcaster}) {
    p->process->send_signal(SIGINT);
    EXPECT_EQ(p->process->wait_exit(10s), 0);
  }
}

TEST(renditions, sound_alone_plays_without_a_gap_and_is_no_stall) {
  local_tree tree("renditions_audio");
  auto broadcaster = tree.start_broadcaster();
  auto viewer = tree.start_viewer(broadcaster.port, {"--rendition", "audio"});
  const auto playing = viewer.process->wait_for_line(
      [](const std::string& l) {
        return is_status(l) && status_fields(l)["rendition"] == "audio" &&
               std::stoll(status_fields(l)["audio"]) > 0;
      },
      20s);
  ASSERT_TRUE(playing) << "see " << tree.log_path("viewer1");
  std::size_t seen = 0;
  ASSERT_TRUE(viewer.process->wait_for_line(
      [&seen](const std::string& l) { return is_status(l) && ++seen >= 5; }, 15s,
      viewer.process->lines().size()));
  const auto first = status_fields(*playing);
  const auto last = next_status(viewer);
  ASSERT_FALSE(last.empty());
  const double seconds = (std::stod(last.at("t")) - std::stod(first.at("t"))) / 1000;
  const double audio = std::stod(last.at("audio")) - std::stod(first.at("audio"));
  const double frames = std::stod(last.at("frames")) - std::stod(first.at("frames"));
  std::printf("sound alone for %.1f s: %.0f audio buffers, %.0f frames\n", seconds, audio, frames);
  EXPECT_GE(audio, 0.9 * 50 * seconds);  // Opus buffers of 20 ms
  EXPECT_EQ(frames, 0) << "video decoded while on sound alone";
  EXPECT_EQ(last.at("audio_gaps"), "0");
  EXPECT_EQ(last.at("stalls"), "0") << "the picture of sound alone counted as a stall";
  viewer.process->send_signal(SIGINT);
  EXPECT_EQ(viewer.process->wait_exit(10s), 0);
  broadcaster.process->send_signal(SIGINT);
  EXPECT_EQ(broadcaster.process->wait_exit(10s), 0);
}

// The viewer process held off the CPU (SIGSTOP) for `how_long`: the fault
// itself lasts that long, so it is timed, not waited for.
void hold_off_the_cpu(const peer_process& p, std::chrono::milliseconds how_long) {
  p.process->send_signal(SIGSTOP);
  std::this_thread::sleep_for(how_long);
  p.process->send_signal(SIGCONT);
}

// The status two lines on: one whole second after the process went on.
std::map<std::string, std::string> status_after_a_second(const peer_process& p) {
  next_status(p);
  return next_status(p);
}

TEST(renditions, a_moment_off_the_cpu_is_not_heard_and_a_long_one_is) {
  local_tree tree("renditions_off_cpu");
  auto broadcaster = tree.start_broadcaster();
  auto viewer = tree.start_viewer(broadcaster.port, {"--rendition", "audio"});
  ASSERT_TRUE(viewer.process->wait_for_line(
      [](const std::string& l) {
        return is_status(l) && std::stoll(status_fields(l)["audio"]) > 100;
      },
      20s))
      << "see " << tree.log_path("viewer1");
  // Without the device-like buffer, 60 ms off the CPU was one gap.
  hold_off_the_cpu(viewer, 100ms);
  const auto after_moment = status_after_a_second(viewer);
  ASSERT_FALSE(after_moment.empty());
  EXPECT_EQ(after_moment.at("audio_gaps"), "0");
  // Longer than the 200 ms the sound is taken ahead: the listener hears it.
  hold_off_the_cpu(viewer, 600ms);
  const auto after_long = status_after_a_second(viewer);
  ASSERT_FALSE(after_long.empty());
  EXPECT_EQ(after_long.at("audio_gaps"), "1");
  EXPECT_GE(std::stoll(after_long.at("audio_gap_ms")), 300);
  for (auto* p : {&viewer, &broadcaster}) {
    p->process->send_signal(SIGINT);
    EXPECT_EQ(p->process->wait_exit(10s), 0);
  }
}

}  // namespace
}  // namespace treecast::testing
