#include "runtime/program_loop.hpp"

#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>

#include "runtime/address.hpp"
#include "runtime/node_runtime.hpp"
#include "runtime/status_line.hpp"

namespace treecast::runtime {

shutdown_signals::shutdown_signals(boost::asio::io_context& io, std::function<void()> on_stop)
    : signals_(io, SIGINT, SIGTERM), on_stop_(std::move(on_stop)) {
  // `this` outlives the wait: it is cancelled in request_stop() or by the
  // destructor of signals_.
  signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (!ec) {
      signal_ = signal;
      request_stop();
    }
  });
}

void shutdown_signals::request_stop() {
  if (stopping_) {
    return;
  }
  stopping_ = true;
  // Back to the default disposition: a second Ctrl-C ends the process at
  // once, whatever the graceful shutdown is still waiting for.
  boost::system::error_code ignored;
  signals_.clear(ignored);
  signals_.cancel(ignored);
  on_stop_();
}

status_report tree_status(node_runtime& peer) {
  const core::node& node = peer.engine();
  const auto parent = node.parent_endpoint();
  const bool attached = node.attached();
  const auto gap = peer.take_max_delivery_gap();
  const auto missed = node.stats().get(core::counter::chunks_missed);
  const auto repairs = node.stats().get(core::counter::repairs);
  status_report r;
  r.field("parent", parent && attached ? format_address(*parent) : std::string("-"));
  r.field("depth", attached ? std::to_string(node.depth()) : std::string("-"));
  r.field("children", static_cast<long long>(node.child_count()));
  r.field("chunks", static_cast<long long>(node.stats().get(core::counter::chunks_received)));
  r.field("missed", static_cast<long long>(missed));
  r.field("repairs", static_cast<long long>(repairs));
  r.field("max_gap_ms", gap ? std::to_string(gap->count()) : std::string("-"));
  const auto reachable = node.reachable();
  r.field("reachable", !reachable ? std::string("-") : *reachable ? "yes" : "no");
  if (!attached) {
    r.say("joining");
    return r;
  }
  r.say("depth " + std::to_string(node.depth()));
  if (peer.listen_port() == 0) {
    r.say("consume only");
  } else if (reachable == false) {
    r.say("unreachable: a leaf");
  } else {
    r.say(counted(node.child_count(), "child", "children"));
  }
  r.say(std::to_string(missed) + " missed");
  r.say(counted(repairs, "repair", "repairs"));
  return r;
}

std::string listening_line(const std::string& listen_host, const node_runtime& peer) {
  const std::string line = "listening on " + format_address({listen_host, peer.listen_port()});
  return peer.listen_port() == 0 ? line + " (consume only, no port opened)" : line;
}

void print_repairs(node_runtime& peer, status_printer& out) {
  peer.set_repair_handler([&out](core::duration took) {
    out.note("repair t=" + std::to_string(wall_time_ms()) + " ms=" + core::ms_text(took));
  });
}

std::uint64_t wall_time_us() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

std::uint64_t wall_time_ms() {
  return wall_time_us() / 1000;
}

}  // namespace treecast::runtime
