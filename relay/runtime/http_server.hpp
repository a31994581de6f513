// A small HTTP/1.1 server (Boost.Beast) on the peer's io_context, for
// /metrics, /status and the broadcaster's dashboard. One request per
// connection; requests are bounded in size (8 KiB) and time (5 s), so a
// client that stalls or floods costs one socket for a few seconds at most.
// Only GET and HEAD are served.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace treecast::runtime {

struct http_response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class http_server {
 public:
  // Answers a GET for its path; `query` is what follows '?' ("" if nothing).
  using handler = std::function<http_response(const std::string& query)>;

  // Binds host:port (port 0 picks one). Throws std::system_error.
  http_server(boost::asio::io_context& io, const std::string& host, std::uint16_t port);
  ~http_server();

  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  // Takes a WebSocket upgrade request for its path: returns nullopt when it
  // took over the socket, else the response to send instead (a refusal).
  using upgrade_handler = std::function<std::optional<http_response>(
      const std::string& query, boost::asio::ip::tcp::socket& socket,
      boost::beast::http::request<boost::beast::http::string_body>& request)>;

  // Serves `path` exactly; unknown paths get 404.
  void route(const std::string& path, handler h);
  // Hands WebSocket upgrade requests for `path` to `h` (other requests for
  // it go to its route, if any).
  void route_upgrade(const std::string& path, upgrade_handler h);
  void start();
  void stop();
  std::uint16_t port() const { return port_; }

  struct state;  // defined in the .cpp

 private:
  void accept_next();

  std::shared_ptr<state> state_;  // shared with in-flight connections
  std::uint16_t port_ = 0;
};

}  // namespace treecast::runtime
