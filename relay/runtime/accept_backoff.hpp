// Paces an accept loop after a failed accept: out of descriptors (EMFILE,
// ENFILE), out of buffers, or anything else the kernel says. Retrying at
// once would spin a core and flood the log; instead the next try waits 10
// ms, doubling up to 1 s, and the log gets one line when an episode starts
// and one when accepting works again, never one per try.
//
// Threading: one loop, one thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <functional>
#include <string>

namespace treecast::runtime {

class accept_backoff {
 public:
  // `what` names the listener in the log ("peer listener", "metrics");
  // `log` receives the two lines of an episode.
  accept_backoff(boost::asio::io_context& io, std::string what,
                 std::function<void(const std::string&)> log);

  // After an accept that ended with `ec`: false after a success (accept
  // the next one now); after a failure, true, and `retry` is called on the
  // io thread when the back-off has passed (unless cancel() came first).
  bool retry_later(const boost::system::error_code& ec, std::function<void()> retry);

  // The listener is closing: no pending retry runs.
  void cancel() { timer_.cancel(); }

  // Failed accepts in the current episode (0 when accepting works).
  std::uint64_t failures() const { return failures_; }

 private:
  static constexpr std::chrono::milliseconds first_delay{10};
  static constexpr std::chrono::milliseconds max_delay{1000};

  boost::asio::steady_timer timer_;
  std::string what_;
  std::function<void(const std::string&)> log_;
  std::chrono::milliseconds delay_{first_delay};
  std::uint64_t failures_ = 0;
};

}  // namespace treecast::runtime
