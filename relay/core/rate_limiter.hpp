// A token bucket: at most `rate` events per second on average, bursts up to
// `burst`. Used to bound how many joins and candidate queries a peer (above
// all the broadcaster's rendezvous) serves, whoever asks.
#pragma once

#include <algorithm>
#include <optional>

#include "core/time.hpp"

namespace treecast::core {

class rate_limiter {
 public:
  rate_limiter(double rate_per_s, double burst)
      : rate_(rate_per_s), burst_(burst), tokens_(burst) {}

  // True (and one token spent) when an event at `now` is within the rate.
  bool allow(time_point now) {
    if (last_) {
      const double elapsed = std::chrono::duration<double>(now - *last_).count();
      tokens_ = std::min(burst_, tokens_ + std::max(0.0, elapsed) * rate_);
    }
    last_ = now;
    if (tokens_ < 1.0) {
      return false;
    }
    tokens_ -= 1.0;
    return true;
  }

 private:
  double rate_;
  double burst_;
  double tokens_;
  std::optional<time_point> last_;
};

}  // namespace treecast::core
