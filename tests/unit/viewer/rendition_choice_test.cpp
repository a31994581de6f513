// rendition_choice with a fake clock: down before the buffer runs dry, up
// only when large chunks show room for the next rendition, a failed step up
// holds longer.
#include "rendition_choice.hpp"

#include <gtest/gtest.h>

namespace treecast::viewer {
namespace {

using wire::rendition;

constexpr std::int64_t frame_us = 33'333;
// full 2064, low 730, audio 64 kbit/s: what the broadcaster signs.
const std::vector<std::uint32_t> kbps{2064, 730, 64};

// A stream of one chunk per frame, a keyframe chunk (6x the bytes) a second;
// `link_kbps` 0 = a link much wider than the stream.
struct stream {
  rendition_choice choice;
  std::int64_t now_us = 1'000'000'000;
  std::int64_t capture_us = now_us - 50'000;
  std::int64_t queue_us = 0;  // what the link still has to send, in time
  int n = 0;

  void run(double seconds, double link_kbps) {
    for (int i = 0; i < seconds * 30; ++i, ++n) {
      const bool key = n % 30 == 0;
      const double kbit_per_frame =
          (rate_kbps() / 30.0) * (key ? 6.0 / (1 + 5.0 / 30) : 1.0 / (1 + 5.0 / 30));
      const auto bytes = static_cast<std::size_t>(kbit_per_frame * 1000 / 8);
      // The link sends this chunk after what is queued; it drains a frame a frame.
      const std::int64_t send_us =
          link_kbps > 0 ? static_cast<std::int64_t>(kbit_per_frame / link_kbps * 1e6) : 500;
      queue_us = std::max<std::int64_t>(0, queue_us - frame_us) + send_us;
      choice.on_chunk(
          capture_us + 40'000 + queue_us, capture_us, bytes,
          key ? std::span<const std::uint32_t>(kbps) : std::span<const std::uint32_t>());
      capture_us += frame_us;
    }
  }
  double rate_kbps() const { return kbps[static_cast<std::size_t>(choice.wanted())]; }

  // The join's backlog on sound alone: ten chunks of 700 bytes captured
  // two frames apart, sent at once 700 ms after the first's capture; the
  // first `at_once` come a millisecond apart (a shaper's bucket), the
  // rest `apart_us` apart. The live chunks come after.
  void sound_backlog(int at_once, std::int64_t apart_us) {
    std::int64_t at_us = capture_us + 700'000;
    for (int i = 0; i < 10; ++i) {
      at_us += i == 0 ? 0 : i < at_once ? 1'000 : apart_us;
      choice.on_chunk(at_us, capture_us, 700, {});
      capture_us += 2 * frame_us;
    }
    capture_us = at_us - 40'000;
  }

  // Chunks of 6 kB as measured in the lab: {arrival ms from now, lag ms},
  // where `path_ms` was the lab's lag with nothing queued.
  void replay(std::span<const std::pair<int, int>> measured, int path_ms) {
    const std::int64_t start_us = capture_us + 40'000;
    for (const auto& [at_ms, lag_ms] : measured) {
      const std::int64_t at_us = start_us + at_ms * 1000;
      choice.on_chunk(at_us, at_us - (lag_ms - path_ms) * 1000 - 40'000, 6000, {});
    }
  }
};

TEST(rendition_choice, a_wide_link_goes_from_low_to_full_within_seconds_and_stays) {
  stream s;
  EXPECT_EQ(s.choice.wanted(), rendition::low);  // a third of the join's backlog
  s.run(4, 0);
  EXPECT_EQ(s.choice.wanted(), rendition::full);
  s.run(30, 0);
  EXPECT_EQ(s.choice.wanted(), rendition::full);
  EXPECT_EQ(s.choice.switches(), 1u);
}

TEST(rendition_choice, a_narrow_link_goes_down_before_the_buffer_runs_dry_and_stays) {
  stream s;
  s.run(5, 0);
  ASSERT_EQ(s.choice.wanted(), rendition::full);
  s.run(60, 1000);  // 1 Mbit/s: low (730) fits, full does not
  EXPECT_EQ(s.choice.wanted(), rendition::low);
  ASSERT_TRUE(s.choice.capacity_kbps());
  EXPECT_LT(*s.choice.capacity_kbps(), 1.3 * 2064);
  EXPECT_LE(s.choice.switches(), 3u);  // up at the start, down (maybe by way of sound alone)
}

TEST(rendition_choice, a_narrow_link_from_the_start_stays_low) {
  stream s;
  s.run(30, 1000);
  EXPECT_EQ(s.choice.wanted(), rendition::low);
  EXPECT_EQ(s.choice.switches(), 0u);
  EXPECT_TRUE(s.choice.held_down());  // keyframes said full does not fit
}

TEST(rendition_choice, a_link_narrower_than_the_low_video_loses_the_picture_after_patience) {
  // 600 kbit/s under the low video's 730: more than half of it, so not the
  // back-to-back rule; the lag grows, and a second later it is sound alone.
  stream s;
  s.run(30, 600);
  EXPECT_EQ(s.choice.wanted(), rendition::audio);
  EXPECT_NE(s.choice.reason().find(" after "), std::string::npos) << s.choice.reason();
}

TEST(rendition_choice, a_keyframe_held_back_by_a_slow_moment_keeps_the_picture) {
  // Measured on 1 Mbit/s playing low at 15 fps (arrival ms, lag ms): a
  // keyframe, then 300 ms at ~520 kbit/s (the lag rose four chunks in a
  // row), then the link caught up at its usual 25% of room.
  stream s;
  s.run(10, 1000);
  ASSERT_EQ(s.choice.wanted(), rendition::low);
  const auto switches = s.choice.switches();
  const std::pair<int, int> measured[] = {
      {0, 221},    {115, 270},  {226, 316},  {309, 332},  {391, 346},  {443, 332},
      {498, 320},  {553, 309},  {608, 298},  {663, 287},  {718, 276},  {773, 265},
      {828, 254},  {883, 243},  {938, 232},  {993, 224},  {1060, 221}, {1127, 220},
      {1194, 221}, {1261, 220}, {1328, 221}, {1395, 220}, {1462, 221}, {1529, 220}};
  s.replay(measured, 181);
  EXPECT_EQ(s.choice.switches(), switches) << s.choice.reason();
}

TEST(rendition_choice, a_wide_link_starting_low_is_not_held_down) {
  stream s;
  s.run(0.5, 0);
  EXPECT_EQ(s.choice.wanted(), rendition::low);
  EXPECT_FALSE(s.choice.held_down());
}

TEST(rendition_choice, a_hole_after_a_little_jitter_is_no_reason_to_move) {
  // Measured on 1 Mbit/s playing low at 15 fps (arrival ms, lag ms): the
  // path's jitter makes three chunks each a little later, then TCP holds
  // one back; the lag had risen over four chunks, by a hole.
  stream s;
  s.run(10, 1000);
  ASSERT_EQ(s.choice.wanted(), rendition::low);
  const auto switches = s.choice.switches();
  const std::pair<int, int> measured[] = {{0, 218},   {69, 220},  {137, 221},
                                          {297, 315}, {379, 330}, {420, 290},
                                          {470, 250}, {530, 222}, {600, 219}};
  s.replay(measured, 178);
  EXPECT_EQ(s.choice.switches(), switches) << s.choice.reason();
}

TEST(rendition_choice, a_very_narrow_link_plays_sound_alone) {
  stream s;
  s.run(5, 0);
  s.run(60, 150);
  EXPECT_EQ(s.choice.wanted(), rendition::audio);
}

TEST(rendition_choice, a_very_narrow_link_from_the_start_hears_the_sound_within_two_seconds) {
  // It starts on the low rendition, five times what the link carries: the
  // lag, deep and rising, says so (or the rate of the chunks sent back to
  // back, whichever comes first) in one step.
  stream s;
  s.run(2, 150);
  EXPECT_EQ(s.choice.wanted(), rendition::audio);
  EXPECT_EQ(s.choice.switches(), 1u);
}

TEST(rendition_choice, chunks_sent_back_to_back_slower_than_the_low_video_go_to_sound_alone) {
  // Full on a link that suddenly carries 200 kbit/s: the lag's rules would
  // take the low video first; five chunks in a row, each later than the one
  // before, at under half the low video's rate say sound alone at once.
  stream s;
  s.run(5, 0);
  ASSERT_EQ(s.choice.wanted(), rendition::full);
  s.choice =
      rendition_choice(rendition_choice::config{.audio_excess_us = 10'000'000}, rendition::full);
  s.run(5, 0);
  s.run(1, 200);
  EXPECT_EQ(s.choice.wanted(), rendition::audio);
  EXPECT_NE(s.choice.reason().find("while the stream fell behind"), std::string::npos)
      << s.choice.reason();
}

TEST(rendition_choice, a_loss_on_a_link_that_carries_the_stream_is_no_reason_for_sound_alone) {
  // 1 Mbit/s on the low rendition; TCP loses twice in a row and holds two
  // chunks back by 100 and 190 ms (as measured in the lab), then the link
  // drains what waited.
  stream s;
  s.run(10, 1000);
  ASSERT_EQ(s.choice.wanted(), rendition::low);
  const auto switches = s.choice.switches();
  s.queue_us += 100'000;
  s.run(1.0 / 30, 1000);
  s.queue_us += 90'000;
  s.run(10, 1000);
  EXPECT_EQ(s.choice.wanted(), rendition::low) << s.choice.reason();
  EXPECT_EQ(s.choice.switches(), switches);
}

TEST(rendition_choice, a_step_too_far_up_comes_back_one_step_not_to_sound_alone) {
  // (The back-to-back rate, 1 Mbit/s, carries the low video: the lag steps.)
  stream s;
  s.run(4, 0);
  ASSERT_EQ(s.choice.wanted(), rendition::full);
  s.run(3, 1000);  // the link narrowed under full: low (730) still fits
  EXPECT_EQ(s.choice.wanted(), rendition::low);
  EXPECT_EQ(s.choice.switches(), 2u);
}

TEST(rendition_choice, room_again_goes_back_up) {
  stream s;
  s.run(5, 0);
  s.run(20, 1000);
  ASSERT_EQ(s.choice.wanted(), rendition::low);
  s.run(20, 0);  // the link widened: keyframes cross at once
  EXPECT_EQ(s.choice.wanted(), rendition::full);
}

TEST(rendition_choice, chunks_held_up_together_once_are_no_reason_to_move) {
  // This machine was busy for 300 ms: nine chunks arrive at once, then the
  // stream goes on as before.
  stream s;
  s.run(5, 0);
  ASSERT_EQ(s.choice.wanted(), rendition::full);
  const std::int64_t arrival = s.capture_us + 40'000 + 300'000;
  for (int i = 0; i < 9; ++i, s.capture_us += frame_us) {
    s.choice.on_chunk(arrival, s.capture_us, 8000, {});
  }
  s.run(10, 0);
  EXPECT_EQ(s.choice.wanted(), rendition::full);
  EXPECT_EQ(s.choice.switches(), 1u);  // the one up at the start
}

TEST(rendition_choice, the_join_asks_for_what_the_timed_downlink_carries_never_above_the_start) {
  using c = rendition_choice;
  EXPECT_EQ(c::for_downlink(150, kbps, rendition::low), rendition::audio);
  EXPECT_EQ(c::for_downlink(1000, kbps, rendition::low), rendition::low);
  EXPECT_EQ(c::for_downlink(90'000, kbps, rendition::low), rendition::low);  // not above
  EXPECT_EQ(c::for_downlink(90'000, kbps, rendition::full), rendition::full);
  EXPECT_EQ(c::for_downlink(1000, kbps, rendition::full), rendition::low);
  EXPECT_EQ(c::for_downlink(150, {}, rendition::low), rendition::low);  // rates unknown
}

TEST(rendition_choice, a_join_timed_narrower_than_full_is_held_down_from_the_start) {
  stream narrow;
  narrow.choice.start_from_downlink(narrow.now_us, 1000, kbps);
  EXPECT_EQ(narrow.choice.wanted(), rendition::low);
  EXPECT_TRUE(narrow.choice.held_down());  // takes no children: its link is the limit
  stream wide;
  wide.choice.start_from_downlink(wide.now_us, 90'000, kbps);
  EXPECT_EQ(wide.choice.wanted(), rendition::low);
  EXPECT_FALSE(wide.choice.held_down());
}

TEST(rendition_choice, keyframes_that_look_wide_do_not_undo_a_narrow_join) {
  // A shaper's bucket and queue take a keyframe in at once: it looks wide.
  // (Calm forever here: no step up, which would end the hold by itself.)
  stream s;
  s.choice = rendition_choice(rendition_choice::config{.calm_for_us = 1'000'000'000'000});
  s.choice.start_from_downlink(s.now_us, 1000, kbps);
  s.run(5, 0);
  ASSERT_EQ(s.choice.wanted(), rendition::low);
  ASSERT_TRUE(s.choice.capacity_kbps());
  EXPECT_GT(*s.choice.capacity_kbps(), 1.3 * kbps[0]);
  EXPECT_TRUE(s.choice.held_down());
}

TEST(rendition_choice, keyframes_that_look_wide_do_not_take_a_narrow_join_up) {
  // Joined at 1000 kbit/s: low. Keyframes a shaper took in at once say the
  // link is wide, and the lag is calm: still low until max_hold.
  stream s;
  s.choice.start_from_downlink(s.now_us, 1000, kbps);
  s.run(60, 0);
  EXPECT_EQ(s.choice.wanted(), rendition::low);
  EXPECT_EQ(s.choice.switches(), 0u);
  s.run(80, 0);
  EXPECT_EQ(s.choice.wanted(), rendition::full) << "after max_hold the keyframes count again";
  // A join timed wide goes up on its keyframes at once.
  stream wide;
  wide.choice.start_from_downlink(wide.now_us, 90'000, kbps);
  wide.run(5, 0);
  EXPECT_EQ(wide.choice.wanted(), rendition::full);
}

TEST(rendition_choice, a_start_on_sound_alone_from_the_timed_downlink_holds_long) {
  stream s;
  s.choice.start_from_downlink(s.now_us, 150, kbps);
  EXPECT_EQ(s.choice.wanted(), rendition::audio);
  EXPECT_EQ(s.choice.switches(), 0u);  // where it starts, not a switch
  EXPECT_TRUE(s.choice.held_down());
  s.run(60, 150);
  EXPECT_EQ(s.choice.wanted(), rendition::audio);
  EXPECT_EQ(s.choice.switches(), 0u);
}

TEST(rendition_choice, a_join_timed_narrow_by_a_liar_is_found_out_by_the_backlog) {
  // The candidate delayed its padded Pong: the link is wide. Its backlog
  // (ten chunks sent at once) crosses in a millisecond.
  stream s;
  s.choice.start_from_downlink(s.now_us, 150, kbps);
  const std::int64_t sent_us = s.capture_us + 300'000;
  for (int i = 0; i < 10; ++i) {
    s.choice.on_chunk(sent_us + i * 100, s.capture_us, 700, {});
    s.capture_us += frame_us;
  }
  s.capture_us = sent_us + 1000 - 40'000 + frame_us;  // the live chunks come after
  s.run(7, 0);
  EXPECT_EQ(s.choice.wanted(), rendition::audio);
  s.run(5, 0);
  EXPECT_NE(s.choice.wanted(), rendition::audio) << "a picture after first_hold";
}

TEST(rendition_choice, a_backlog_that_crosses_near_the_timed_rate_confirms_a_narrow_link) {
  // Ten chunks of sound alone (700 bytes, 15 a second) sent at once cross
  // a 150 kbit/s link 37 ms apart, the first few behind a shaper's bucket
  // at once. Near the timed rate, past the bucket: no trial for a minute
  // (even were the link wide now).
  struct narrow_link {
    double timed_kbps;
    int at_once;
    const char* what;
  };
  for (const narrow_link& n : {
           narrow_link{150, 0, "no bucket: the timed rate"},
           // 2.5 times the timed rate (its padding overflowed the router's
           // queue): no proof of a lie.
           narrow_link{95, 4, "a bucket, timed low"},
           // All counted, 4.4 times the timed rate (a lying candidate);
           // past the bucket (4.2 KB), twice.
           narrow_link{75, 6, "the first bucketful tells nothing of the rate"},
       }) {
    SCOPED_TRACE(n.what);
    stream s;
    s.choice.start_from_downlink(s.now_us, n.timed_kbps, kbps);
    s.sound_backlog(n.at_once, 37'000);
    s.run(60, 0);
    EXPECT_EQ(s.choice.wanted(), rendition::audio);
  }
}

TEST(rendition_choice, a_backlog_read_in_batches_by_a_busy_player_is_no_wider_link) {
  // Timed at 96 kbit/s; the backlog crosses a 120 kbit/s link (700 bytes
  // each 47 ms) but the player, busy, reads it four chunks at a time.
  stream s;
  s.choice.start_from_downlink(s.now_us, 96, kbps);
  std::int64_t at_us = s.capture_us + 700'000;
  for (int i = 0; i < 16; ++i) {
    const bool batch_starts = i % 4 == 0;
    at_us += i == 0 ? 0 : batch_starts ? 4 * 47'000 : 10;
    s.choice.on_chunk(at_us, s.capture_us, 700, {});
    s.capture_us += 2 * frame_us;
  }
  s.capture_us = at_us - 40'000;
  s.run(60, 0);
  EXPECT_EQ(s.choice.wanted(), rendition::audio) << "no trial within a minute";
}

TEST(rendition_choice, a_backlog_wider_than_timed_but_far_short_of_the_picture_tries_no_sooner) {
  // Timed at 70 kbit/s; the backlog crosses at 300 (every chunk 19 ms
  // apart): over four times the timing, so first_hold, but the low video
  // needs 730 with headroom: no trial before max_hold.
  stream s;
  s.choice.start_from_downlink(s.now_us, 70, kbps);
  s.sound_backlog(0, 19'000);
  s.run(120, 0);
  EXPECT_EQ(s.choice.wanted(), rendition::audio);
  s.run(10, 0);
  EXPECT_NE(s.choice.wanted(), rendition::audio) << "after max_hold, a trial";
}

TEST(rendition_choice, without_a_backlog_to_check_a_narrow_timing_holds_two_minutes) {
  stream s;
  s.choice.start_from_downlink(s.now_us, 150, kbps);
  s.run(120, 0);  // chunks one by one at the stream's pace: nothing to check
  EXPECT_EQ(s.choice.wanted(), rendition::audio);
  s.run(10, 0);
  EXPECT_NE(s.choice.wanted(), rendition::audio);
}

TEST(rendition_choice, a_broadcast_without_renditions_plays_full) {
  rendition_choice c;
  const std::vector<std::uint32_t> full_only{1};
  std::int64_t t = 0;
  for (int i = 0; i < 100; ++i, t += frame_us) {
    // ever later, but nothing to go to
    c.on_chunk(t + 40'000 + i * 20'000, t, 1000,
               i % 30 == 0 ? full_only : std::vector<std::uint32_t>{});
  }
  EXPECT_EQ(c.wanted(), rendition::full);
}

}  // namespace
}  // namespace treecast::viewer
