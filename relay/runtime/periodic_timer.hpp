// Calls a function every `period` on the io_context's thread until cancel().
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>

namespace treecast::runtime {

class periodic_timer {
 public:
  periodic_timer(boost::asio::io_context& io, std::chrono::milliseconds period,
                 std::function<void()> tick)
      : timer_(io), period_(period), tick_(std::move(tick)) {}

  void start() {
    next_ = std::chrono::steady_clock::now() + period_;
    arm();
  }
  void cancel() {
    cancelled_ = true;
    timer_.cancel();
  }

 private:
  void arm() {
    timer_.expires_at(next_);
    // `this` outlives the wait: owners cancel() before they go away and the
    // io_context is run to completion first.
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || cancelled_) {
        return;
      }
      tick_();
      next_ += period_;  // no drift: ticks stay on the original grid
      arm();
    });
  }

  boost::asio::steady_timer timer_;
  std::chrono::milliseconds period_;
  std::function<void()> tick_;
  std::chrono::steady_clock::time_point next_;
  bool cancelled_ = false;
};

}  // namespace treecast::runtime
