#include "runtime/congestion_control.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace treecast::runtime {
namespace {

std::string algorithm_of(int socket) {
  char name[16] = {};  // TCP_CA_NAME_MAX (linux/tcp.h)
  socklen_t length = sizeof name;
  if (::getsockopt(socket, IPPROTO_TCP, TCP_CONGESTION, name, &length) != 0) {
    return "";
  }
  return std::string(name, strnlen(name, sizeof name));
}

bool is_bbr(const std::string& algorithm) {
  return algorithm.rfind("bbr", 0) == 0;  // bbr, bbr2, bbr3...
}

bool set_algorithm(int socket, const char* name) {
  return ::setsockopt(socket, IPPROTO_TCP, TCP_CONGESTION, name,
                      static_cast<socklen_t>(std::strlen(name))) == 0;
}

}  // namespace

std::string avoid_probe_rtt(int socket) {
  const std::string current = algorithm_of(socket);
  if (!is_bbr(current)) {
    return current;
  }
  if (set_algorithm(socket, "cubic") || set_algorithm(socket, "reno")) {
    return algorithm_of(socket);
  }
  return current;
}

std::string congestion_control_note() {
  const int probe = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe < 0) {
    return "";
  }
  const std::string host_default = algorithm_of(probe);
  const std::string used = avoid_probe_rtt(probe);
  ::close(probe);
  if (used == host_default) {
    return is_bbr(host_default)
               ? "TCP congestion control " + host_default +
                     " cannot be changed: its ProbeRTT may hold the stream back ~200 ms "
                     "every 10 s"
               : "";
  }
  return "TCP congestion control " + used + " on the tree's links, not the host's " + host_default +
         " (its ProbeRTT holds a live stream back ~200 ms every 10 s)";
}

}  // namespace treecast::runtime
