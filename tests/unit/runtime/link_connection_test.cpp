// The TLS transport of every peer link, over loopback in one io_context:
// frames of every size arrive whole and in order (large ones go out record
// by record as the socket takes them), and what a bad peer does ends the
// link with its reason, never the process.
#include "runtime/link_connection.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <functional>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "runtime/link_errors.hpp"
#include "runtime/tls_context.hpp"
#include "runtime/tls_session.hpp"
#include "wire/errors.hpp"
#include "wire/frame_decoder.hpp"

namespace treecast::runtime {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// What one end of a link saw.
struct link_events final : link_connection::handler {
  std::vector<wire::shared_bytes> frames;
  bool connected = false;
  std::optional<std::error_code> failed;
  std::optional<std::error_code> protocol_error;
  std::size_t written = 0;

  void on_link_connected(core::link_id_t) override { connected = true; }
  void on_link_frame(core::link_id_t, const wire::shared_bytes& frame) override {
    frames.push_back(frame);
  }
  void on_link_failed(core::link_id_t, std::error_code why) override { failed = why; }
  void on_link_protocol_error(core::link_id_t, std::error_code why) override {
    protocol_error = why;
  }
  void on_link_bytes(core::link_id_t) override {}
  void on_link_written(core::link_id_t, std::size_t bytes) override { written += bytes; }
};

// A frame of `body_bytes` whose bytes tell where in which frame they are.
wire::shared_bytes frame_of(std::size_t body_bytes, std::uint8_t seed) {
  auto frame = std::make_shared<wire::byte_buffer>(4 + body_bytes);
  wire::write_frame_header(frame->data(), static_cast<std::uint32_t>(body_bytes));
  for (std::size_t i = 0; i < body_bytes; ++i) {
    (*frame)[4 + i] = static_cast<std::uint8_t>(seed + i * 7);
  }
  return frame;
}

class link_connection_test : public ::testing::Test {
 protected:
  link_connection_test() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    // The default action, so that a SIGPIPE would end this test.
    std::signal(SIGPIPE, SIG_DFL);
  }

  ~link_connection_test() override {
    for (auto& link : links_) {
      link->detach();
    }
    io_.run_for(std::chrono::milliseconds(50));  // let the detached links' handlers finish
  }

  // Accepts the next connection as a server link reporting to `events`.
  void accept_into(link_events& events) {
    acceptor_.async_accept([this, &events](const boost::system::error_code& ec, tcp::socket s) {
      ASSERT_FALSE(ec) << ec.message();
      server_link_ = std::make_shared<link_connection>(std::move(s), *tls_, 1, events, config_);
      links_.push_back(server_link_);
      server_link_->start();
    });
  }

  std::shared_ptr<link_connection> connect_from(link_events& events) {
    links_.push_back(
        std::make_shared<link_connection>(tcp::socket(io_), *tls_, 2, events, config_));
    links_.back()->connect("127.0.0.1", acceptor_.local_endpoint().port());
    return links_.back();
  }

  // Runs the io_context until `done` holds, for at most 10 s.
  bool run_until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.run_for(std::chrono::milliseconds(5));
    }
    return done();
  }

  asio::io_context io_;
  // Keeps io_ running between steps that leave it no work for a moment.
  asio::executor_work_guard<asio::io_context::executor_type> busy_ = asio::make_work_guard(io_);
  tcp::acceptor acceptor_;
  std::shared_ptr<asio::ssl::context> tls_ = make_tls_context();
  runtime_config config_;
  std::vector<std::shared_ptr<link_connection>> links_;
  std::shared_ptr<link_connection> server_link_;  // the last one accepted
};

TEST_F(link_connection_test, frames_of_every_size_arrive_whole_and_in_order) {
  link_events server;
  link_events client;
  accept_into(server);
  auto link = connect_from(client);
  // Sent before the handshake is done: they wait for it. The first is
  // small (a link's first frame is a Hello); the largest are many times the
  // socket's buffer, so they go out as the peer reads.
  const std::vector<std::size_t> sizes = {
      100, 1, 16379, 16380, 16381, 3 * 1024 * 1024, 7, 1024 * 1024, 40000, 4 * 1024 * 1024 - 4};
  std::vector<wire::shared_bytes> sent;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    sent.push_back(frame_of(sizes[i], static_cast<std::uint8_t>(i)));
    link->send(sent.back());
  }
  const std::size_t total =
      std::accumulate(sent.begin(), sent.end(), std::size_t{0},
                      [](std::size_t sum, const wire::shared_bytes& f) { return sum + f->size(); });
  EXPECT_EQ(link->pending_bytes(), total);

  ASSERT_TRUE(run_until([&] { return server.frames.size() == sent.size() || server.failed; }));
  EXPECT_TRUE(client.connected);
  EXPECT_FALSE(server.failed);
  EXPECT_FALSE(server.protocol_error);
  for (std::size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(*server.frames[i], *sent[i]) << "frame " << i << " of " << sizes[i] << " bytes";
  }
  ASSERT_TRUE(run_until([&] { return client.written == total; }));
  EXPECT_EQ(link->pending_bytes(), 0u);
}

TEST_F(link_connection_test, a_peer_that_speaks_no_tls_is_a_protocol_error) {
  link_events server;
  accept_into(server);
  tcp::socket raw(io_);
  raw.connect(acceptor_.local_endpoint());
  asio::write(raw, asio::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));

  ASSERT_TRUE(run_until([&] { return server.protocol_error.has_value(); }));
  EXPECT_FALSE(server.failed);
  EXPECT_TRUE(server.frames.empty());
}

TEST_F(link_connection_test, a_peer_gone_while_we_write_fails_the_link_and_not_the_process) {
  link_events server;
  link_events client;
  accept_into(server);
  auto link = connect_from(client);
  link->send(frame_of(100, 1));
  ASSERT_TRUE(run_until([&] { return server.frames.size() == 1; }));

  // The server end goes away (its unread bytes make the kernel reset the
  // connection) while the client has megabytes queued for it.
  for (int i = 0; i < 8; ++i) {
    link->send(frame_of(1024 * 1024, static_cast<std::uint8_t>(i)));
  }
  server_link_->detach();

  ASSERT_TRUE(run_until([&] { return client.failed.has_value(); }));
  EXPECT_TRUE(*client.failed) << "the failure names why";
  EXPECT_EQ(link->pending_bytes(), 0u) << "what was queued for the peer is dropped";
}

// A TLS client driven by hand, to send what link_connection never does.
class hand_driven_client {
 public:
  hand_driven_client(asio::io_context& io, asio::ssl::context& tls, const tcp::endpoint& to)
      : socket_(io), session_(tls.native_handle(), tls_session::role::client) {
    socket_.connect(to);
  }

  // One step of the handshake; true once it is done.
  bool handshake_step() {
    receive_what_came();
    const tls_progress progress = session_.handshake();
    EXPECT_FALSE(progress.error) << progress.error.message();
    send_what_is_due();
    return !progress.needs_input && !progress.error;
  }

  void write_all(std::span<const std::uint8_t> bytes) {
    const tls_progress progress = session_.write(bytes);
    ASSERT_FALSE(progress.error) << progress.error.message();
    send_what_is_due();
  }

  void close() { socket_.close(); }

 private:
  void receive_what_came() {
    const std::size_t ready = socket_.available();
    if (ready > 0) {
      const auto space = session_.receive_space();
      session_.received(
          socket_.read_some(asio::buffer(space.data(), std::min(ready, space.size()))));
    }
  }

  void send_what_is_due() {
    std::vector<std::uint8_t> out;
    session_.take_outgoing(out);
    asio::write(socket_, asio::buffer(out));
  }

  tcp::socket socket_;
  tls_session session_;
};

TEST_F(link_connection_test, a_peer_closing_between_frames_ends_cleanly_and_mid_frame_does_not) {
  for (const bool mid_frame : {false, true}) {
    link_events server;
    accept_into(server);
    hand_driven_client client(io_, *tls_, acceptor_.local_endpoint());
    ASSERT_TRUE(run_until([&] { return client.handshake_step(); }));

    auto frame = frame_of(50, 3);
    // Mid-frame: the length prefix promises 50 bytes, 20 come.
    client.write_all({frame->data(), mid_frame ? 24 : frame->size()});
    if (!mid_frame) {
      ASSERT_TRUE(run_until([&] { return server.frames.size() == 1; }));
    }
    client.close();

    ASSERT_TRUE(run_until([&] { return server.failed.has_value(); })) << "mid_frame " << mid_frame;
    EXPECT_EQ(*server.failed, mid_frame ? std::error_code(wire::wire_errc::truncated_frame)
                                        : std::error_code(link_errc::closed_by_peer))
        << server.failed->message();
  }
}

}  // namespace
}  // namespace treecast::runtime
