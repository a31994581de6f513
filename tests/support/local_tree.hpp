// Starts treecast's real programs on loopback for integration tests, each on
// a port it picks itself (reported by its "listening on" line).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "child_process.hpp"

namespace treecast::testing {

struct peer_process {
  std::unique_ptr<child_process> process;
  std::uint16_t port = 0;
};

// The port of the "metrics on HOST:PORT" line `program` prints (it was
// started with --metrics-port 0); throws std::runtime_error when no such
// line comes within 10 s.
std::uint16_t metrics_port_of(child_process& program);

class local_tree {
 public:
  // Logs go to <build>/tests/logs/<test_name>-<program>.log.
  explicit local_tree(std::string test_name);

  // Extra arguments are appended after the defaults (loopback, small logs).
  peer_process start_broadcaster(std::vector<std::string> extra = {});
  peer_process start_relay(std::uint16_t parent_port, std::vector<std::string> extra = {});
  // A relay joining by `link` (e.g. the viewer link, for a browser gateway).
  peer_process start_relay_by_link(const std::string& link, std::vector<std::string> extra = {});
  peer_process start_viewer(std::uint16_t parent_port, std::vector<std::string> extra = {});
  // A headless viewer joining by `link` (a link another broadcaster printed).
  peer_process start_viewer_by_link(const std::string& link, std::vector<std::string> extra = {});
  // A viewer with a window on X display `display` (e.g. ":7").
  peer_process start_windowed_viewer(std::uint16_t parent_port, const std::string& display,
                                     std::vector<std::string> extra = {});

  std::string log_path(const std::string& program) const;

  // The invite link naming the peer on `port` as rendezvous, with the stream
  // id and a relay's (or a viewer's) token of the broadcaster started last.
  std::string link_to(std::uint16_t port, bool viewer = false) const;

  // Where the broadcaster's stream key is (each test has its own).
  std::string key_path() const;

 private:
  peer_process start(const std::string& binary, const std::string& label,
                     std::vector<std::string> args);

  std::string test_name_;
  std::string viewer_query_;  // "?stream=...&token=..." from the broadcaster's links
  std::string relay_query_;
  int started_ = 0;
};

}  // namespace treecast::testing
