#include "runtime/http_server.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <chrono>
#include <cstdio>

#include "runtime/accept_backoff.hpp"

namespace treecast::runtime {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

struct http_server::state {
  explicit state(boost::asio::io_context& io)
      : acceptor(io), accept_pacing(io, "http listener", [](const std::string& line) {
          std::fprintf(stderr, "%s\n", line.c_str());
        }) {}
  tcp::acceptor acceptor;
  accept_backoff accept_pacing;  // the next accept after a failed one
  std::map<std::string, handler> routes;
  std::map<std::string, upgrade_handler> upgrades;
  bool stopped = false;
};

namespace {

constexpr std::size_t max_request_bytes = 8 * 1024;
constexpr auto request_timeout = std::chrono::seconds(5);

class http_connection : public std::enable_shared_from_this<http_connection> {
 public:
  http_connection(tcp::socket socket, std::shared_ptr<const http_server::state> server)
      : stream_(std::move(socket)), server_(std::move(server)) {}

  void start() {
    parser_.emplace();
    parser_->header_limit(max_request_bytes);
    parser_->body_limit(max_request_bytes);
    stream_.expires_after(request_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (!ec) {
                         self->respond(self->parser_->get());
                       }
                     });
  }

 private:
  void respond(http::request<http::string_body>& request) {
    http_response answer;
    const std::string target(request.target());
    const auto question = target.find('?');
    const std::string path = target.substr(0, question);
    const std::string query = question == std::string::npos ? "" : target.substr(question + 1);
    const auto upgrade = server_->upgrades.find(path);
    if (upgrade != server_->upgrades.end() && beast::websocket::is_upgrade(request)) {
      stream_.expires_never();
      auto refusal = upgrade->second(query, stream_.socket(), request);
      if (!refusal) {
        return;  // the socket is the handler's now
      }
      stream_.expires_after(request_timeout);
      answer = std::move(*refusal);
    } else if (request.method() != http::verb::get && request.method() != http::verb::head) {
      answer = {405, "text/plain; charset=utf-8", "only GET and HEAD\n"};
    } else if (const auto it = server_->routes.find(path); it != server_->routes.end()) {
      // A failing page is that request's 500, not the peer's end.
      try {
        answer = it->second(query);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "http: %s failed: %s\n", path.c_str(), e.what());
        answer = {500, "text/plain; charset=utf-8", "internal error\n"};
      }
    } else {
      answer = {404, "text/plain; charset=utf-8", "not found: " + path + "\n"};
    }
    response_.result(static_cast<http::status>(answer.status));
    response_.version(request.version());
    response_.set(http::field::server, "treecast");
    response_.set(http::field::content_type, answer.content_type);
    response_.set(http::field::cache_control, "no-store");
    response_.keep_alive(false);
    if (request.method() != http::verb::head) {
      response_.body() = std::move(answer.body);
    }
    response_.prepare_payload();
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code, std::size_t) {
                        beast::error_code ignored;
                        self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                      });
  }

  beast::tcp_stream stream_;
  std::shared_ptr<const http_server::state> server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
};

}  // namespace

http_server::http_server(boost::asio::io_context& io, const std::string& host, std::uint16_t port)
    : state_(std::make_shared<state>(io)) {
  const tcp::endpoint at(boost::asio::ip::make_address(host), port);
  state_->acceptor.open(at.protocol());
  state_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  state_->acceptor.bind(at);
  state_->acceptor.listen();
  port_ = state_->acceptor.local_endpoint().port();
}

http_server::~http_server() {
  stop();
}

void http_server::route(const std::string& path, handler h) {
  state_->routes[path] = std::move(h);
}

void http_server::route_upgrade(const std::string& path, upgrade_handler h) {
  state_->upgrades[path] = std::move(h);
}

void http_server::start() {
  accept_next();
}

void http_server::stop() {
  state_->stopped = true;
  boost::system::error_code ignored;
  state_->acceptor.close(ignored);
  state_->accept_pacing.cancel();
}

void http_server::accept_next() {
  state_->acceptor.async_accept(
      [s = state_, this](boost::system::error_code ec, tcp::socket socket) {
        if (s->stopped) {
          return;  // `this` may be gone; the state is not
        }
        if (s->accept_pacing.retry_later(ec, [s, this] {
              if (!s->stopped) {
                accept_next();
              }
            })) {
          return;
        }
        std::make_shared<http_connection>(std::move(socket), s)->start();
        accept_next();
      });
}

}  // namespace treecast::runtime
