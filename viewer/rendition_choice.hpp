// Which rendition a viewer asks for: the best its downlink carries (ABR).
//
// It watches each chunk's lag (capture -> arrival). The smallest lag of the
// last window is the path's own delay; lag above it ("excess") is stream
// queued somewhere on the way. A keyframe's chunk on a narrow link makes a
// spike that drains (no reason to move); a link that does not carry what we
// ask for makes excess that grows chunk after chunk. So: excess rising over
// `rising_chunks` chunks in a row (each by `behind_step`, more than a
// path's jitter) by `rising_excess` in all, or staying above `down_excess`
// for `sustain` without draining since its peak (by `drain_share` of the
// time at least: a link with room catches up after a TCP loss, if slowly:
// 25% of room drains 290 ms in a second), steps one rendition down (full
// -> low -> sound alone); excess past `audio_excess` and not falling goes
// straight to sound alone, before the player's buffer runs dry (chunks
// held up together by a busy moment arrive at once, each with less excess
// than the one before: no reason to move). After a step down the backlog drains
// for `settle` before another step. The step that loses the picture waits
// `picture_patience` for the lag to drain (a TCP loss or a slow moment of
// the link held a keyframe back: 300 ms at 520 kbit/s measured on a
// 1 Mbit/s link every ten seconds or so) and is taken only if the lag grew
// meanwhile; from full, the low video is asked for meanwhile.
//
// It starts at the low rendition (a third of the join's backlog on a link
// not known yet) and goes up as the first keyframes show room.
//
// While the lag rises chunk after chunk (by `behind_step` at least), the
// link is the bottleneck and sends chunks back to back: their bytes over
// the time between their arrivals are the link's rate. `behind_chunks`
// such chunks with the excess past `behind_excess` and a rate under half
// the low video's (`no_picture_share`) go straight to sound alone: a 150
// kbit/s link that began on the low rendition hears the sound within a
// second or two, before its queue and TCP's backoff make the parent look
// silent. The first wait of a stretch is left out of its rate, and a
// stretch is five chunks at least: a TCP loss on a link that carries the
// stream holds one or two chunks back (lag 218 -> 316 -> 371 ms, then a
// burst, measured on 1 Mbit/s), which looked like 350 kbit/s.
// (A rate that carries a picture is left to the lag's rules: a parent that
// stalled and caught up shows one too; but when the lag is deep enough for
// sound alone and that rate carries the low video, full steps to low.)
//
// Going up needs room for the next rendition, known before asking for it:
// a chunk much larger than most (a keyframe's) crosses a narrow link slowly,
// so its bytes over its excess are the link's rate; on a wide link its
// excess is nil. Up one rendition when those samples say the link carries
// the next one's measured rate (rendition_kbps, signed by the broadcaster)
// with `headroom`, once the lag has been calm for `calm_for` and `hold` has
// passed since the last step down. From sound alone (no keyframes to time)
// it goes up on trial after `hold`; a step up that has to come back within
// `hold` doubles the hold (up to `max_hold`), so a link at its limit is not
// tried every few seconds.
//
// Pure logic with an injected clock (microseconds). Not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>

#include "wire/messages.hpp"

namespace treecast::viewer {

class rendition_choice {
 public:
  struct config {
    int rising_chunks = 4;
    std::int64_t rising_excess_us = 60'000;
    std::int64_t down_excess_us = 100'000;
    std::int64_t sustain_us = 400'000;
    double drain_share = 0.1;
    std::int64_t picture_patience_us = 1'000'000;
    std::int64_t audio_excess_us = 250'000;
    std::int64_t settle_us = 2'000'000;
    std::int64_t calm_excess_us = 40'000;
    std::int64_t calm_for_us = 2'000'000;
    std::int64_t first_hold_us = 8'000'000;
    std::int64_t max_hold_us = 128'000'000;
    // A join timed narrower than the low video starts on sound alone and
    // tries the low video after this (doubling after each failed try, as
    // any step up) unless the join's backlog shows a wider link (then
    // first_hold: a candidate delaying its padded Pong on purpose costs a
    // viewer seconds of picture). As long as max_hold: on a narrow link the
    // backlog often shows nothing (150 kbit/s carries sound alone at 1.5
    // times its pace, too close to tell), and a trial after 32 s cost each
    // such viewer in the lab 5-40 pieces of sound.
    std::int64_t timed_start_hold_us = 128'000'000;
    std::int64_t window_us = 10'000'000;
    double headroom = 1.3;
    std::int64_t behind_excess_us = 150'000;
    // Each chunk of a back-to-back stretch later than the one before by this.
    std::int64_t behind_step_us = 10'000;
    // Chunks of the stretch after its first, sent back to back.
    std::size_t behind_chunks = 5;
    double down_headroom = 1.1;
    // The back-to-back rate is the parent connection's share of the link
    // (a standby, an old parent draining share it: 370-530 kbit/s measured
    // on 1 Mbit/s): sound alone only below this share of the low video's.
    double no_picture_share = 0.5;
    // A chunk this many times the average size times the link (a keyframe's).
    double large_chunk = 1.5;
  };

  rendition_choice() : rendition_choice(config{}) {}
  // `start`: where it begins (the viewer passes its --start-rendition,
  // full unless told; low here by default).
  explicit rendition_choice(config c, wire::rendition start = wire::rendition::low)
      : config_(c), wanted_(start) {}

  // Chunk arrived at `now_us`, captured at `capture_us`, `bytes` on the wire;
  // `kbps`: the renditions' measured rates when it carries them (keyframes).
  void on_chunk(std::int64_t now_us, std::int64_t capture_us, std::size_t bytes,
                std::span<const std::uint32_t> kbps);

  wire::rendition wanted() const { return wanted_; }

  // The rendition to join with on a downlink timed at `kbps` before the
  // join (the engine's link_timing), given the renditions' rates: the
  // best whose rate with down_headroom fits, not above `start`; sound alone
  // when no picture fits; `start` when the rates are not known.
  static wire::rendition for_downlink(double kbps, std::span<const std::uint32_t> rates,
                                      wire::rendition start, const config& c);
  static wire::rendition for_downlink(double kbps, std::span<const std::uint32_t> rates,
                                      wire::rendition start);
  // The join asked for for_downlink(): start there. Below the low video's
  // rate, sound alone holds timed_start_hold (a trial queues seconds of
  // video ahead of the sound on such a link), and the join's backlog
  // checks the timing: a chunk of the first second that comes sooner after
  // the one before than it was captured after it was sent at once with it,
  // at the link's pace. Above four times the timed rate (a candidate that
  // delayed its padded Pong on purpose, or a link that widened), the hold
  // is first_hold; near it, the link is narrow indeed: max_hold.
  void start_from_downlink(std::int64_t now_us, double kbps, std::span<const std::uint32_t> rates);
  // Below the full rendition because the link said so (a step down, or
  // the join or keyframes timed it narrower than the full rendition needs),
  // not just starting low. Such a link has no room for a second copy of
  // anything.
  bool held_down() const;
  // Changes of the rendition asked for, down and up.
  std::uint64_t switches() const { return switches_; }
  // The link's rate as large chunks measured it (kbit/s); nullopt unknown.
  std::optional<double> capacity_kbps() const;
  // Why the latest switch was made, for the log ("excess lag 312 ms and
  // not falling", ...); empty before any.
  const std::string& reason() const { return reason_; }

 private:
  bool has(wire::rendition r) const;
  void go(wire::rendition r, std::int64_t now_us, bool down, std::string reason);
  std::optional<wire::rendition> above(wire::rendition r) const;
  std::optional<wire::rendition> below(wire::rendition r) const;
  void maybe_go_up(std::int64_t now_us);
  // Down to `to` for `why`; sound alone only after picture_patience.
  void step_down(wire::rendition to, std::int64_t now_us, std::int64_t excess_us, std::string why);
  // While in doubt: true when it went to sound alone now.
  bool picture_doubt_settled(std::int64_t now_us, std::int64_t excess_us);
  // After a start on sound alone from a narrow timing: the join's backlog
  // confirms it (max_hold) or not (first_hold).
  void check_timed_start(std::int64_t now_us, std::int64_t capture_us, std::size_t bytes);

  config config_;
  // Started low, it has a third of the join's backlog on a link yet
  // unknown, and goes up as soon as the first keyframes show room (no hold,
  // no trial).
  wire::rendition wanted_;
  std::uint64_t switches_ = 0;
  std::string reason_;
  bool stepped_down_ = false;
  std::uint32_t kbps_[wire::rendition_count] = {};  // 0 = the broadcast has none
  struct lag_sample {
    std::int64_t at_us;
    std::int64_t lag_us;
  };
  std::deque<lag_sample> lags_;  // increasing lag from front to back (sliding minimum)
  struct rate_sample {
    std::int64_t at_us;
    double kbps;
  };
  std::deque<rate_sample> rates_;  // of the rendition asked for now
  struct excess_sample {
    std::int64_t at_us;
    std::int64_t excess_us;
  };
  std::deque<excess_sample> recent_;
  // The latest chunks: arrival, lag, bytes.
  struct arrival {
    std::int64_t at_us;
    std::int64_t lag_us;
    std::size_t bytes;
  };
  std::deque<arrival> arrivals_;
  // Whether the rate the link showed while behind carries no video
  // rendition (no_picture_share of its rate).
  bool no_picture_fits(double kbps) const;
  // The rate of the latest stretch of chunks sent back to back, of `chunks`
  // after its first at least; `after_first_wait`: the wait before its second
  // chunk left out (it may be a hole, not the link's pace).
  std::optional<double> behind_rate_kbps(std::int64_t excess_us, std::size_t chunks,
                                         bool after_first_wait) const;
  std::optional<std::int64_t>
      previous_excess_us_;  // the last sustain_us, and rising_chunks at least
  // Why the lag says the link does not carry what we ask; empty when it does.
  std::string overloaded() const;
  double average_bytes_ = 0;
  double usual_excess_us_ = 0;     // of chunks of usual size: the path's own jitter
  std::int64_t last_busy_us_ = 0;  // the latest chunk with excess above calm
  std::optional<std::int64_t> last_switch_us_;
  std::optional<std::int64_t> last_up_us_;
  std::int64_t hold_us_ = 0;
  std::optional<std::int64_t> last_down_us_;
  // A step to sound alone waiting for picture_patience.
  struct picture_doubt {
    std::int64_t since_us;
    std::int64_t excess_us;
    std::string why;
  };
  std::optional<picture_doubt> doubt_;
  // As the join timed it, or its backlog when that read far wider.
  std::optional<double> downlink_kbps_;
  std::int64_t timed_at_us_ = 0;  // when the join timed it
  struct backlog_check {
    double timed_kbps = 0;
    std::optional<std::int64_t> first_us;
    std::int64_t last_at_us = 0;
    std::int64_t last_capture_us = 0;
    std::size_t arrived = 0;  // bytes of every chunk so far
    std::size_t bytes = 0;    // of the chunks that waited, past the first bucketful
    // The arrival of the chunk before the first of them: their time is from
    // there to the latest, whatever came between (a player busy for a while
    // reads several at once; summing only the gaps of the counted ones, a
    // 150 kbit/s link read as 1.8 and 46 Mbit/s).
    std::optional<std::int64_t> span_from_us;
    std::int64_t span_us = 0;
    int chunks = 0;
  };
  std::optional<backlog_check> backlog_check_;
  static constexpr std::int64_t backlog_window_us = 1'000'000;
  // A shaper's bucket lets some through at once before its rate applies
  // (the lab's: 4 KB at 150 kbit/s, a home router's alike); those chunks
  // tell nothing of the rate, and counted, they made a 150 kbit/s link read
  // over 2.4 times its timed rate. More would leave a second of sound
  // alone (11 KB) too little to tell a lying candidate by.
  static constexpr std::size_t bucket_bytes = 4 * 1024;
};

}  // namespace treecast::viewer
