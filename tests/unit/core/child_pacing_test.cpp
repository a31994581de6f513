// child_pacing: a parent sends a child that said its downlink is narrow no
// faster than that link carries, and never slower than the renditions it
// asked for take.
#include "core/child_pacing.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/chunk_sealer.hpp"
#include "core_test_support.hpp"
#include "node_harness.hpp"

namespace treecast::core {
namespace {

using testing::harness;
using testing::hello_from;
using testing::root_config;
using wire::rendition;
using wire::rendition_bit;

constexpr wire::rendition_set low = rendition_bit(rendition::low);
constexpr wire::rendition_set audio = rendition_bit(rendition::audio);

// Chunk `seq`, 200 ms after the one before: 4 000 bytes of full, 1 000 of
// low, 100 of sound.
wire::chunk chunk_at(wire::seq_t seq) {
  chunk_sealer sealer("", seq);
  const std::string f(4000, 'f');
  const std::string l(1000, 'l');
  const std::string a(100, 'a');
  const chunk_sealer::rendition_payload parts[] = {
      {rendition::full, f}, {rendition::low, l}, {rendition::audio, a}};
  return sealer.seal(parts, seq * 200'000, seq % 5 == 0);
}

TEST(child_pacing, a_little_below_the_timed_downlink) {
  // 1 Mbit/s timed, a stream of 780 kbit/s: 0.9 of the link.
  EXPECT_DOUBLE_EQ(child_pace(1000, 97'500), 112'500);
}

TEST(child_pacing, never_below_what_the_renditions_asked_for_take) {
  // A 150 kbit/s link timed at 96 carrying 108 kbit/s of sound: not 86.
  EXPECT_DOUBLE_EQ(child_pace(96, 13'500), 1.1 * 13'500);
}

TEST(child_pacing, the_streams_rate_is_what_the_renditions_frames_took_lately) {
  chunk_window window(std::chrono::seconds(10), 1 << 24);
  for (wire::seq_t s = 0; s < 20; ++s) {  // 4 s of stream
    window.insert(std::make_shared<const wire::chunk>(chunk_at(s)));
  }
  const double all = stream_bytes_per_second(window, wire::all_renditions);
  const double just_low = stream_bytes_per_second(window, low);
  const double just_audio = stream_bytes_per_second(window, audio);
  // Five chunks a second, each its frame: the signatures and framing too.
  EXPECT_NEAR(all, 5 * static_cast<double>(chunk_at(19).frame->size()), 5 * 64);
  EXPECT_GT(just_low, 5 * 1000);
  EXPECT_LT(just_low, 5 * 1400);
  EXPECT_GT(just_audio, 5 * 100);
  EXPECT_LT(just_audio, 5 * 500);
  EXPECT_EQ(stream_bytes_per_second(chunk_window(std::chrono::seconds(10), 1 << 24), low), 0);
}

// The broadcaster with 4 s of stream; peer `n` joins asking for `wants`,
// saying its downlink carried `downlink_kbps`.
struct joined {
  joined(wire::rendition_set wants, std::uint32_t downlink_kbps) : h(root_config()) {
    h.start();
    for (wire::seq_t s = 0; s < 20; ++s) {
      h.source(chunk_at(s));
    }
    h.clear();
    child = h.accept();
    h.receive(child, hello_from(7, 0));
    wire::join_request join;
    join.renditions = wants;
    join.downlink_kbps = downlink_kbps;
    h.receive(child, join);
  }

  std::vector<pace_action> paces() const {
    std::vector<pace_action> out;
    for (const auto& p : h.all<pace_action>()) {
      if (p.link == child) {
        out.push_back(p);
      }
    }
    return out;
  }

  harness h;
  link_id_t child = 0;
};

TEST(child_pacing, a_joiner_with_a_narrow_downlink_is_paced_before_its_backlog) {
  joined t(low, 1000);
  const auto paces = t.paces();
  ASSERT_EQ(paces.size(), 1u);
  EXPECT_EQ(paces[0].bytes_per_second, 112'500u);
  // The pacing comes before the backlog's first chunk.
  const auto& actions = t.h.actions();
  const auto pace_at = std::find_if(actions.begin(), actions.end(), [](const action& a) {
    return std::holds_alternative<pace_action>(a);
  });
  const auto chunk_at_ = std::find_if(actions.begin(), actions.end(), [&](const action& a) {
    const auto* s = std::get_if<send_action>(&a);
    return s && s->link == t.child && s->frame->size() > 1000;
  });
  EXPECT_LT(pace_at, chunk_at_);
}

TEST(child_pacing, a_joiner_that_said_nothing_is_not_paced) {
  joined t(wire::all_renditions, 0);
  EXPECT_TRUE(t.paces().empty());
}

TEST(child_pacing, a_paced_child_asking_for_more_is_paced_for_it) {
  joined t(audio, 100);
  ASSERT_EQ(t.paces().size(), 1u);
  t.h.clear();
  t.h.receive(t.child, wire::subscribe{low});
  const auto paces = t.paces();
  ASSERT_EQ(paces.size(), 1u);
  EXPECT_DOUBLE_EQ(
      static_cast<double>(paces[0].bytes_per_second),
      std::floor(child_pace(100, stream_bytes_per_second(t.h.engine().window(), low))));
}

}  // namespace
}  // namespace treecast::core
