// One end of a TLS 1.3 session, as a state machine over byte buffers: the
// caller puts the ciphertext it received in, takes the ciphertext to send
// out, and moves it over the socket itself.
//
// Why not Asio's ssl::stream: it copies each record's ciphertext into a
// memory BIO and out again (a 17 KiB one: a record at a time), so a chunk
// of 16.7 KiB costs two sends, and each record a chain of composed
// operations. A relay forwarding a chunk per frame to 50 children spent 13%
// of its CPU in those copies (perf, `treecast-bench fanout --children 50`).
// Here OpenSSL's records are appended straight to the outgoing buffer, so
// the records of a chunk (of several frames) leave in one send. Why not
// OpenSSL on the socket itself: every wait for the socket is then an
// epoll_ctl in Asio's reactor, and that measured 25% more CPU per forwarded
// Gbit at 50 children than the memory BIOs did (four runs each way).
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <system_error>
#include <vector>

namespace treecast::runtime {

// What a call did.
struct tls_progress {
  std::size_t bytes = 0;     // plaintext read into / written from the caller's buffer
  bool needs_input = false;  // nothing more until more ciphertext is received
  bool ended = false;        // the peer closed the session (read only)
  std::error_code error;
};

class tls_session {
 public:
  enum class role { client, server };

  // Throws std::runtime_error when OpenSSL cannot make the session.
  tls_session(SSL_CTX* context, role side);
  ~tls_session();
  tls_session(const tls_session&) = delete;
  tls_session& operator=(const tls_session&) = delete;

  tls_progress handshake();
  // Decrypts what was received into `into`.
  tls_progress read(std::span<std::uint8_t> into);
  // Encrypts all of `from` onto outgoing() (never partly: the buffer grows).
  tls_progress write(std::span<const std::uint8_t> from);
  // Records of at most `bytes` from the next write on.
  void limit_records(std::size_t bytes);

  // Room at the end of the incoming buffer for the socket to read into,
  // then how much it read.
  std::span<std::uint8_t> receive_space();
  void received(std::size_t bytes);

  // Ciphertext waiting to be sent, oldest first.
  bool has_outgoing() const { return !outgoing_.empty(); }
  std::size_t outgoing_bytes() const { return outgoing_.size(); }
  // Hands the waiting ciphertext over (swapped with `into`, which should be
  // empty; its capacity is kept for the next records).
  void take_outgoing(std::vector<std::uint8_t>& into);

 private:
  tls_progress outcome(int result, std::size_t bytes);
  static int bio_write(BIO* bio, const char* data, std::size_t length, std::size_t* written);
  static int bio_read(BIO* bio, char* data, std::size_t length, std::size_t* read);
  static long bio_control(BIO* bio, int command, long, void*);

  struct ssl_free {
    void operator()(SSL* ssl) const { SSL_free(ssl); }
  };
  std::unique_ptr<SSL, ssl_free> ssl_;
  std::vector<std::uint8_t> incoming_;  // [incoming_read_, incoming_filled_) not yet decrypted
  std::size_t incoming_read_ = 0;
  std::size_t incoming_filled_ = 0;
  std::vector<std::uint8_t> outgoing_;
};

}  // namespace treecast::runtime
