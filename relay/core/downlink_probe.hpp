// What a joiner's downlink carries, timed before its first join, so that it
// asks for a rendition its link can take instead of learning it from a
// backlog that clogs the link.
//
// A viewer whose player chooses its rendition (node_config's
// rendition_for_downlink) sends the first probe of its first join round a
// second Ping right behind the usual one, asking its Pong to carry
// max_ping_padding bytes. The candidate answers in order: the unpadded Pong
// comes after a round trip, the padded one after the padding crossed the
// link as well (12 KiB fit TCP's initial window: one flight). Its bytes over
// the time between the two answers are the downlink's rate (an upper bound
// when both come in one read: a wide link). Measured in the lab: a 150
// kbit/s link that joined on the low rendition had its parent's TCP in
// flight 60 KB deep and 1.2 s behind within a second; nothing the ABR then
// decided could undo it.
//
// The round waits for the padded Pong (choose() does not run while it is
// due) until timing_patience; a probe that fails or is closed gives none.
// Once per process: rejoins and repairs keep what was measured.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "core/link_table.hpp"
#include "core/time.hpp"
#include "wire/messages.hpp"

namespace treecast::core {

class downlink_probe {
 public:
  struct measure {
    double kbps = 0;
    std::vector<std::uint32_t>
        rendition_kbps;  // as the timed Pong (else another of the round) said
  };

  explicit downlink_probe(bool wanted) : wanted_(wanted) {}

  // The padded Ping to send on probe `id` right after its usual one, if
  // this probe is the one to time (the first of the first round).
  std::optional<wire::ping> ping_for(link_id_t id, std::uint64_t nonce, time_point now);
  // The usual Pong `m` of probe `id` came at `now`. Any probe's rates
  // serve when the timed one's Pong has none (a peer that just joined).
  void on_answer(link_id_t id, const wire::pong& m, time_point now);
  // True when `m` is the padded Pong (the measure is then known, unless it
  // carried less padding than asked: then there is none).
  bool on_pong(link_id_t id, const wire::pong& m, time_point now);
  void on_link_gone(link_id_t id);

  // The padded Pong is due on a probe still open, until until().
  bool waiting() const { return timing_ && !result_; }
  time_point until() const { return timing_ ? timing_->sent + timing_patience : time_point{}; }

  // What was measured, once: the join that uses it takes it.
  std::optional<measure> take() { return std::exchange(taken_, true) ? std::nullopt : result_; }
  // What was measured (kept for the player, which weighs it the same way).
  const std::optional<measure>& measured() const { return result_; }

  // A padded Pong later than this after its Ping: the round goes on without.
  static constexpr duration timing_patience = std::chrono::seconds(2);

 private:
  struct timing {
    link_id_t link = 0;
    std::uint64_t nonce = 0;
    time_point sent{};
    std::optional<time_point> answered;  // the usual Pong
  };
  bool wanted_;
  bool started_ = false;
  bool taken_ = false;
  std::optional<timing> timing_;
  std::optional<measure> result_;
  std::vector<std::uint32_t> rates_seen_;  // the first a Pong gave
};

}  // namespace treecast::core
