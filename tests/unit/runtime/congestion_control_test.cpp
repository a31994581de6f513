#include "runtime/congestion_control.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace treecast::runtime {
namespace {

// A TCP socket, closed at the end of the scope.
struct tcp_socket {
  tcp_socket() : fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {}
  ~tcp_socket() { ::close(fd); }
  bool use(const char* name) const {
    return ::setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name,
                        static_cast<socklen_t>(std::strlen(name))) == 0;
  }
  int fd;
};

TEST(congestion_control, a_bbr_link_leaves_bbr) {
  tcp_socket s;
  ASSERT_GE(s.fd, 0);
  if (!s.use("bbr")) {
    GTEST_SKIP() << "this kernel offers no BBR to this process";
  }
  const std::string used = avoid_probe_rtt(s.fd);
  EXPECT_TRUE(used == "cubic" || used == "reno") << used;
}

TEST(congestion_control, another_choice_of_the_host_is_kept) {
  tcp_socket s;
  ASSERT_GE(s.fd, 0);
  ASSERT_TRUE(s.use("reno"));  // every host lets any process choose Reno
  EXPECT_EQ(avoid_probe_rtt(s.fd), "reno");
}

TEST(congestion_control, the_note_names_the_hosts_default_only_when_it_is_bbr) {
  std::string host_default;
  std::ifstream("/proc/sys/net/ipv4/tcp_congestion_control") >> host_default;
  const std::string note = congestion_control_note();
  if (host_default.rfind("bbr", 0) == 0) {
    EXPECT_NE(note.find("not the host's " + host_default), std::string::npos) << note;
  } else {
    EXPECT_EQ(note, "");
  }
}

}  // namespace
}  // namespace treecast::runtime
