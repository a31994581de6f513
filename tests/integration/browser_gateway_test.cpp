// The browser gateway (--serve-browsers) against real programs and a real
// headless Chromium: the page plays the tree's stream over WebRTC, a browser
// without the invite's token gets no stream, and a browser that misbehaves
// on the signalling socket is dropped while the rest keeps playing.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "headless_chromium.hpp"
#include "http_get.hpp"
#include "local_tree.hpp"
#include "screen.hpp"

namespace treecast::testing {
namespace {

using namespace std::chrono_literals;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

enum class gateway_program { viewer, relay };

// A viewer or an office relay serving browsers, given the viewer link of a
// broadcaster of the test pattern.
struct gateway_tree {
  gateway_tree(const std::string& name, gateway_program program,
               std::vector<std::string> gateway_flags = {})
      : tree(name) {
    broadcaster =
        tree.start_broadcaster({"--resolution", "640x360", "--fps", "30", "--metrics-port", "0"});
    dashboard_port = metrics_port_of(*broadcaster.process);
    gateway_flags.insert(gateway_flags.begin(), {"--serve-browsers", "127.0.0.1:0"});
    const std::string link = tree.link_to(broadcaster.port, true);
    if (program == gateway_program::relay) {
      gateway = tree.start_relay_by_link(link, gateway_flags);
      label = "relay1";
    } else {
      gateway = tree.start_viewer_by_link(link, gateway_flags);
      label = "viewer1";
    }
    const auto line = gateway.process->wait_for_line(
        [](const std::string& l) { return l.rfind("browsers watch at ", 0) == 0; }, 10s);
    if (!line) {
      throw std::runtime_error("the viewer printed no page address");
    }
    page = line->substr(std::string("browsers watch at ").size());
    const auto port_at = page.rfind(':') + 1;
    port = static_cast<std::uint16_t>(std::stoi(page.substr(port_at, page.find('/', port_at))));
    token = page.substr(page.find("?t=") + 3);
  }

  // Waits for a new status line of the gateway with `field`=`value`.
  bool status_says(const std::string& field, const std::string& value) {
    return gateway.process
        ->wait_for_line(
            [&](const std::string& l) {
              return l.rfind("status ", 0) == 0 &&
                     l.find(" " + field + "=" + value + " ") != std::string::npos;
            },
            20s, gateway.process->lines().size())
        .has_value();
  }

  // Waits for the gateway's next status line (one a second).
  void next_status() {
    gateway.process->wait_for_line([](const std::string& l) { return l.rfind("status ", 0) == 0; },
                                   3s, gateway.process->lines().size());
  }

  // How many times the gateway's log (stderr) says `text`.
  int logged_times(const std::string& text) const {
    std::ifstream in(tree.log_path(label));
    const std::string log((std::istreambuf_iterator<char>(in)), {});
    int times = 0;
    for (auto at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) {
      ++times;
    }
    return times;
  }
  bool logged(const std::string& text) const { return logged_times(text) > 0; }

  // The broadcaster's /api/tree: browsers counted up the tree, once per
  // broadcaster status line, until it says `browsers`.
  bool tree_counts_browsers(unsigned browsers) {
    for (int attempt = 0; attempt < 20; ++attempt) {
      const auto reply = http_get(dashboard_port, "/api/tree");
      if (reply && reply->status == 200 &&
          nlohmann::json::parse(reply->body).value("browsers", 0u) == browsers) {
        return true;
      }
      broadcaster.process->wait_for_line(
          [](const std::string& l) { return l.rfind("status ", 0) == 0; }, 2s,
          broadcaster.process->lines().size());
    }
    return false;
  }

  local_tree tree;
  peer_process broadcaster;
  std::uint16_t dashboard_port = 0;
  peer_process gateway;
  std::string label;  // the gateway's log name
  std::string page;   // http://127.0.0.1:PORT/?t=TOKEN
  std::uint16_t port = 0;
  std::string token;
};

// A WebSocket client of the gateway's signalling, bounded in time.
class signalling_client {
 public:
  // The handshake's error ("" when it was accepted) is in refused().
  signalling_client(std::uint16_t port, const std::string& target) : ws_(io_) {
    beast::get_lowest_layer(ws_).connect(
        net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    beast::get_lowest_layer(ws_).expires_after(5s);
    beast::error_code ec;
    ws_.handshake("127.0.0.1:" + std::to_string(port), target, ec);
    refused_ = ec ? ec.message() : "";
  }

  const std::string& refused() const { return refused_; }

  void send(const std::string& text) {
    beast::get_lowest_layer(ws_).expires_after(5s);
    ws_.write(net::buffer(text));
  }

  // Reads until the gateway ends the connection: its close reason ("" when
  // it just closed the socket), or nullopt when it did not within 10 s.
  std::optional<std::string> close_reason() {
    beast::get_lowest_layer(ws_).expires_after(10s);
    for (int messages = 0; messages < 100; ++messages) {
      beast::flat_buffer buffer;
      beast::error_code ec;
      ws_.read(buffer, ec);
      if (ec == websocket::error::closed) {
        return std::string(ws_.reason().reason.c_str());
      }
      if (ec == beast::error::timeout) {
        return std::nullopt;
      }
      if (ec) {
        return std::string();
      }
    }
    return std::nullopt;
  }

 private:
  net::io_context io_;
  websocket::stream<beast::tcp_stream> ws_;
  std::string refused_;
};

// The HTTP status a WebSocket upgrade request for `target` gets (101 when
// accepted); 0 when nothing answered within 5 s.
int upgrade_status(std::uint16_t port, const std::string& target) {
  net::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(5s);
  beast::error_code ec;
  stream.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  namespace http = beast::http;
  http::request<http::empty_body> request(http::verb::get, target, 11);
  request.set(http::field::host, "127.0.0.1");
  request.set(http::field::connection, "Upgrade");
  request.set(http::field::upgrade, "websocket");
  request.set(http::field::sec_websocket_version, "13");
  request.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  http::write(stream, request, ec);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> response;
  response.skip(false);
  http::read_header(stream, buffer, response, ec);
  return ec ? 0 : response.get().result_int();
}

TEST(browser_gateway, page_in_chromium_plays_the_stream_over_webrtc) {
  // An office relay, given the viewer link, as the gateway.
  gateway_tree live("browser_gateway_plays", gateway_program::relay);
  headless_chromium browser(live.page,
                            std::string(TREECAST_TEST_LOG_DIR) + "/browser_gateway-chromium",
                            live.tree.log_path("chromium"));
  ASSERT_TRUE(browser.wait_until(
      "window.treecast.connection === 'connected' && window.treecast.frames > 0", 30s))
      << browser.evaluate("JSON.stringify(window.treecast)").dump();
  const double started = browser.evaluate("document.getElementById('picture').currentTime");
  // The page redraws its figures every second, so the condition is checked
  // at least that often.
  ASSERT_TRUE(browser.wait_until(
      "document.getElementById('picture').currentTime >= " + std::to_string(started + 10), 25s))
      << "the picture did not advance for 10 s: "
      << browser.evaluate("JSON.stringify(window.treecast)").dump();

  // WebRTC's own figures: frames decoded and sound received.
  ASSERT_TRUE(browser.wait_until(
      "window.treecast.frames_decoded > 250 && window.treecast.audio_samples > 48000", 5s))
      << browser.evaluate("JSON.stringify(window.treecast)").dump();
  // Glass-to-glass per frame, from the stream's clock: the broadcaster's
  // 200 ms chunks, the gateway's slack and the browser's buffer, all on
  // one machine.
  const double latency_ms = browser.evaluate("window.treecast.latency_ms");
  EXPECT_GT(latency_ms, 100);
  EXPECT_LT(latency_ms, 2000);

  // The test pattern is on the page: colour bars, not a black box.
  const std::string png = artifact_dir() + "/browser_gateway_page.png";
  const std::string ppm = artifact_dir() + "/browser_gateway_page.ppm";
  browser.screenshot(png);
  ASSERT_EQ(run({"/usr/bin/convert", png, "-depth", "8", ppm}, live.tree.log_path("convert")), 0);
  const image shot = read_ppm(ppm);
  ASSERT_GT(shot.width, 0);
  EXPECT_GT(luminance_stddev(shot, 0, 0, shot.width, shot.height * 3 / 4), 30)
      << "the page shows no picture; see " << png;

  // The gateway counts its browser in its status, and so does the
  // broadcaster's view of the tree, per site.
  EXPECT_TRUE(live.status_says("browsers", "1"));
  EXPECT_TRUE(live.tree_counts_browsers(1));
  const auto tree = nlohmann::json::parse(http_get(live.dashboard_port, "/api/tree")->body);
  EXPECT_EQ(tree["browsers_by_site"].size(), 1u) << tree["browsers_by_site"].dump();
}

TEST(browser_gateway, no_stream_without_the_invitation_token) {
  gateway_tree live("browser_gateway_token", gateway_program::viewer);
  for (const std::string path : {"/", "/?t=", "/?t=00000000000000000000000000000000"}) {
    const auto reply = http_get(live.port, path);
    ASSERT_TRUE(reply) << path;
    EXPECT_EQ(reply->status, 403) << path;
    EXPECT_NE(reply->body.find("invited browsers only"), std::string::npos) << reply->body;
  }
  const auto page = http_get(live.port, "/?t=" + live.token);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("RTCPeerConnection"), std::string::npos);

  EXPECT_EQ(upgrade_status(live.port, "/ws?t=wrong"), 403);
  EXPECT_EQ(upgrade_status(live.port, "/ws"), 403);

  // Chromium on the page without the token: a page that says why, no media.
  headless_chromium browser("http://127.0.0.1:" + std::to_string(live.port) + "/",
                            std::string(TREECAST_TEST_LOG_DIR) + "/browser_gateway_token-chromium",
                            live.tree.log_path("chromium"));
  ASSERT_TRUE(browser.wait_until("document.body && document.body.innerText.length > 0", 10s));
  EXPECT_TRUE(browser.evaluate("window.treecast === undefined && !document.querySelector('video')")
                  .get<bool>());
  EXPECT_TRUE(live.status_says("browsers", "0"));
}

TEST(browser_gateway, a_misbehaving_browser_is_dropped_and_the_rest_keeps_playing) {
  gateway_tree live("browser_gateway_bad_browser", gateway_program::viewer,
                    {"--max-browsers", "2"});
  const std::string target = "/ws?t=" + live.token;

  signalling_client garbage(live.port, target);
  ASSERT_EQ(garbage.refused(), "");
  garbage.send("this is not JSON");
  const auto why = garbage.close_reason();
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("not a JSON object"), std::string::npos) << *why;

  signalling_client unknown(live.port, target);
  ASSERT_EQ(unknown.refused(), "");
  unknown.send(R"({"type":"answer"})");
  const auto why_unknown = unknown.close_reason();
  ASSERT_TRUE(why_unknown);
  EXPECT_NE(why_unknown->find("without SDP"), std::string::npos) << *why_unknown;

  signalling_client oversize(live.port, target);
  ASSERT_EQ(oversize.refused(), "");
  oversize.send(std::string(70 * 1024, 'x'));
  EXPECT_TRUE(oversize.close_reason());

  // Two quiet ones fill the gateway; a third is turned away.
  signalling_client first(live.port, target);
  signalling_client second(live.port, target);
  ASSERT_EQ(first.refused(), "");
  ASSERT_EQ(second.refused(), "");
  EXPECT_EQ(upgrade_status(live.port, target), 503);

  // Each was logged, and the viewer itself kept playing.
  EXPECT_TRUE(live.logged("dropped: sent a signalling message that is not a JSON object"));
  EXPECT_TRUE(live.logged("dropped: sent an answer without SDP"));
  EXPECT_TRUE(live.logged("dropped: sent a signalling message over 64 KiB"));
  const auto frames_now = [&] {
    const std::vector<std::string> lines = live.gateway.process->lines();
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
      const auto at = it->find(" frames=");
      if (it->rfind("status ", 0) == 0 && at != std::string::npos) {
        return std::stoll(it->substr(at + 8));
      }
    }
    return -1LL;
  };
  const long long before = frames_now();
  ASSERT_TRUE(live.status_says("browsers", "2"));
  EXPECT_GT(frames_now(), before);

  // The quiet two never answer their offers: dropped after 15 s, and their
  // places are free again.
  const std::string unanswered = "dropped: did not answer the offer within 15 s";
  for (int second = 0; second < 30 && live.logged_times(unanswered) < 2; ++second) {
    live.next_status();
  }
  EXPECT_EQ(live.logged_times(unanswered), 2);
  EXPECT_TRUE(first.close_reason());
  EXPECT_EQ(upgrade_status(live.port, target), 101);
}

}  // namespace
}  // namespace treecast::testing
