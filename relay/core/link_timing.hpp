// What a joiner's links carry, timed before its first join: its downlink,
// so that it asks for a rendition its link can take instead of learning it
// from a backlog that clogs the link; its uplink, so that it offers no more
// slots than it can feed.
//
// The first probe of the first join round to answer its usual Ping gets
// a Ping asking its Pong to carry timing_padding bytes (a viewer
// whose player chooses its rendition: node_config's rendition_for_downlink)
// and a Ping carrying as many (a peer that takes children). The candidate
// answers in order: the padded Pong comes a round trip later plus the time
// the padding took to cross our downlink, and the answer to the carrying
// Ping a round trip later plus the time its padding took to cross our
// uplink (both directions at once: that answer may also wait behind the
// padded Pong, so a downlink narrower than the uplink hides the uplink's
// width; such a peer plays below the full rendition and takes no children
// anyway). Bytes over that time less the round trip the usual Pong took
// are the link's rate (an upper bound when nearly nothing is left: a wide
// link).
//
// Why after the usual Pong and not right behind its Ping: TCP's first
// flight is 10 packets, and (with the 4 KiB TLS records of the time) the
// handshake's last message, our Hello and 12 KiB of padding took 12. With
// CUBIC, the rest waited a round trip for the first ACK, and across the
// lab's 80 ms WAN every relay timed its 100 Mbit/s uplink at 1.2 Mbit/s
// and offered no slot; BBR's larger start had hidden it. By the usual
// Pong the handshake's packets are acknowledged and the window has grown
// by as many: the padding goes in one flight, both ways.
//
// Measured in the lab: a 150 kbit/s link that joined on the low rendition
// had its parent's TCP in flight 60 KB deep and 1.2 s behind within a
// second; nothing the ABR then decided could undo it. In the simulator,
// viewers on 1-2 Mbit/s uplinks that offered their slots fed their
// children seconds late.
//
// The round waits for the timed answers (choose() does not run while they
// are due) until timing_patience; a probe that fails or is closed gives
// none. Once per process: rejoins and repairs keep what was measured.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "core/link_table.hpp"
#include "core/time.hpp"
#include "wire/limits.hpp"
#include "wire/messages.hpp"

namespace treecast::core {

// A downlink timed at `kbps` carries less than the full rendition
// (`rendition_kbps`: the renditions' rates, the full one first; none known:
// not narrow).
inline bool narrower_than_full(double kbps, std::span<const std::uint32_t> rendition_kbps) {
  return !rendition_kbps.empty() && kbps < rendition_kbps.front();
}

class link_timing {
 public:
  struct measure {
    double kbps = 0;
    std::vector<std::uint32_t>
        rendition_kbps;  // as the timed Pong (else another of the round) said
  };

  // `downlink`: time the downlink (a viewer choosing its rendition);
  // `uplink`: time the uplink (a peer taking children).
  link_timing(bool downlink, bool uplink) : downlink_wanted_(downlink), uplink_wanted_(uplink) {}

  // Padding each way: 12 KiB with the Ping's framing, one TLS record of
  // nine packets (within the wire's max_ping_padding).
  static constexpr std::uint32_t timing_padding = 12 * 1024 - 128;
  static_assert(timing_padding <= wire::max_ping_padding);

  // The usual Pong `m` of probe `id` came at `now`, `rtt` after its Ping.
  // Returns the Pings to send on it now if this probe is the one to time
  // (the first to answer in the first round): nonces from `next_nonce`.
  // Any probe's rates serve when the timed one's Pong has none (a peer
  // that just joined).
  template <typename NonceSource>
  std::vector<wire::ping> on_answer(link_id_t id, const wire::pong& m, duration rtt,
                                    NonceSource&& next_nonce, time_point now) {
    if (rates_seen_.empty()) {
      rates_seen_ = m.rendition_kbps;
    }
    if ((!downlink_wanted_ && !uplink_wanted_) || started_) {
      return {};
    }
    started_ = true;
    timing_ = timing{id, now, rtt};
    std::vector<wire::ping> pings;
    if (downlink_wanted_) {
      timing_->downlink_nonce = next_nonce();
      pings.push_back({*timing_->downlink_nonce, timing_padding});
    }
    if (uplink_wanted_) {
      timing_->uplink_nonce = next_nonce();
      pings.push_back({*timing_->uplink_nonce, 0, std::string(timing_padding, '\0')});
    }
    return pings;
  }
  // True when `m` answers one of the timing Pings (a measure is then known,
  // unless a padded Pong carried less padding than asked: then none).
  bool on_pong(link_id_t id, const wire::pong& m, time_point now);
  void on_link_gone(link_id_t id);

  // A timed answer is due on a probe still open, until until().
  bool waiting() const { return timing_ && (timing_->downlink_nonce || timing_->uplink_nonce); }
  time_point until() const { return timing_ ? timing_->sent + timing_patience : time_point{}; }

  // What the downlink carried, once: the join that uses it takes it.
  std::optional<measure> take() { return std::exchange(taken_, true) ? std::nullopt : result_; }
  // What the downlink carried (kept for the player, which weighs it the same way).
  const std::optional<measure>& measured() const { return result_; }
  // What the downlink carried, kbit/s, when narrower than the full
  // rendition (as the timed Pong's rates say); 0 when wide or not timed.
  std::uint32_t narrow_downlink_kbps() const;
  // What the uplink carried, kbit/s, once timed.
  std::optional<double> uplink_kbps() const { return uplink_kbps_; }
  // The uplink's answer came right behind the padded Pong: the downlink
  // set its time, and the uplink carries at least uplink_kbps().
  bool uplink_hidden() const { return uplink_hidden_; }
  // The renditions' rates the first Pong that had them gave (full first).
  const std::vector<std::uint32_t>& rates_seen() const { return rates_seen_; }

  // A timed answer later than this after its Ping: the round goes on without.
  static constexpr duration timing_patience = std::chrono::seconds(2);

 private:
  // kbit/s of `bytes` that took from the timing Pings until `now`, less a
  // round trip.
  double rate_until(std::size_t bytes, time_point now) const;

  struct timing {
    link_id_t link = 0;
    time_point sent{};                              // the timing Pings
    duration rtt{};                                 // the usual Pong's
    std::optional<std::uint64_t> downlink_nonce{};  // due while set
    std::optional<std::uint64_t> uplink_nonce{};
    std::optional<time_point> downlink_answered{};  // the padded Pong
  };
  bool downlink_wanted_;
  bool uplink_wanted_;
  bool started_ = false;
  bool taken_ = false;
  std::optional<timing> timing_;
  std::optional<measure> result_;
  std::optional<double> uplink_kbps_;
  bool uplink_hidden_ = false;
  std::vector<std::uint32_t> rates_seen_;  // the first a Pong gave
};

}  // namespace treecast::core
