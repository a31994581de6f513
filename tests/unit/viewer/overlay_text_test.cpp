// The viewer window's status overlay: the rendition playing is in it.
#include "overlay_text.hpp"

#include <gtest/gtest.h>

namespace treecast::viewer {
namespace {

TEST(overlay_text, names_the_rendition_playing_and_the_sound) {
  overlay_figures f;
  f.play_latency_ms = 240;
  f.buffer_ms = 180;
  f.depth = 3;
  f.parent = "10.1.0.7:7000";
  f.chunks_missed = 2;
  f.repairs = 1;
  f.stall_ms = 40;
  f.playing = wire::rendition::low;
  f.volume_percent = 80;
  EXPECT_EQ(overlay_text(f),
            "latency 240 ms   buffer 180 ms\ndepth 3   parent 10.1.0.7:7000\n"
            "missed 2   repairs 1   stalled 40 ms\nplays low   volume 80%");
  f.playing = wire::rendition::audio;
  f.muted = true;
  EXPECT_NE(overlay_text(f).find("plays sound alone   sound muted (m)"), std::string::npos);
}

TEST(overlay_text, says_dashes_before_joining_and_playing) {
  const std::string text = overlay_text({});
  EXPECT_NE(text.find("depth -   parent -"), std::string::npos);
  EXPECT_NE(text.find("plays -"), std::string::npos);
}

}  // namespace
}  // namespace treecast::viewer
