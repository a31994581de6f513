#include "runtime/link_connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <limits>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "runtime/congestion_control.hpp"
#include "runtime/link_errors.hpp"
#include "runtime/tls_context.hpp"

namespace treecast::runtime {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr std::size_t read_buffer_bytes = 64 * 1024;
constexpr std::size_t max_frames_per_write = 64;

}  // namespace

link_connection::link_connection(tcp::socket socket, asio::ssl::context& tls, core::link_id_t id,
                                 handler& owner, const runtime_config& config)
    : stream_(std::move(socket), tls),
      socket_(stream_.next_layer()),
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
  stream_.async_handshake(asio::ssl::stream_base::server,
                          [self = shared_from_this()](const boost::system::error_code& ec) {
                            self->timer_.cancel();
                            if (self->closed_ || self->closing_) {
                              return;
                            }
                            if (ec) {
                              // Not TLS, or not ours: bad input from that peer.
                              handler* owner = self->owner_;
                              self->owner_ = nullptr;
                              if (owner) {
                                owner->on_link_protocol_error(self->id_, ec);
                              }
                              self->shutdown_now();
                              return;
                            }
                            self->begin_reading();
                            self->write_queued();
                          });
}

void link_connection::pace(std::uint64_t bytes_per_second) {
  // As an unsigned 32-bit rate, which every kernel with the option takes.
  const auto rate = static_cast<unsigned int>(
      std::min<std::uint64_t>(bytes_per_second, std::numeric_limits<unsigned int>::max()));
  ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_MAX_PACING_RATE, &rate, sizeof rate);
  // A paced link feeds a narrow downlink: small records (tls_context.cpp),
  // from the next write on (not under one in flight).
  small_records_due_ = true;
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
  read_some();
}

void link_connection::connect(const std::string& host, std::uint16_t port) {
  // The timer bounds resolve + connect together; cancelling the socket and
  // resolver makes the pending handler report operation_aborted.
  timer_.expires_after(config_.connect_timeout);
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec && !self->closed_ && !self->socket_.is_open()) {
      self->resolver_.cancel();
    }
    if (!ec && !self->closed_) {
      boost::system::error_code ignored;
      self->socket_.close(ignored);
    }
  });
  resolver_.async_resolve(
      host, std::to_string(port),
      [self = shared_from_this()](const boost::system::error_code& ec,
                                  tcp::resolver::results_type results) {
        if (ec) {
          self->fail(self->timer_.expiry() <= asio::steady_timer::clock_type::now()
                         ? std::error_code(link_errc::connect_timeout)
                         : std::error_code(ec));
          return;
        }
        asio::async_connect(
            self->socket_, results,
            [self](const boost::system::error_code& ec, const tcp::endpoint&) {
              if (ec) {
                self->fail(self->timer_.expiry() <= asio::steady_timer::clock_type::now()
                               ? std::error_code(link_errc::connect_timeout)
                               : std::error_code(ec));
                return;
              }
              if (self->closed_ || self->closing_) {
                return;
              }
              self->stream_.async_handshake(asio::ssl::stream_base::client,
                                            [self](const boost::system::error_code& ec) {
                                              self->timer_.cancel();
                                              if (self->closed_ || self->closing_) {
                                                return;
                                              }
                                              if (ec) {
                                                self->fail(ec);
                                                return;
                                              }
                                              self->begin_reading();
                                              if (self->owner_) {
                                                self->owner_->on_link_connected(self->id_);
                                              }
                                              self->write_queued();
                                            });
            });
      });
}

void link_connection::read_some() {
  stream_.async_read_some(
      asio::buffer(read_buffer_),
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
        if (self->closed_ || self->closing_) {
          return;
        }
        if (ec) {
          std::error_code why = ec;
          // The peer closed without a TLS close_notify (as we do): a clean
          // end, unless it stopped in the middle of a frame.
          if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
            why = self->decoder_.finish();
            if (!why) {
              why = link_errc::closed_by_peer;
            }
          }
          self->fail(why);
          return;
        }
        self->frames_.clear();
        const std::error_code framing =
            self->decoder_.feed({self->read_buffer_.data(), n}, self->frames_);
        // Frames completed before a framing error are still valid input.
        for (const auto& frame : self->frames_) {
          if (!self->owner_ || self->closing_) {
            return;
          }
          self->owner_->on_link_frame(self->id_, frame);
        }
        if (self->frames_.empty() && !framing && self->owner_) {
          // Part of a frame: the peer is alive and sending (a large chunk on
          // a slow link, or a retransmission) though no frame is whole yet.
          self->owner_->on_link_bytes(self->id_);
        }
        if (framing) {
          // Report before closing, so the reason is logged by the time the
          // peer sees the connection end.
          handler* owner = self->owner_;
          self->owner_ = nullptr;
          if (owner) {
            owner->on_link_protocol_error(self->id_, framing);
          }
          self->shutdown_now();
          return;
        }
        if (self->owner_ && !self->closing_) {
          self->read_some();
        }
      });
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
  if (in_flight_ > 0 || queue_.empty() || !socket_.is_open() || closed_ || !handshaken_) {
    return;
  }
  if (std::exchange(small_records_due_, false)) {
    SSL_set_max_send_fragment(stream_.native_handle(), narrow_link_record_bytes);
  }
  std::vector<asio::const_buffer> buffers;
  for (const auto& frame : queue_) {
    if (buffers.size() == max_frames_per_write) {
      break;
    }
    buffers.push_back(asio::buffer(*frame));
  }
  in_flight_ = buffers.size();
  asio::async_write(stream_, buffers,
                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                      if (self->closed_) {
                        self->queue_.clear();  // frames in flight were kept alive until now
                        self->pending_bytes_ = 0;
                        self->in_flight_ = 0;
                        return;
                      }
                      std::size_t written = 0;
                      for (std::size_t i = 0; i < self->in_flight_; ++i) {
                        written += self->queue_.front()->size();
                        self->queue_.pop_front();
                      }
                      self->pending_bytes_ -= written;
                      self->in_flight_ = 0;
                      if (ec) {
                        self->fail(ec);
                        return;
                      }
                      if (self->owner_) {
                        // May queue more or close this link (the engine runs).
                        self->owner_->on_link_written(self->id_, written);
                      }
                      if (self->closed_) {
                        return;
                      }
                      if (self->closing_ && self->queue_.empty()) {
                        self->shutdown_now();
                        return;
                      }
                      self->write_queued();
                    });
}

void link_connection::close_after_flush() {
  owner_ = nullptr;
  closing_ = true;
  if (in_flight_ == 0 && queue_.empty()) {
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
  if (in_flight_ == 0) {
    queue_.clear();  // otherwise the write handler drops it: its buffers point into it
    pending_bytes_ = 0;
  }
}

}  // namespace treecast::runtime
