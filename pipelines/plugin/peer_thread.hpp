// The network side of a treecast element: an io_context run on a thread of
// its own, so the element's peer keeps serving its children whatever
// GStreamer's streaming threads are doing.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <thread>

#include "core/node_config.hpp"

namespace treecast::plugin {

// How long stop() may wait for a peer of `config` to hand its children
// over: the engine's leave_linger and a second for the links to flush.
std::chrono::milliseconds leave_grace(const core::node_config& config);

class peer_thread {
 public:
  peer_thread() = default;
  ~peer_thread();

  peer_thread(const peer_thread&) = delete;
  peer_thread& operator=(const peer_thread&) = delete;

  boost::asio::io_context& io() { return io_; }

  // Runs the io_context on the thread; call once the peer has started (its
  // listener and timers are the work that keeps the thread going).
  void run();

  // Calls `leave` on the thread (a graceful leave: children are handed
  // over), waits up to `grace` for the io_context to run out of work, then
  // stops it; returns once the thread has ended.
  void stop(const std::function<void()>& leave, std::chrono::milliseconds grace);

 private:
  boost::asio::io_context io_;
  std::thread thread_;
  std::future<void> ended_;
};

}  // namespace treecast::plugin
