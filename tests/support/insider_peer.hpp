// A hostile insider for security tests: a peer invited like any other (its
// token is valid) that joins the real tree under the broadcaster, reports
// plenty of free slots so that the rendezvous hands it out, and then lies
// to the peers that probe it and starves the ones that join it: it accepts
// their joins and never sends a chunk.
//
// Two threads: one keeps its own place in the tree (reads and discards the
// stream, reports every 300 ms), one serves inbound links, each on a thread
// of its own. Every wait is bounded; the destructor stops and joins them.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "raw_peer.hpp"
#include "wire/messages.hpp"

namespace treecast::testing {

class insider_peer {
 public:
  // What it claims when probed.
  struct claims {
    std::uint32_t depth = 1;  // 0: it says it is the broadcaster
    std::uint32_t free_slots = 50;
    bool path_from_root = true;     // its path starts at the real root's id
    bool pose_as_root = false;      // it says hello with the root's id (and path)
    std::uint32_t report_size = 0;  // > 0: its reports claim a subtree this big, much missed
  };

  // Joins the broadcaster at 127.0.0.1:`broadcaster_port` with `token`
  // (raw bytes) as a viewer; `root` is the broadcaster's peer id.
  insider_peer(std::uint16_t broadcaster_port, std::string token, wire::node_id_t root,
               claims lies);
  ~insider_peer();

  insider_peer(const insider_peer&) = delete;
  insider_peer& operator=(const insider_peer&) = delete;

  std::uint16_t port() const { return port_; }
  // True once the broadcaster accepted it, waiting up to `timeout`.
  bool wait_attached(std::chrono::milliseconds timeout);
  // True once its parent (the broadcaster) has checked that it can be
  // reached, and so hands it to joiners, waiting up to `timeout`.
  bool wait_checked(std::chrono::milliseconds timeout);
  int probes_answered() const { return probes_; }
  int joins_accepted() const { return joins_; }

 private:
  void keep_place(std::uint16_t broadcaster_port);
  void serve();
  void converse(std::unique_ptr<raw_peer> link);
  wire::hello my_hello() const;

  std::string token_;
  wire::node_id_t root_;
  wire::node_id_t id_{};
  claims lies_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  bool attached_ = false;  // guarded by mutex_
  bool checked_ = false;   // guarded by mutex_
  std::condition_variable state_changed_;
  std::atomic<int> probes_{0};
  std::atomic<int> joins_{0};
  std::thread place_;
  std::thread server_;
  std::mutex mutex_;
  std::vector<std::thread> conversations_;
};

}  // namespace treecast::testing
