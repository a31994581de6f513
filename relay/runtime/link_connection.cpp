#include "runtime/link_connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <limits>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

#include "runtime/congestion_control.hpp"
#include "runtime/link_errors.hpp"
#include "runtime/tls_context.hpp"

namespace treecast::runtime {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// A record's plaintext at most: SSL_read returns no more at once.
constexpr std::size_t read_buffer_bytes = 16 * 1024;
// A send's batch: frames encrypted together leave in one send (a chunk's
// records in one, not one per record), bounded so that what is committed
// to the socket stays near what the kernel holds (runtime_config).
constexpr std::size_t max_frames_per_send = 64;
constexpr std::size_t max_ciphertext_per_send = 64 * 1024;

bool timed_out(const asio::steady_timer& timer) {
  return timer.expiry() <= asio::steady_timer::clock_type::now();
}

}  // namespace

link_connection::link_connection(tcp::socket socket, asio::ssl::context& tls, core::link_id_t id,
                                 handler& owner, const runtime_config& config)
    : socket_(std::move(socket)),
      tls_context_(tls.native_handle()),
      resolver_(socket_.get_executor()),
      timer_(socket_.get_executor()),
      id_(id),
      owner_(&owner),
      config_(config),
      decoder_(config.max_frame_bytes, wire::max_hello_frame_bytes) {}

void link_connection::start() {
  // A peer that never completes the handshake is cut off at the timeout.
  timer_.expires_after(config_.connect_timeout);
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec && !self->closed_ && !self->handshaken_) {
      self->fail(link_errc::connect_timeout);
    }
  });
  begin_handshake(tls_session::role::server);
}

void link_connection::pace(std::uint64_t bytes_per_second) {
  // As an unsigned 32-bit rate, which every kernel with the option takes.
  const auto rate = static_cast<unsigned int>(
      std::min<std::uint64_t>(bytes_per_second, std::numeric_limits<unsigned int>::max()));
  ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_MAX_PACING_RATE, &rate, sizeof rate);
  // A paced link feeds a narrow downlink: small records (tls_context.cpp),
  // from the next frame encrypted on.
  small_records_due_ = true;
}

void link_connection::begin_handshake(tls_session::role side) {
  side_ = side;
  try {
    tls_.emplace(tls_context_, side);
  } catch (const std::runtime_error&) {
    handshake_failed(std::make_error_code(std::errc::not_enough_memory));
    return;
  }
  continue_handshake();
}

void link_connection::continue_handshake() {
  const tls_progress progress = tls_->handshake();
  flush();
  if (closed_) {
    return;
  }
  if (progress.needs_input) {
    read_some();
    return;
  }
  timer_.cancel();
  if (progress.error || progress.ended) {
    handshake_failed(progress.error ? progress.error : std::error_code(link_errc::closed_by_peer));
    return;
  }
  begin_reading();
  if (side_ == tls_session::role::client && owner_ && !closed_) {
    owner_->on_link_connected(id_);
  }
  write_queued();
}

void link_connection::handshake_failed(std::error_code why) {
  if (side_ == tls_session::role::client) {
    fail(why);
    return;
  }
  // Not TLS, or not ours: bad input from that peer.
  handler* owner = owner_;
  owner_ = nullptr;
  if (owner) {
    owner->on_link_protocol_error(id_, why);
  }
  shutdown_now();
}

void link_connection::begin_reading() {
  boost::system::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  socket_.set_option(asio::socket_base::send_buffer_size(config_.socket_send_buffer), ignored);
  const int unsent_limit = config_.socket_unsent_limit;
  ::setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_NOTSENT_LOWAT, &unsent_limit,
               sizeof unsent_limit);  // best effort, as the options above
  avoid_probe_rtt(socket_.native_handle());
  handshaken_ = true;
  // Allocated only now: a flood of connections that never finish the
  // handshake costs no read buffers.
  read_buffer_.resize(read_buffer_bytes);
  // Frames may have come with the handshake's last flight.
  decrypt_received();
}

void link_connection::connect(const std::string& host, std::uint16_t port) {
  // The timer bounds resolve + connect + handshake together; cancelling the
  // socket and resolver makes the pending handler report operation_aborted.
  timer_.expires_after(config_.connect_timeout);
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec && !self->closed_ && !self->socket_.is_open()) {
      self->resolver_.cancel();
    }
    if (!ec && !self->closed_ && !self->handshaken_) {
      boost::system::error_code ignored;
      self->socket_.close(ignored);
    }
  });
  resolver_.async_resolve(
      host, std::to_string(port),
      [self = shared_from_this()](const boost::system::error_code& ec,
                                  tcp::resolver::results_type results) {
        if (ec) {
          self->fail(timed_out(self->timer_) ? std::error_code(link_errc::connect_timeout)
                                             : std::error_code(ec));
          return;
        }
        asio::async_connect(self->socket_, results,
                            [self](const boost::system::error_code& ec, const tcp::endpoint&) {
                              if (ec) {
                                self->fail(timed_out(self->timer_)
                                               ? std::error_code(link_errc::connect_timeout)
                                               : std::error_code(ec));
                                return;
                              }
                              if (self->closed_ || self->closing_) {
                                return;
                              }
                              self->begin_handshake(tls_session::role::client);
                            });
      });
}

void link_connection::read_some() {
  const std::span<std::uint8_t> space = tls_->receive_space();
  socket_.async_read_some(
      asio::buffer(space.data(), space.size()),
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
        if (self->closed_ || self->closing_) {
          return;
        }
        if (!self->handshaken_) {
          if (ec) {
            self->handshake_failed(timed_out(self->timer_)
                                       ? std::error_code(link_errc::connect_timeout)
                                       : std::error_code(ec));
            return;
          }
          self->tls_->received(n);
          self->continue_handshake();
          return;
        }
        if (ec) {
          self->fail(ec == asio::error::eof ? self->end_of_stream() : std::error_code(ec));
          return;
        }
        self->tls_->received(n);
        self->decrypt_received();
      });
}

void link_connection::decrypt_received() {
  for (;;) {
    if (closed_ || closing_ || !owner_) {
      return;
    }
    const tls_progress progress = tls_->read(read_buffer_);
    if (progress.bytes > 0) {
      if (!deliver(progress.bytes)) {
        return;
      }
      continue;
    }
    if (progress.needs_input) {
      break;
    }
    fail(progress.ended ? end_of_stream() : progress.error);
    return;
  }
  flush();  // what the session answered while reading (a key update)
  if (!closed_) {
    read_some();
  }
}

std::error_code link_connection::end_of_stream() const {
  // The peer closed (without a TLS close_notify, as we do, or with one): a
  // clean end, unless it stopped in the middle of a frame.
  const std::error_code truncated = decoder_.finish();
  return truncated ? truncated : std::error_code(link_errc::closed_by_peer);
}

bool link_connection::deliver(std::size_t bytes) {
  frames_.clear();
  const std::error_code framing = decoder_.feed({read_buffer_.data(), bytes}, frames_);
  // Frames completed before a framing error are still valid input.
  for (const auto& frame : frames_) {
    if (!owner_ || closing_) {
      return false;
    }
    owner_->on_link_frame(id_, frame);
  }
  if (frames_.empty() && !framing && owner_) {
    // Part of a frame: the peer is alive and sending (a large chunk on a
    // slow link, or a retransmission) though no frame is whole yet.
    owner_->on_link_bytes(id_);
  }
  if (framing) {
    // Report before closing, so the reason is logged by the time the peer
    // sees the connection end.
    handler* owner = owner_;
    owner_ = nullptr;
    if (owner) {
      owner->on_link_protocol_error(id_, framing);
    }
    shutdown_now();
    return false;
  }
  return owner_ && !closing_ && !closed_;
}

void link_connection::send(wire::shared_bytes frame) {
  if (closed_ || closing_) {
    return;
  }
  pending_bytes_ += frame->size();
  queue_.push_back(std::move(frame));
  write_queued();
}

void link_connection::write_queued() {
  if (send_in_flight_ || !handshaken_ || closed_) {
    return;
  }
  for (std::size_t frames = 0; frames < max_frames_per_send && !queue_.empty() &&
                               tls_->outgoing_bytes() < max_ciphertext_per_send;
       ++frames) {
    if (std::exchange(small_records_due_, false)) {
      tls_->limit_records(narrow_link_record_bytes);
    }
    const tls_progress progress = tls_->write(*queue_.front());
    if (progress.error) {
      fail(progress.error);
      return;
    }
    encrypted_bytes_ += queue_.front()->size();
    queue_.pop_front();
  }
  flush();
}

void link_connection::flush() {
  if (send_in_flight_ || closed_ || !tls_->has_outgoing()) {
    return;
  }
  tls_->take_outgoing(sending_);
  sending_frame_bytes_ = std::exchange(encrypted_bytes_, 0);
  send_in_flight_ = true;
  asio::async_write(socket_, asio::buffer(sending_),
                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                      self->send_in_flight_ = false;
                      if (self->closed_) {
                        return;
                      }
                      if (ec) {
                        self->fail(ec);
                        return;
                      }
                      const std::size_t written = std::exchange(self->sending_frame_bytes_, 0);
                      self->pending_bytes_ -= written;
                      if (written > 0 && self->owner_) {
                        // May queue more (sent below) or close this link (the engine runs).
                        self->owner_->on_link_written(self->id_, written);
                      }
                      if (self->closed_) {
                        return;
                      }
                      if (self->closing_ && self->queue_.empty() && !self->tls_->has_outgoing()) {
                        self->shutdown_now();
                        return;
                      }
                      self->write_queued();
                      self->flush();  // before the handshake, its records
                    });
}

void link_connection::close_after_flush() {
  owner_ = nullptr;
  closing_ = true;
  if (!send_in_flight_ && queue_.empty()) {
    shutdown_now();
    return;
  }
  timer_.expires_after(config_.close_linger);
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) {
      self->shutdown_now();
    }
  });
}

void link_connection::detach() {
  owner_ = nullptr;
  shutdown_now();
}

void link_connection::fail(std::error_code why) {
  handler* owner = owner_;
  owner_ = nullptr;
  if (owner) {
    owner->on_link_failed(id_, why);
  }
  shutdown_now();
}

void link_connection::shutdown_now() {
  if (closed_) {
    return;
  }
  closed_ = true;
  boost::system::error_code ignored;
  timer_.cancel();
  resolver_.cancel();
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  queue_.clear();  // a send under way keeps its own buffer (sending_) until its handler
  pending_bytes_ = 0;
}

}  // namespace treecast::runtime
