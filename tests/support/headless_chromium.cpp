#include "headless_chromium.hpp"

#include <openssl/evp.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "http_get.hpp"

namespace treecast::testing {
namespace {

namespace net = boost::asio;
namespace websocket = boost::beast::websocket;
using namespace std::chrono_literals;

constexpr std::chrono::milliseconds reply_timeout = 10s;

// Chromium writes "PORT\n/devtools/browser/ID" here once it listens.
std::uint16_t wait_devtools_port(const std::filesystem::path& file, child_process& chromium) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(file);
    int port = 0;
    if (in >> port && port > 0) {
      return static_cast<std::uint16_t>(port);
    }
    if (chromium.wait_exit(100ms)) {
      throw std::runtime_error("chromium exited before it listened");
    }
  }
  throw std::runtime_error("chromium did not open its DevTools port within 30 s");
}

// The DevTools WebSocket path of the first page target.
std::string page_target(std::uint16_t port) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (const auto reply = http_get(port, "/json/list"); reply && reply->status == 200) {
      for (const auto& target : nlohmann::json::parse(reply->body)) {
        if (target.value("type", "") == "page") {
          const std::string url = target["webSocketDebuggerUrl"];
          return url.substr(url.find("/devtools/"));
        }
      }
    }
    std::this_thread::sleep_for(100ms);  // the page target appears shortly after the port
  }
  throw std::runtime_error("chromium listed no page target");
}

nlohmann::json value_of(const nlohmann::json& evaluated) {
  if (evaluated.contains("exceptionDetails")) {
    throw std::runtime_error("page threw: " + evaluated["exceptionDetails"].dump());
  }
  return evaluated["result"].value("value", nlohmann::json());
}

std::string base64_decode(const std::string& text) {
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) {
    throw std::runtime_error("screenshot: bad base64");
  }
  std::size_t padding = 0;
  for (auto it = text.rbegin(); it != text.rend() && *it == '='; ++it) {
    ++padding;
  }
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

// Pids of processes whose command line holds `argument`: Chromium's zygote
// and renderers carry the profile flag and outlive the main process briefly.
std::vector<pid_t> processes_with_argument(const std::string& argument) {
  std::vector<pid_t> pids;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    std::ifstream in(entry.path() / "cmdline");
    const std::string cmdline((std::istreambuf_iterator<char>(in)), {});
    if (cmdline.find(argument) != std::string::npos) {
      pids.push_back(std::stoi(name));
    }
  }
  return pids;
}

}  // namespace

// One WebSocket to a page target; each read is bounded in time.
class headless_chromium::devtools_socket {
 public:
  devtools_socket(std::uint16_t port, const std::string& path) : ws_(io_) {
    const net::ip::tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port);
    ws_.next_layer().connect(endpoint);
    ws_.handshake("127.0.0.1:" + std::to_string(port), path);
  }

  void send(const std::string& text) { ws_.write(net::buffer(text)); }

  std::string receive(std::chrono::milliseconds timeout) {
    boost::beast::flat_buffer buffer;
    std::optional<boost::system::error_code> result;
    ws_.async_read(buffer, [&](boost::system::error_code ec, std::size_t) { result = ec; });
    io_.restart();
    io_.run_for(timeout);
    if (!result) {
      ws_.next_layer().cancel();
      io_.restart();
      io_.run();
      throw std::runtime_error("chromium did not reply in time");
    }
    if (*result) {
      throw std::runtime_error("devtools socket: " + result->message());
    }
    return boost::beast::buffers_to_string(buffer.data());
  }

 private:
  net::io_context io_;
  websocket::stream<net::ip::tcp::socket> ws_;
};

headless_chromium::headless_chromium(const std::string& url, const std::string& profile_dir,
                                     const std::string& log_path) {
  if (!std::filesystem::exists("/usr/bin/chromium")) {
    throw std::runtime_error("/usr/bin/chromium is missing (tools/setup.sh installs it)");
  }
  profile_flag_ = "--user-data-dir=" + profile_dir;
  std::filesystem::remove_all(profile_dir);
  std::filesystem::create_directories(profile_dir);
  process_ = std::make_unique<child_process>(
      std::vector<std::string>{
          "/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
          "--no-first-run", "--disable-background-networking", "--disable-component-update",
          "--disable-sync", "--hide-scrollbars", "--window-size=1280,860",
          // WebRTC on loopback (the browser gateway's test): without it
          // Chromium offers no loopback ICE candidates, and a machine with
          // no other interface could not connect at all.
          "--allow-loopback-in-peer-connection", profile_flag_, "--remote-debugging-port=0",
          "--remote-debugging-address=127.0.0.1", url},
      log_path);
  const auto port =
      wait_devtools_port(std::filesystem::path(profile_dir) / "DevToolsActivePort", *process_);
  socket_ = std::make_unique<devtools_socket>(port, page_target(port));
}

headless_chromium::~headless_chromium() {
  socket_.reset();
  process_->send_signal(SIGTERM);
  if (!process_->wait_exit(10s)) {
    process_->send_signal(SIGKILL);
    process_->wait_exit(10s);
  }
  // The helpers end when their pipe to the browser closes; make sure.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!processes_with_argument(profile_flag_).empty() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  for (const pid_t pid : processes_with_argument(profile_flag_)) {
    ::kill(pid, SIGKILL);
  }
}

nlohmann::json headless_chromium::call(const std::string& method, nlohmann::json params,
                                       std::chrono::milliseconds timeout) {
  const int id = next_id_++;
  socket_->send(
      nlohmann::json{{"id", id}, {"method", method}, {"params", std::move(params)}}.dump());
  // Events may come first; each message is bounded by the deadline.
  for (int messages = 0; messages < 1000; ++messages) {
    auto reply = nlohmann::json::parse(socket_->receive(timeout + reply_timeout));
    if (reply.value("id", 0) != id) {
      continue;
    }
    if (reply.contains("error")) {
      throw std::runtime_error(method + ": " + reply["error"].dump());
    }
    return reply["result"];
  }
  throw std::runtime_error(method + ": no reply among 1000 messages");
}

nlohmann::json headless_chromium::evaluate(const std::string& expression) {
  return value_of(call("Runtime.evaluate", {{"expression", expression}, {"returnByValue", true}}));
}

// The page itself waits: a MutationObserver re-checks the condition on every
// change to the document, and a timer ends the wait at the deadline.
bool headless_chromium::wait_until(const std::string& condition,
                                   std::chrono::milliseconds timeout) {
  const std::string promise = R"(new Promise(resolve => {
    const check = () => { try { return Boolean()" +
                              condition + R"(); } catch (e) { return false; } };
    if (check()) { resolve(true); return; }
    const observer = new MutationObserver(() => {
      if (check()) { observer.disconnect(); resolve(true); }
    });
    observer.observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
    setTimeout(() => { observer.disconnect(); resolve(check()); }, )" +
                              std::to_string(timeout.count()) + R"();
  }))";
  return value_of(call("Runtime.evaluate",
                       {{"expression", promise}, {"returnByValue", true}, {"awaitPromise", true}},
                       timeout)) == true;
}

void headless_chromium::screenshot(const std::string& path) {
  const auto result = call("Page.captureScreenshot", {{"format", "png"}});
  std::ofstream out(path, std::ios::binary);
  out << base64_decode(result["data"]);
  if (!out) {
    throw std::runtime_error("cannot write " + path);
  }
}

}  // namespace treecast::testing
