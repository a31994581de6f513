#include "local_tree.hpp"

#include <filesystem>
#include <stdexcept>

namespace treecast::testing {

namespace {

constexpr auto startup_timeout = std::chrono::seconds(15);

bool is_listening(const std::string& line) {
  return line.rfind("listening on ", 0) == 0;
}

}  // namespace

local_tree::local_tree(std::string test_name) : test_name_(std::move(test_name)) {
  std::filesystem::create_directories(TREECAST_TEST_LOG_DIR);
}

std::string local_tree::log_path(const std::string& program) const {
  return std::string(TREECAST_TEST_LOG_DIR) + "/" + test_name_ + "-" + program + ".log";
}

std::uint16_t metrics_port_of(child_process& program) {
  const auto served =
      program.wait_for_line([](const std::string& l) { return l.rfind("metrics on ", 0) == 0; },
                            std::chrono::seconds(10));
  if (!served) {
    throw std::runtime_error("no \"metrics on\" line within 10 s");
  }
  return static_cast<std::uint16_t>(std::stoi(served->substr(served->rfind(':') + 1)));
}

peer_process local_tree::start(const std::string& binary, const std::string& label,
                               std::vector<std::string> args) {
  args.insert(args.begin(), binary);
  const std::string log = log_path(label);
  std::filesystem::remove(log);
  peer_process peer;
  peer.process = std::make_unique<child_process>(std::move(args), log);
  const auto line = peer.process->wait_for_line(is_listening, startup_timeout);
  if (!line) {
    throw std::runtime_error(label + " did not start listening; see " + log);
  }
  peer.port = listening_port(*line);
  ++started_;
  return peer;
}

peer_process local_tree::start_broadcaster(std::vector<std::string> extra) {
  // A key of the test's own, not the user's.
  std::vector<std::string> args = {"--listen", "127.0.0.1:0", "--key", key_path()};
  args.insert(args.end(), extra.begin(), extra.end());
  peer_process broadcaster = start(TREECAST_BROADCASTER, "broadcaster", std::move(args));
  const auto viewer_link = broadcaster.process->wait_for_line(
      [](const std::string& l) { return l.rfind("link: ", 0) == 0; }, startup_timeout);
  const auto relay_link = broadcaster.process->wait_for_line(
      [](const std::string& l) { return l.rfind("relay-link: ", 0) == 0; }, startup_timeout);
  if (!viewer_link || !relay_link) {
    throw std::runtime_error("broadcaster printed no links");
  }
  // "...?stream=S&token=T": keep the query, the address changes per peer.
  viewer_query_ = viewer_link->substr(viewer_link->find('?'));
  relay_query_ = relay_link->substr(relay_link->find('?'));
  return broadcaster;
}

std::string local_tree::key_path() const {
  return std::string(TREECAST_TEST_LOG_DIR) + "/" + test_name_ + ".key";
}

std::string local_tree::link_to(std::uint16_t port, bool viewer) const {
  return "treecast://127.0.0.1:" + std::to_string(port) + "/" +
         (viewer ? viewer_query_ : relay_query_);
}

peer_process local_tree::start_relay(std::uint16_t parent_port, std::vector<std::string> extra) {
  return start_relay_by_link(link_to(parent_port), std::move(extra));
}

peer_process local_tree::start_relay_by_link(const std::string& link,
                                             std::vector<std::string> extra) {
  std::vector<std::string> args = {link, "--listen", "127.0.0.1:0"};
  args.insert(args.end(), extra.begin(), extra.end());
  return start(TREECAST_RELAY, "relay" + std::to_string(started_), std::move(args));
}

peer_process local_tree::start_viewer(std::uint16_t parent_port, std::vector<std::string> extra) {
  return start_viewer_by_link(link_to(parent_port, true), std::move(extra));
}

peer_process local_tree::start_viewer_by_link(const std::string& link,
                                              std::vector<std::string> extra) {
  std::vector<std::string> args = {link, "--listen", "127.0.0.1:0", "--headless"};
  args.insert(args.end(), extra.begin(), extra.end());
  return start(TREECAST_VIEWER, "viewer" + std::to_string(started_), std::move(args));
}

peer_process local_tree::start_windowed_viewer(std::uint16_t parent_port,
                                               const std::string& display,
                                               std::vector<std::string> extra) {
  std::vector<std::string> args = {"DISPLAY=" + display, TREECAST_VIEWER,
                                   link_to(parent_port, true), "--listen", "127.0.0.1:0"};
  args.insert(args.end(), extra.begin(), extra.end());
  return start("/usr/bin/env", "viewer" + std::to_string(started_), std::move(args));
}

}  // namespace treecast::testing
