// One TLS 1.3 connection to a peer: handshakes, reads frames, writes queued
// frames in order. The TLS session works on byte buffers (tls_session.hpp
// says why); this class moves them over the socket.
//
// Lifetime: every pending asynchronous operation holds a shared_ptr to the
// connection, so it lives until its last handler has run. The owner
// (node_runtime) calls detach() before it goes away; a detached connection
// never calls its handler again.
//
// Threading: every member runs on the io_context's single thread.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <memory>
#include <optional>
#include <system_error>
#include <vector>

#include "core/actions.hpp"
#include "runtime/runtime_config.hpp"
#include "runtime/tls_session.hpp"
#include "wire/bytes.hpp"
#include "wire/frame_decoder.hpp"

namespace treecast::runtime {

class link_connection : public std::enable_shared_from_this<link_connection> {
 public:
  // Receives what happens on the link; implemented by node_runtime.
  class handler {
   public:
    virtual ~handler() = default;
    virtual void on_link_connected(core::link_id_t link) = 0;
    virtual void on_link_frame(core::link_id_t link, const wire::shared_bytes& frame) = 0;
    // The link is gone, by the peer or the network; reported once.
    virtual void on_link_failed(core::link_id_t link, std::error_code why) = 0;
    // The peer sent bytes that break the framing; the link no longer reads.
    virtual void on_link_protocol_error(core::link_id_t link, std::error_code why) = 0;
    // Bytes arrived that complete no frame yet (liveness: core::node::on_link_heard).
    virtual void on_link_bytes(core::link_id_t link) = 0;
    // `bytes` of the queued frames were written (the engine bounds the
    // backlog: core::node::on_link_written).
    virtual void on_link_written(core::link_id_t link, std::size_t bytes) = 0;
  };

  link_connection(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& tls,
                  core::link_id_t id, handler& owner, const runtime_config& config);

  // For an accepted socket: TLS handshake (server side), then reads. A peer
  // that fails the handshake is reported as a protocol error.
  void start();

  // For an outgoing link: resolves, connects, TLS handshake (client side),
  // then reads; all within the connect timeout.
  void connect(const std::string& host, std::uint16_t port);

  // Queues `frame` behind the frames already queued. The queue's bound is
  // the engine's (it closes a link whose peer stopped reading).
  void send(wire::shared_bytes frame);

  // Writes what is queued (within close_linger), then closes. No callbacks.
  void close_after_flush();

  // Stops calling the handler; closes the socket.
  void detach();

  // Sends no faster than `bytes_per_second` (the kernel's TCP pacing;
  // core/child_pacing.hpp says why), in TLS records of
  // narrow_link_record_bytes. Best effort.
  void pace(std::uint64_t bytes_per_second);

  std::size_t pending_bytes() const { return pending_bytes_; }

 private:
  void begin_handshake(tls_session::role side);
  void continue_handshake();
  void handshake_failed(std::error_code why);
  void begin_reading();
  void read_some();
  // Decrypts what was received and hands it on, then reads again.
  void decrypt_received();
  // Why the link ended when the peer closed it: closed_by_peer, or the
  // framing's truncated_frame.
  std::error_code end_of_stream() const;
  // Hands `bytes` of read_buffer_ to the decoder and the owner; false when
  // this link stopped reading meanwhile.
  bool deliver(std::size_t bytes);
  // Encrypts queued frames (a batch) and sends them.
  void write_queued();
  // Sends what the session has to send, unless a send is under way.
  void flush();
  void fail(std::error_code why);
  void shutdown_now();

  boost::asio::ip::tcp::socket socket_;
  SSL_CTX* tls_context_;
  std::optional<tls_session> tls_;  // from the handshake until closed
  tls_session::role side_ = tls_session::role::server;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer timer_;  // connect timeout, then close linger
  core::link_id_t id_;
  handler* owner_;  // null once detached or closing
  const runtime_config& config_;
  wire::frame_decoder decoder_;
  std::vector<std::uint8_t> read_buffer_;
  std::vector<wire::shared_bytes> frames_;  // scratch for decoded frames
  std::deque<wire::shared_bytes> queue_;    // not yet encrypted
  std::size_t pending_bytes_ = 0;           // queued, or encrypted and not yet sent
  std::size_t encrypted_bytes_ = 0;         // of frames encrypted for the next send
  std::size_t sending_frame_bytes_ = 0;     // of frames in the send under way
  std::vector<std::uint8_t> sending_;       // ciphertext of the send under way
  bool send_in_flight_ = false;
  bool closing_ = false;
  bool handshaken_ = false;  // writes wait for the TLS handshake
  bool closed_ = false;
  bool small_records_due_ = false;  // paced: narrow_link_record_bytes from the next write
};

}  // namespace treecast::runtime
