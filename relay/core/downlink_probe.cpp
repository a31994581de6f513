#include "core/downlink_probe.hpp"

#include <algorithm>

#include "wire/limits.hpp"

namespace treecast::core {

std::optional<wire::ping> downlink_probe::ping_for(link_id_t id, std::uint64_t nonce,
                                                   time_point now) {
  if (!wanted_ || started_) {
    return std::nullopt;
  }
  started_ = true;
  timing_ = timing{id, nonce, now, std::nullopt};
  return wire::ping{nonce, wire::max_ping_padding};
}

void downlink_probe::on_answer(link_id_t id, const wire::pong& m, time_point now) {
  if (rates_seen_.empty()) {
    rates_seen_ = m.rendition_kbps;
  }
  if (timing_ && timing_->link == id && !timing_->answered) {
    timing_->answered = now;
  }
}

bool downlink_probe::on_pong(link_id_t id, const wire::pong& m, time_point now) {
  if (!timing_ || timing_->link != id || m.nonce != timing_->nonce || result_) {
    return false;
  }
  if (m.padding.size() != wire::max_ping_padding) {
    timing_.reset();  // not what was asked (a peer of another build, or a liar): no measure
    return true;
  }
  // TCP delivers in order: the usual Pong came first. Both in one read: a
  // link wider than this can tell (1 ms for the padding at least).
  const time_point from = timing_->answered.value_or(timing_->sent);
  const double seconds = std::max(std::chrono::duration<double>(now - from).count(), 0.001);
  result_ = measure{static_cast<double>(m.padding.size()) * 8 / 1000 / seconds,
                    m.rendition_kbps.empty() ? rates_seen_ : m.rendition_kbps};
  timing_.reset();
  return true;
}

void downlink_probe::on_link_gone(link_id_t id) {
  if (timing_ && timing_->link == id) {
    timing_.reset();  // no measure: the join asks as it would have
  }
}

}  // namespace treecast::core
