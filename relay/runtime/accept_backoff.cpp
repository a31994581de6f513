#include "runtime/accept_backoff.hpp"

#include <algorithm>

namespace treecast::runtime {

accept_backoff::accept_backoff(boost::asio::io_context& io, std::string what,
                               std::function<void(const std::string&)> log)
    : timer_(io), what_(std::move(what)), log_(std::move(log)) {}

bool accept_backoff::retry_later(const boost::system::error_code& ec, std::function<void()> retry) {
  if (!ec) {
    if (failures_ > 0 && log_) {
      log_(what_ + ": accepting again after " + std::to_string(failures_) + " failed accepts");
    }
    failures_ = 0;
    delay_ = first_delay;
    return false;
  }
  if (failures_++ == 0 && log_) {
    log_(what_ + ": accept failed (" + ec.message() +
         "); backing off (raise the open-files limit if this is EMFILE)");
  }
  timer_.expires_after(delay_);
  // `retry` owns what it needs; the timer's owner cancels it before going.
  timer_.async_wait([retry = std::move(retry)](const boost::system::error_code& timer_ec) {
    if (!timer_ec) {
      retry();
    }
  });
  delay_ = std::min(delay_ * 2, max_delay);
  return true;
}

}  // namespace treecast::runtime
