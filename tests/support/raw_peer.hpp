// A hostile or broken peer for tests: a connection on loopback that sends
// whatever bytes the test gives it, inside TLS (as peers speak) or as plain
// TCP (a peer that does not speak TLS at all).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "wire/frame_decoder.hpp"
#include "wire/messages.hpp"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace treecast::testing {

// A listening socket on 127.0.0.1 at a free port (written to `port`), for
// scripted peers that others connect to; the caller closes it.
int listen_on_loopback(std::uint16_t& port);

class raw_peer {
 public:
  // Connects to 127.0.0.1:port (and completes a TLS handshake when `tls`);
  // throws std::runtime_error on failure.
  // `receive_buffer` > 0 shrinks the socket's receive buffer (a slow reader).
  explicit raw_peer(std::uint16_t port, bool tls = true, int receive_buffer = 0);
  // The server side of a connection accepted on `fd` (taken over): a TLS
  // handshake as the accepting peer; throws std::runtime_error on failure.
  static std::unique_ptr<raw_peer> accepted(int fd);
  // Makes the server side's TLS identity now rather than at the first accept.
  static void warm_up();
  ~raw_peer();

  raw_peer(const raw_peer&) = delete;
  raw_peer& operator=(const raw_peer&) = delete;

  // Sends all of `bytes`; false if the peer already closed.
  bool send(const std::vector<std::uint8_t>& bytes);

  // Half-closes our side (the remote sees end of stream).
  void finish_sending();

  // Encodes and sends one message; false if the peer already closed.
  bool send_message(const wire::message& m);

  // The next whole message, decoded; nullopt at the deadline, when the
  // remote closed, or on bytes that do not decode.
  std::optional<wire::message> receive(std::chrono::milliseconds timeout);

  // Reads and discards until the remote closes the connection; true if it did
  // before the deadline.
  bool wait_closed_by_remote(std::chrono::milliseconds timeout);

 private:
  raw_peer() = default;

  int fd_ = -1;
  SSL_CTX* context_ = nullptr;
  SSL* ssl_ = nullptr;
  wire::frame_decoder decoder_{wire::default_max_frame_bytes};
  std::vector<wire::shared_bytes> frames_;  // decoded, not yet returned
};

}  // namespace treecast::testing
