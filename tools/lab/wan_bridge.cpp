#include "wan_bridge.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <deque>
#include <map>
#include <stdexcept>

namespace treecast::lab {
namespace {

using clock = std::chrono::steady_clock;
using mac = std::array<unsigned char, 6>;

struct delayed_frame {
  clock::time_point due;
  std::vector<unsigned char> bytes;
};

int open_port(const std::string& interface) {
  const int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
  if (fd < 0) {
    throw std::runtime_error("wan bridge: AF_PACKET socket: " + std::string(std::strerror(errno)) +
                             " (needs root)");
  }
  const unsigned index = ::if_nametoindex(interface.c_str());
  sockaddr_ll address{};
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons(ETH_P_ALL);
  address.sll_ifindex = static_cast<int>(index);
  packet_mreq promiscuous{};
  promiscuous.mr_ifindex = static_cast<int>(index);
  promiscuous.mr_type = PACKET_MR_PROMISC;
  if (index == 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &promiscuous, sizeof promiscuous) != 0) {
    ::close(fd);
    throw std::runtime_error("wan bridge: cannot open port " + interface + ": " +
                             std::strerror(errno));
  }
  return fd;
}

}  // namespace

wan_bridge::wan_bridge(const std::vector<std::string>& interfaces, std::chrono::milliseconds delay)
    : delay_(delay) {
  if (::pipe2(stop_pipe_, O_CLOEXEC) != 0) {
    throw std::runtime_error("wan bridge: pipe failed");
  }
  try {
    for (const auto& name : interfaces) {
      sockets_.push_back(open_port(name));
    }
  } catch (...) {
    for (const int fd : sockets_) {
      ::close(fd);
    }
    ::close(stop_pipe_[0]);
    ::close(stop_pipe_[1]);
    throw;
  }
  thread_ = std::thread([this] { forward_loop(); });
}

wan_bridge::~wan_bridge() {
  const char byte = 1;
  [[maybe_unused]] const auto written = ::write(stop_pipe_[1], &byte, 1);
  thread_.join();
  for (const int fd : sockets_) {
    ::close(fd);
  }
  ::close(stop_pipe_[0]);
  ::close(stop_pipe_[1]);
}

void wan_bridge::forward_loop() {
  const std::size_t ports = sockets_.size();
  std::vector<std::deque<delayed_frame>> queues(ports);  // per output port, due in order
  std::map<mac, std::size_t> port_of;                    // learned source addresses
  std::vector<pollfd> fds;
  for (const int fd : sockets_) {
    fds.push_back({fd, POLLIN, 0});
  }
  fds.push_back({stop_pipe_[0], POLLIN, 0});
  std::vector<unsigned char> buffer(65536);
  for (;;) {
    // Sleep until a frame arrives or the earliest queued frame is due.
    int timeout_ms = -1;
    const auto now = clock::now();
    for (const auto& q : queues) {
      if (!q.empty()) {
        const auto wait = std::chrono::ceil<std::chrono::milliseconds>(q.front().due - now).count();
        timeout_ms = timeout_ms < 0
                         ? static_cast<int>(std::max<long long>(0, wait))
                         : std::min(timeout_ms, static_cast<int>(std::max<long long>(0, wait)));
      }
    }
    ::poll(fds.data(), fds.size(), timeout_ms);
    if (fds.back().revents & POLLIN) {
      return;
    }
    for (std::size_t in = 0; in < ports; ++in) {
      if (!(fds[in].revents & POLLIN)) {
        continue;
      }
      // Drain what is there; bounded so one busy port cannot starve the rest.
      for (int frames = 0; frames < 256; ++frames) {
        sockaddr_ll from{};
        socklen_t from_len = sizeof from;
        const ssize_t n = ::recvfrom(sockets_[in], buffer.data(), buffer.size(), 0,
                                     reinterpret_cast<sockaddr*>(&from), &from_len);
        if (n <= 0) {
          break;
        }
        if (from.sll_pkttype == PACKET_OUTGOING || n < ETH_HLEN) {
          continue;  // our own sends, seen again on the way out
        }
        mac source, destination;
        std::memcpy(destination.data(), buffer.data(), 6);
        std::memcpy(source.data(), buffer.data() + 6, 6);
        port_of[source] = in;
        const auto known = (destination[0] & 1) ? port_of.end() : port_of.find(destination);
        const auto due = clock::now() + delay_;
        for (std::size_t out = 0; out < ports; ++out) {
          if (out != in && (known == port_of.end() || known->second == out)) {
            queues[out].push_back({due, {buffer.begin(), buffer.begin() + n}});
          }
        }
      }
    }
    const auto sent_at = clock::now();
    for (std::size_t out = 0; out < ports; ++out) {
      auto& q = queues[out];
      while (!q.empty() && q.front().due <= sent_at) {
        // A full device queue (tbf) drops the frame, as a real link would.
        if (::send(sockets_[out], q.front().bytes.data(), q.front().bytes.size(), 0) > 0) {
          ++forwarded_;
        }
        q.pop_front();
      }
    }
  }
}

}  // namespace treecast::lab
