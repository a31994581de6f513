#include "runtime/accept_backoff.hpp"

#include <algorithm>

namespace treecast::runtime {

accept_backoff::accept_backoff(std::string what, std::function<void(const std::string&)> log)
    : what_(std::move(what)), log_(std::move(log)) {}

std::chrono::milliseconds accept_backoff::after(const boost::system::error_code& ec) {
  if (!ec) {
    if (failures_ > 0 && log_) {
      log_(what_ + ": accepting again after " + std::to_string(failures_) + " failed accepts");
    }
    failures_ = 0;
    delay_ = first_delay;
    return std::chrono::milliseconds::zero();
  }
  if (failures_++ == 0 && log_) {
    log_(what_ + ": accept failed (" + ec.message() +
         "); backing off (raise the open-files limit if this is EMFILE)");
  }
  const auto wait = delay_;
  delay_ = std::min(delay_ * 2, max_delay);
  return wait;
}

}  // namespace treecast::runtime
