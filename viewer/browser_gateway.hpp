// Serves the stream this peer receives to browsers on its network, with
// nothing installed on them: a page (GET /?t=TOKEN) and, per browser, a
// WebSocket (/ws?t=TOKEN) that signals one WebRTC connection (the gateway
// offers, the browser answers, both trade ICE candidates) and carries the
// stream's clock for glass-to-glass figures. The media goes out through
// webrtc_fanout: the tree's H.264 and Opus, repacketized, not re-encoded, so
// the office's WAN still carries the stream once.
//
// Access: the page and the WebSocket need the browser token derived from the
// invite (browser_token.hpp); without it a browser gets a page that says so
// and no media. Bounded: at most `max_browsers` at once (more are refused
// with a page that says so), 64 KiB per signalling message, 64 messages
// queued toward a browser (one that stops reading is dropped), 15 s to
// answer the offer, and a browser whose WebSocket goes silent for 20 s is
// dropped. None of this touches the tree: the gateway only reads what the
// peer plays.
//
// Threading: everything but push() runs on the io_context's thread; push()
// may be called from any thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/http_server.hpp"
#include "runtime/periodic_timer.hpp"
#include "webrtc_fanout.hpp"

namespace treecast::viewer {

struct browser_gateway_settings {
  std::string host;  // where the page and the WebRTC media are served
  // The host the page address names ("" = `host`): for a wildcard `host`,
  // this machine's address on the network.
  std::string page_host;
  std::uint16_t port = 0;
  std::size_t max_browsers = 50;
  std::string content_key;  // the viewer link's (content_key_of()): the token comes from it
  std::string title = "treecast";
};

class browser_gateway {
 public:
  using log_line = std::function<void(const std::string&)>;

  // Throws std::runtime_error when WebRTC's elements are missing.
  browser_gateway(boost::asio::io_context& io, browser_gateway_settings settings, log_line log);
  ~browser_gateway();

  browser_gateway(const browser_gateway&) = delete;
  browser_gateway& operator=(const browser_gateway&) = delete;

  // Binds HOST:PORT and serves. Throws std::system_error.
  void start();
  // Says goodbye to every browser and stops serving.
  void stop();

  // The stream as the peer plays it (stream_receiver's play handler).
  void push(std::shared_ptr<const std::string> ts, std::uint64_t capture_time_us);

  std::uint16_t port() const;
  // "http://HOST:PORT/?t=TOKEN": the address to give browsers.
  std::string page_address() const;

  // Browsers connected now (signalling open), ever served, and dropped for
  // misbehaving (a malformed message, too slow to read or answer).
  std::size_t browsers() const;
  std::uint64_t browsers_served() const { return served_; }
  std::uint64_t browsers_dropped() const { return dropped_; }
  // The median of the browsers' own glass-to-glass figures (ms), -1 if none.
  long long browser_latency_ms() const;

  class session;  // one browser's signalling, defined in the .cpp

 private:
  friend class session;
  void start_media(session& s);
  void forget(session& s, const std::string& why, bool misbehaved);
  void send_clock();
  // A copy to walk while sending may drop some of them.
  std::vector<std::shared_ptr<session>> sessions() const;

  boost::asio::io_context& io_;
  browser_gateway_settings settings_;
  log_line log_;
  std::string token_;
  media::webrtc_fanout fanout_;
  std::unique_ptr<runtime::http_server> server_;
  std::map<std::uint64_t, std::shared_ptr<session>> sessions_;
  std::uint64_t next_session_ = 1;
  std::uint64_t served_ = 0;
  std::uint64_t dropped_ = 0;
  runtime::periodic_timer clock_timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace treecast::viewer
