// Where a peer sits in the network: a Vivaldi coordinate (Dabek et al.,
// SIGCOMM 2004, in the form serf and memberlist use), a point on a plane
// plus a height (the delay of the peer's own access link), so that the round
// trip between two peers is estimated as the distance between their points
// plus both heights.
//
// Why: a peer asked for candidates (the broadcaster, an ancestor, a full
// parent) can then hand a joiner the peers with room nearest it, and tell
// which peers of a site without labels are one office, without anyone
// probing everyone. Every round trip a peer measures anyway (its probes'
// Ping/Pong) to a peer that tells its coordinate pulls ours toward
// agreement, weighted by how sure each side is (error).
//
// One step per sample converges slowly, and a joiner has only its first
// probe round (about 16 round trips) to place itself: so the last
// `history` samples are kept and each new one replays them a few times,
// fitting the coordinate to all of them (measured here: treecast-sim, 1000
// peers, settled coordinates 3% -> see README).
//
// A liar can claim any coordinate; that only biases whom a joiner probes,
// never whom it picks (the probe's own round trip decides). Its pull on our
// coordinate is bounded: a claimed error of 0 weighs no more than an honest
// peer's, every step moves at most `max_step` of the measured discrepancy,
// and values beyond the wire limits are refused by the codec.
#pragma once

#include <deque>
#include <random>

#include "core/time.hpp"
#include "wire/messages.hpp"

namespace treecast::core {

class network_coordinate {
 public:
  // A new peer knows nothing: at the origin, most unsure.
  network_coordinate() = default;

  // One measured round trip to a peer that says it sits at `remote`.
  // Ignored when the round trip is not positive or above 10 s.
  void observe(duration rtt, const wire::coordinate& remote, std::mt19937_64& random);

  // Ours, as carried on the wire.
  wire::coordinate current() const;

  // Estimated round trip between two coordinates.
  static duration estimate(const wire::coordinate& a, const wire::coordinate& b);

  // Samples taken so far (0: our coordinate means nothing yet).
  int samples() const { return samples_; }

 private:
  struct sample {
    double rtt_ms;
    wire::coordinate remote;
  };
  // One Vivaldi step toward agreeing with `s`.
  void step(const sample& s, std::mt19937_64& random);

  double x_ms_ = 0, y_ms_ = 0, height_ms_ = min_height_ms;
  double error_ = max_error;
  int samples_ = 0;
  std::deque<sample> history_;

  static constexpr std::size_t history = 16;
  static constexpr int replays = 3;

  static constexpr double max_error = 1.5;
  // Each step's share of the error and of the position change (Vivaldi's
  // c_e and c_c; serf's defaults).
  static constexpr double error_gain = 0.25;
  static constexpr double max_step = 0.25;
  static constexpr double min_height_ms = 0.01;
  // A remote claiming less error than this is taken at this.
  static constexpr double min_remote_error = 0.05;
};

}  // namespace treecast::core
