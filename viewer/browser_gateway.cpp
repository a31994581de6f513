#include "browser_gateway.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "browser_page.hpp"
#include "browser_token.hpp"
#include "runtime/address.hpp"

namespace treecast::viewer {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;
using json = nlohmann::json;

namespace {

constexpr std::size_t max_message_bytes = 64 * 1024;
constexpr std::size_t max_queued_messages = 64;
constexpr auto answer_deadline = std::chrono::seconds(15);
constexpr auto silent_socket = std::chrono::seconds(20);

std::string html_escaped(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

runtime::http_response refusal_page(int status, const std::string& why) {
  return {status, "text/html; charset=utf-8",
          "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>treecast</title>"
          "</head><body style=\"font:16px sans-serif;margin:3em\"><h1>No stream here</h1><p>" +
              html_escaped(why) + "</p></body></html>\n"};
}

std::string token_in(const std::string& query) {
  return runtime::link_parameter("?" + query, "t").value_or("");
}

}  // namespace

class browser_gateway::session : public std::enable_shared_from_this<session> {
 public:
  session(browser_gateway& gateway, std::uint64_t id, tcp::socket socket)
      : gateway_(gateway),
        alive_(gateway.alive_),
        id_(id),
        ws_(std::move(socket)),
        answer_timer_(gateway.io_) {
    boost::system::error_code ec;
    const auto remote = beast::get_lowest_layer(ws_).socket().remote_endpoint(ec);
    from_ = ec ? "?" : remote.address().to_string();
  }

  std::uint64_t id() const { return id_; }
  const std::string& from() const { return from_; }
  std::optional<media::webrtc_fanout::browser_id> media;
  long long latency_ms = -1;

  void accept(http::request<http::string_body> request) {
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = std::chrono::seconds(5);
    timeouts.idle_timeout = silent_socket;
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    ws_.read_message_max(max_message_bytes);
    ws_.async_accept(request, [self = shared_from_this()](beast::error_code ec) {
      if (!*self->alive_) {
        return;
      }
      if (ec) {
        self->gateway_.forget(*self, "the WebSocket handshake failed: " + ec.message(), false);
        return;
      }
      self->read_next();
      // The answer is due 15 s after the browser connected, not after our
      // offer: an offer made late on a busy machine must not leave the
      // 20 s idle timeout to drop a browser that never answered first.
      self->expect_answer();
      self->gateway_.start_media(*self);
    });
  }

  // Queues a message; a browser with too many unread is dropped.
  void send(const json& message) {
    if (closing_) {
      return;
    }
    if (outbox_.size() >= max_queued_messages) {
      gateway_.forget(*this, "stopped reading its signalling messages", true);
      return;
    }
    outbox_.push_back(message.dump());
    if (outbox_.size() == 1) {
      write_next();
    }
  }

  void expect_answer() {
    answer_timer_.expires_after(answer_deadline);
    answer_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec && *self->alive_ && !self->answered_) {
        self->gateway_.forget(*self, "did not answer the offer within 15 s", true);
      }
    });
  }

  void close(const std::string& why) {
    if (closing_) {
      return;
    }
    closing_ = true;
    answer_timer_.cancel();
    outbox_.clear();
    // A close reason is at most 123 bytes.
    ws_.async_close(websocket::close_reason(websocket::close_code::normal, why.substr(0, 120)),
                    [self = shared_from_this()](beast::error_code) {});
  }

 private:
  void read_next() {
    ws_.async_read(in_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (!*self->alive_ || self->closing_) {
        return;
      }
      if (ec) {
        const bool too_big = ec == websocket::error::message_too_big;
        self->gateway_.forget(*self,
                              too_big ? "sent a signalling message over 64 KiB"
                                      : "closed the page (" + ec.message() + ")",
                              too_big);
        return;
      }
      const std::string text = beast::buffers_to_string(self->in_.data());
      self->in_.consume(self->in_.size());
      if (self->handle(text)) {
        self->read_next();
      }
    });
  }

  // One message from the browser; false when it was dropped for it.
  bool handle(const std::string& text) {
    const json message = json::parse(text, nullptr, false);
    const auto drop = [&](const std::string& why) {
      gateway_.forget(*this, why, true);
      return false;
    };
    if (!message.is_object() || !message.contains("type") || !message["type"].is_string()) {
      return drop("sent a signalling message that is not a JSON object with a type");
    }
    const std::string type = message["type"];
    if (type == "answer") {
      if (!message.contains("sdp") || !message["sdp"].is_string()) {
        return drop("sent an answer without SDP");
      }
      if (!media || answered_) {
        return drop("sent an answer to no offer");
      }
      try {
        gateway_.fanout_.answer(*media, message["sdp"]);
      } catch (const std::invalid_argument& e) {
        return drop(std::string("sent a malformed answer: ") + e.what());
      }
      answered_ = true;
      answer_timer_.cancel();
    } else if (type == "candidate") {
      if (!message.contains("candidate") || !message["candidate"].is_string() ||
          !message.contains("mline") || !message["mline"].is_number_unsigned() ||
          message["mline"] > 1u) {
        return drop("sent a malformed ICE candidate");
      }
      if (media) {
        gateway_.fanout_.add_candidate(*media, message["mline"], message["candidate"]);
      }
    } else if (type == "report") {
      if (message.contains("latency_ms") && message["latency_ms"].is_number()) {
        latency_ms = static_cast<long long>(message["latency_ms"].get<double>());
      }
    } else {
      return drop("sent a signalling message of unknown type '" + type.substr(0, 40) + "'");
    }
    return true;
  }

  void write_next() {
    ws_.text(true);
    ws_.async_write(boost::asio::buffer(outbox_.front()),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                      if (!*self->alive_ || self->closing_) {
                        return;
                      }
                      if (ec) {
                        self->gateway_.forget(*self, "the WebSocket broke: " + ec.message(), false);
                        return;
                      }
                      self->outbox_.pop_front();
                      if (!self->outbox_.empty()) {
                        self->write_next();
                      }
                    });
  }

  browser_gateway& gateway_;
  std::shared_ptr<bool> alive_;  // false once the gateway is gone
  std::uint64_t id_;
  std::string from_;
  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer in_;
  std::deque<std::string> outbox_;
  boost::asio::steady_timer answer_timer_;
  bool answered_ = false;
  bool closing_ = false;
};

browser_gateway::browser_gateway(boost::asio::io_context& io, browser_gateway_settings settings,
                                 log_line log)
    : io_(io),
      settings_(std::move(settings)),
      log_(std::move(log)),
      token_(browser_token(settings_.content_key)),
      fanout_({.ice_address = runtime::is_wildcard_host(settings_.host) ? "" : settings_.host},
              [this](const std::string& error) {
                boost::asio::post(io_, [this, error, alive = alive_] {
                  if (*alive) {
                    log_("browser media failed: " + error);
                  }
                });
              }),
      clock_timer_(io, std::chrono::seconds(1), [this] { send_clock(); }) {
  fanout_.set_ready_handler([this, alive = alive_] {
    boost::asio::post(io_, [this, alive] {
      if (!*alive) {
        return;
      }
      for (const auto& s : sessions()) {
        start_media(*s);
      }
    });
  });
}

browser_gateway::~browser_gateway() {
  stop();
  *alive_ = false;
}

void browser_gateway::start() {
  server_ = std::make_unique<runtime::http_server>(io_, settings_.host, settings_.port);
  server_->route("/", [this](const std::string& query) {
    if (!browser_token_matches(settings_.content_key, token_in(query))) {
      return refusal_page(403,
                          "This page shows the meeting to invited browsers only. Open the "
                          "address the gateway printed, with its ?t= token, as it came with "
                          "your invitation.");
    }
    std::string page = browser_page;
    const std::string placeholder = "<title>treecast</title>";
    page.replace(page.find(placeholder), placeholder.size(),
                 "<title>" + html_escaped(settings_.title) + "</title>");
    return runtime::http_response{200, "text/html; charset=utf-8", page};
  });
  server_->route_upgrade(
      "/ws",
      [this](const std::string& query, tcp::socket& socket,
             http::request<http::string_body>& request) -> std::optional<runtime::http_response> {
        if (!browser_token_matches(settings_.content_key, token_in(query))) {
          return refusal_page(403, "no stream without the invitation's browser token");
        }
        if (sessions_.size() >= settings_.max_browsers) {
          return refusal_page(503, "this gateway serves " + std::to_string(settings_.max_browsers) +
                                       " browsers already; try again later");
        }
        auto s = std::make_shared<session>(*this, next_session_++, std::move(socket));
        sessions_[s->id()] = s;
        s->accept(std::move(request));
        return std::nullopt;
      });
  server_->start();
  clock_timer_.start();
}

void browser_gateway::stop() {
  clock_timer_.cancel();
  if (server_) {
    server_->stop();
  }
  while (!sessions_.empty()) {
    forget(*sessions_.begin()->second, "the gateway stopped", false);
  }
  fanout_.stop();
}

void browser_gateway::push(std::shared_ptr<const std::string> ts, std::uint64_t capture_time_us) {
  const auto* data = ts->data();
  const std::size_t size = ts->size();
  fanout_.push(data, size, capture_time_us, std::move(ts));
}

std::uint16_t browser_gateway::port() const {
  return server_ ? server_->port() : 0;
}

std::string browser_gateway::page_address() const {
  const std::string& named = settings_.page_host.empty() ? settings_.host : settings_.page_host;
  return "http://" + runtime::format_address({named, port()}) + "/?t=" + token_;
}

std::size_t browser_gateway::browsers() const {
  return sessions_.size();
}

long long browser_gateway::browser_latency_ms() const {
  std::vector<long long> figures;
  for (const auto& [id, s] : sessions_) {
    if (s->latency_ms >= 0) {
      figures.push_back(s->latency_ms);
    }
  }
  if (figures.empty()) {
    return -1;
  }
  std::nth_element(figures.begin(), figures.begin() + figures.size() / 2, figures.end());
  return figures[figures.size() / 2];
}

void browser_gateway::start_media(session& s) {
  if (s.media) {
    return;
  }
  if (!fanout_.ready()) {
    s.send({{"type", "wait"}});
    return;
  }
  const std::weak_ptr<session> weak = s.shared_from_this();
  const auto on_io = [this, weak, alive = alive_](auto f) {
    boost::asio::post(io_, [weak, alive, f = std::move(f)] {
      if (*alive) {
        if (auto s = weak.lock()) {
          f(*s);
        }
      }
    });
  };
  s.media = fanout_.add_browser(
      {.offer =
           [on_io](const std::string& sdp) {
             on_io([sdp](session& s) { s.send({{"type", "offer"}, {"sdp", sdp}}); });
           },
       .candidate =
           [on_io](unsigned mline, const std::string& candidate) {
             on_io([mline, candidate](session& s) {
               s.send({{"type", "candidate"}, {"mline", mline}, {"candidate", candidate}});
             });
           },
       .lost =
           [this, on_io](const std::string& why) {
             on_io([this, why](session& s) { forget(s, why, false); });
           }});
  ++served_;
  log_("browser " + std::to_string(s.id()) + " (" + s.from() + ") is watching; " +
       std::to_string(sessions_.size()) + " in all");
}

void browser_gateway::forget(session& s, const std::string& why, bool misbehaved) {
  const auto it = sessions_.find(s.id());
  if (it == sessions_.end()) {
    return;  // said already
  }
  const std::shared_ptr<session> keep = it->second;
  sessions_.erase(it);
  if (s.media) {
    fanout_.remove_browser(*s.media);
  }
  if (misbehaved) {
    ++dropped_;
  }
  log_("browser " + std::to_string(s.id()) + " (" + s.from() + ") " +
       (misbehaved ? "dropped: " : "left: ") + why);
  s.close(why);
}

std::vector<std::shared_ptr<browser_gateway::session>> browser_gateway::sessions() const {
  std::vector<std::shared_ptr<session>> all;
  for (const auto& [id, s] : sessions_) {
    all.push_back(s);
  }
  return all;
}

void browser_gateway::send_clock() {
  const auto clock = fanout_.video_clock();
  if (!clock) {
    return;
  }
  const json message = {
      {"type", "clock"}, {"rtp", clock->rtp_timestamp}, {"capture_us", clock->capture_time_us}};
  for (const auto& s : sessions()) {
    if (s->media) {
      s->send(message);
    }
  }
}

}  // namespace treecast::viewer
