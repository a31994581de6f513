#include "core/link_timing.hpp"

#include <algorithm>

namespace treecast::core {

double link_timing::rate_until(std::size_t bytes, time_point now) const {
  // Back within a round trip (it varies by a few ms): a link wider than
  // this can tell (1 ms for the padding at least).
  const duration crossing = now - timing_->sent - timing_->rtt;
  const double seconds = std::max(std::chrono::duration<double>(crossing).count(), 0.001);
  return static_cast<double>(bytes) * 8 / 1000 / seconds;
}

bool link_timing::on_pong(link_id_t id, const wire::pong& m, time_point now) {
  if (!timing_ || timing_->link != id) {
    return false;
  }
  if (m.nonce == timing_->uplink_nonce) {
    timing_->uplink_nonce.reset();
    uplink_kbps_ = rate_until(timing_padding, now);
    // In one read with the padded Pong, or close behind it: that Pong's
    // crossing set the time.
    uplink_hidden_ = timing_->downlink_answered &&
                     now - *timing_->downlink_answered < std::chrono::milliseconds(2);
    return true;
  }
  if (m.nonce != timing_->downlink_nonce) {
    return false;
  }
  timing_->downlink_nonce.reset();
  timing_->downlink_answered = now;
  if (m.padding.size() != timing_padding) {
    // Not what was asked (a peer of another build, or a liar): no measure
    // of the downlink. The uplink's answer is still due (taken as ours, not
    // as a second answer to the probe: that would close the probe).
    return true;
  }
  result_ = measure{rate_until(m.padding.size(), now),
                    m.rendition_kbps.empty() ? rates_seen_ : m.rendition_kbps};
  return true;
}

std::uint32_t link_timing::narrow_downlink_kbps() const {
  if (!result_ || !narrower_than_full(result_->kbps, result_->rendition_kbps)) {
    return 0;
  }
  return static_cast<std::uint32_t>(std::max(result_->kbps, 1.0));
}

void link_timing::on_link_gone(link_id_t id) {
  if (timing_ && timing_->link == id) {
    timing_.reset();  // no measure: the join asks as it would have
  }
}

}  // namespace treecast::core
