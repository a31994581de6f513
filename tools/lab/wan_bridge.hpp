// A user-space Ethernet bridge that delays every frame it forwards: the
// emulated WAN between the lab's sites (this kernel has no netem). One port
// per site, each the root-namespace end of that site's veth pair; frames are
// read with AF_PACKET, switched by learned MAC (flooded when unknown or
// broadcast) and sent out of the destination port `delay` later, in order.
// Because real frames are delayed, TCP and the peers' RTT probes see the WAN.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace treecast::lab {

class wan_bridge {
 public:
  // Opens a raw socket per interface (promiscuous) and starts forwarding on
  // a thread. Throws std::runtime_error when a port cannot be opened.
  wan_bridge(const std::vector<std::string>& interfaces, std::chrono::milliseconds delay);
  ~wan_bridge();  // stops the thread, closes the sockets

  wan_bridge(const wan_bridge&) = delete;
  wan_bridge& operator=(const wan_bridge&) = delete;

  unsigned long long frames_forwarded() const { return forwarded_; }

 private:
  void forward_loop();

  std::vector<int> sockets_;
  std::chrono::milliseconds delay_;
  int stop_pipe_[2] = {-1, -1};
  std::atomic<unsigned long long> forwarded_{0};
  std::thread thread_;
};

}  // namespace treecast::lab
