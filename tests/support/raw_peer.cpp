#include "raw_peer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>

#include <stdexcept>
#include "runtime/tls_context.hpp"
#include "wire/codec.hpp"

namespace treecast::testing {

raw_peer::raw_peer(std::uint16_t port, bool tls, int receive_buffer) {
  // OpenSSL writes with write(2): a peer that closed must not kill the test.
  std::signal(SIGPIPE, SIG_IGN);
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (receive_buffer > 0) {
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd_ < 0 || connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    throw std::runtime_error("raw_peer: cannot connect to port " + std::to_string(port));
  }
  if (!tls) {
    return;
  }
  timeval five_seconds{5, 0};  // bounds the blocking handshake
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &five_seconds, sizeof five_seconds);
  context_ = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(context_, SSL_VERIFY_NONE, nullptr);
  ssl_ = SSL_new(context_);
  SSL_set_fd(ssl_, fd_);
  if (SSL_connect(ssl_) != 1) {
    throw std::runtime_error("raw_peer: TLS handshake failed");
  }
}

namespace {

boost::asio::ssl::context& server_tls() {
  static const std::shared_ptr<boost::asio::ssl::context> tls = runtime::make_tls_context();
  return *tls;
}

}  // namespace

int listen_on_loopback(std::uint16_t& port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(fd, 16) != 0 || getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    throw std::runtime_error("cannot listen on loopback");
  }
  port = ntohs(address.sin_port);
  return fd;
}

void raw_peer::warm_up() {
  server_tls();
}

std::unique_ptr<raw_peer> raw_peer::accepted(int fd) {
  std::signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<raw_peer> peer(new raw_peer());
  peer->fd_ = fd;
  const int one = 1;  // as peers do: small messages go out at once
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval five_seconds{5, 0};  // bounds the blocking handshake
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &five_seconds, sizeof five_seconds);
  peer->ssl_ = SSL_new(server_tls().native_handle());
  SSL_set_fd(peer->ssl_, fd);
  if (SSL_accept(peer->ssl_) != 1) {
    throw std::runtime_error("raw_peer: TLS handshake (server side) failed");
  }
  return peer;
}

bool raw_peer::send_message(const wire::message& m) {
  const auto frame = wire::encode_frame(m);
  return send({frame->begin(), frame->end()});
}

std::optional<wire::message> raw_peer::receive(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::uint8_t buffer[16384];
  while (frames_.empty()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return std::nullopt;
    }
    pollfd ready{fd_, POLLIN, 0};
    if ((!ssl_ || SSL_pending(ssl_) == 0) && poll(&ready, 1, static_cast<int>(left.count())) <= 0) {
      return std::nullopt;
    }
    const ssize_t n =
        ssl_ ? SSL_read(ssl_, buffer, sizeof buffer) : recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0 || decoder_.feed({buffer, static_cast<std::size_t>(n)}, frames_)) {
      return std::nullopt;
    }
  }
  const wire::shared_bytes frame = frames_.front();
  frames_.erase(frames_.begin());
  wire::message m;
  if (wire::decode_frame(frame, m)) {
    return std::nullopt;
  }
  return m;
}

raw_peer::~raw_peer() {
  if (ssl_) {
    SSL_free(ssl_);
  }
  if (context_) {
    SSL_CTX_free(context_);
  }
  if (fd_ >= 0) {
    close(fd_);
  }
}

bool raw_peer::send(const std::vector<std::uint8_t>& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n =
        ssl_ ? SSL_write(ssl_, bytes.data() + done, static_cast<int>(bytes.size() - done))
             : ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) {
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

void raw_peer::finish_sending() {
  shutdown(fd_, SHUT_WR);
}

bool raw_peer::wait_closed_by_remote(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return false;
    }
    pollfd ready{fd_, POLLIN, 0};
    if ((!ssl_ || SSL_pending(ssl_) == 0) && poll(&ready, 1, static_cast<int>(left.count())) <= 0) {
      return false;
    }
    const ssize_t n =
        ssl_ ? SSL_read(ssl_, buffer, sizeof buffer) : recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) {
      return true;  // orderly close or reset
    }
  }
}

}  // namespace treecast::testing
