// What the three programs share around their io_context: signals, the
// status line fields, wall-clock helpers.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdint>
#include <functional>
#include <string>

#include "core/node.hpp"

namespace treecast::runtime {

// Turns the first SIGINT or SIGTERM into one call of `on_stop`, which stops
// everything so that io_context::run() returns. A second signal ends the
// process at once (default disposition). The program may ask for the same
// stop itself (a fatal pipeline error, say) with request_stop().
class shutdown_signals {
 public:
  shutdown_signals(boost::asio::io_context& io, std::function<void()> on_stop);
  void request_stop();
  bool stopping() const { return stopping_; }
  int signal() const { return signal_; }  // the signal received, 0 if none

 private:
  boost::asio::signal_set signals_;
  std::function<void()> on_stop_;
  bool stopping_ = false;
  int signal_ = 0;
};

class node_runtime;
class status_printer;
struct status_report;

// The peer's place in the tree for the status line: fields "parent=H:P
// depth=D children=C chunks=N missed=M repairs=R max_gap_ms=G" (max_gap_ms:
// the longest time between two delivered chunks since the previous call,
// "-" before the first chunk), and in words "depth 3 · 2 children · 0
// missed · 1 repair" ("joining" before it has a parent).
status_report tree_status(node_runtime& peer);

// The first line every program prints: "listening on HOST:PORT", or, for a
// consume-only peer (no port opened), "listening on HOST:0 (consume only, no
// port opened)" (scripts read the port after the last colon).
std::string listening_line(const std::string& listen_host, const node_runtime& peer);

// Notes "repair t=<unix ms> ms=<duration>" for every repair the peer
// completes (parent lost -> the stream flowing again).
void print_repairs(node_runtime& peer, status_printer& out);

// Wall clock, Unix epoch.
std::uint64_t wall_time_us();
std::uint64_t wall_time_ms();

}  // namespace treecast::runtime
