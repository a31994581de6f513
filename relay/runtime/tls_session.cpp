#include "runtime/tls_session.hpp"

#include <openssl/err.h>

#include <algorithm>
#include <boost/asio/ssl/error.hpp>
#include <boost/system/error_code.hpp>
#include <cstring>
#include <stdexcept>

namespace treecast::runtime {

namespace {

// Room for a few records of ciphertext received at once.
constexpr std::size_t incoming_bytes = 32 * 1024;

tls_session& session_of(BIO* bio) {
  return *static_cast<tls_session*>(BIO_get_data(bio));
}

}  // namespace

int tls_session::bio_write(BIO* bio, const char* data, std::size_t length, std::size_t* written) {
  BIO_clear_retry_flags(bio);
  auto& out = session_of(bio).outgoing_;
  out.insert(out.end(), reinterpret_cast<const std::uint8_t*>(data),
             reinterpret_cast<const std::uint8_t*>(data) + length);
  *written = length;
  return 1;
}

int tls_session::bio_read(BIO* bio, char* data, std::size_t length, std::size_t* read) {
  BIO_clear_retry_flags(bio);
  tls_session& session = session_of(bio);
  const std::size_t available = session.incoming_filled_ - session.incoming_read_;
  if (available == 0) {
    BIO_set_retry_read(bio);  // more ciphertext may come: OpenSSL says "want read"
    return 0;
  }
  const std::size_t n = std::min(length, available);
  std::memcpy(data, session.incoming_.data() + session.incoming_read_, n);
  session.incoming_read_ += n;
  *read = n;
  return 1;
}

long tls_session::bio_control(BIO*, int command, long, void*) {
  // Nothing is held back in this BIO, so a flush has nothing to do; OpenSSL
  // asks nothing else of a plain transport BIO that it needs answered.
  return command == BIO_CTRL_FLUSH ? 1 : 0;
}

tls_session::tls_session(SSL_CTX* context, role side)
    : ssl_(SSL_new(context)), incoming_(incoming_bytes) {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* made =
        BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "treecast session buffers");
    if (made) {
      BIO_meth_set_write_ex(made, bio_write);
      BIO_meth_set_read_ex(made, bio_read);
      BIO_meth_set_ctrl(made, bio_control);
      BIO_meth_set_create(made, [](BIO* bio) {
        BIO_set_init(bio, 1);
        return 1;
      });
    }
    return made;
  }();
  BIO* bio = ssl_ && method ? BIO_new(method) : nullptr;
  if (!bio) {
    throw std::runtime_error("cannot make a TLS session");
  }
  BIO_set_data(bio, this);
  SSL_set_bio(ssl_.get(), bio, bio);  // the session owns the BIO
  // A peer that closes without close_notify ends the stream cleanly (as we
  // close): whether it stopped mid-frame is the framing's to say.
  SSL_set_options(ssl_.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
  // Whole received buffers into OpenSSL at once rather than a record's
  // header, then its body.
  SSL_set_read_ahead(ssl_.get(), 1);
  if (side == role::server) {
    SSL_set_accept_state(ssl_.get());
  } else {
    SSL_set_connect_state(ssl_.get());
  }
}

tls_session::~tls_session() = default;

tls_progress tls_session::handshake() {
  ERR_clear_error();
  return outcome(SSL_do_handshake(ssl_.get()), 0);
}

tls_progress tls_session::read(std::span<std::uint8_t> into) {
  ERR_clear_error();
  std::size_t n = 0;
  const int result = SSL_read_ex(ssl_.get(), into.data(), into.size(), &n);
  return outcome(result, n);  // n is set by the call: not in one expression with it
}

tls_progress tls_session::write(std::span<const std::uint8_t> from) {
  ERR_clear_error();
  std::size_t n = 0;
  const int result = SSL_write_ex(ssl_.get(), from.data(), from.size(), &n);
  return outcome(result, n);
}

void tls_session::limit_records(std::size_t bytes) {
  SSL_set_max_send_fragment(ssl_.get(), static_cast<long>(bytes));
}

std::span<std::uint8_t> tls_session::receive_space() {
  if (incoming_read_ == incoming_filled_) {
    incoming_read_ = incoming_filled_ = 0;
  } else if (incoming_read_ > 0) {
    // A partial record is left: move it to the front.
    std::memmove(incoming_.data(), incoming_.data() + incoming_read_,
                 incoming_filled_ - incoming_read_);
    incoming_filled_ -= incoming_read_;
    incoming_read_ = 0;
  }
  return {incoming_.data() + incoming_filled_, incoming_.size() - incoming_filled_};
}

void tls_session::received(std::size_t bytes) {
  incoming_filled_ += bytes;
}

void tls_session::take_outgoing(std::vector<std::uint8_t>& into) {
  into.clear();
  outgoing_.swap(into);
}

tls_progress tls_session::outcome(int result, std::size_t bytes) {
  tls_progress progress;
  if (result == 1) {
    progress.bytes = bytes;
    return progress;
  }
  switch (SSL_get_error(ssl_.get(), result)) {
    case SSL_ERROR_WANT_READ:
      progress.needs_input = true;
      break;
    case SSL_ERROR_ZERO_RETURN:
      progress.ended = true;
      break;
    default: {
      // What OpenSSL refused (not TLS, a bad record...), named as Asio names it.
      const auto code = static_cast<int>(ERR_peek_last_error());
      ERR_clear_error();
      progress.error = code != 0 ? std::error_code(boost::system::error_code(
                                       code, boost::asio::error::get_ssl_category()))
                                 : std::make_error_code(std::errc::protocol_error);
      break;
    }
  }
  return progress;
}

}  // namespace treecast::runtime
