// The Asio driver of one peer engine (core::node): TLS 1.3 over TCP, one
// steady timer for the engine's next deadline.
//
// After every input it hands the engine, it drains the engine's actions:
// send -> the link's write queue, connect -> a new outgoing link, close -> a
// flushed close, deliver -> the delivery callback. No protocol decision is
// made here.
//
// Threading: everything runs on the io_context's thread, except
// submit_source_chunk(), which may be called from any thread (the media
// pipeline's streaming thread).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "core/log.hpp"
#include "core/node.hpp"
#include "runtime/accept_backoff.hpp"
#include "runtime/arrival_latency.hpp"
#include "runtime/link_connection.hpp"
#include "runtime/runtime_config.hpp"

namespace treecast::runtime {

class node_runtime final : private link_connection::handler {
 public:
  using delivery_handler = std::function<void(const core::shared_chunk&)>;

  node_runtime(boost::asio::io_context& io, core::node_config node_config, runtime_config config,
               core::log_sink log);
  ~node_runtime() override;

  node_runtime(const node_runtime&) = delete;
  node_runtime& operator=(const node_runtime&) = delete;

  // Binds the listener, then starts the engine. Throws std::system_error when
  // the listen address cannot be bound and std::invalid_argument when the
  // engine configuration is invalid.
  void start();

  // Leaves gracefully: children are handed to our parent and move
  // make-before-break (at most the engine's leave_linger), then every link
  // is flushed and closed. The io_context runs out of work shortly after.
  void stop();

  // The port children connect to (the bound one when 0 was asked).
  std::uint16_t listen_port() const { return listen_port_; }

  // Called for every chunk the engine delivers, on the io thread.
  void set_delivery_handler(delivery_handler handler) { deliver_ = std::move(handler); }

  // Called (on the io thread) when the engine cannot join the tree within
  // its bounds; the program reports the reason and exits.
  void set_give_up_handler(std::function<void(const std::string&)> handler) {
    give_up_ = std::move(handler);
  }

  // Called (on the io thread) each time the engine completes a repair, with
  // its duration (parent lost -> the stream flowing again).
  void set_repair_handler(std::function<void(core::duration)> handler) {
    repaired_ = std::move(handler);
  }

  // Thread-safe: hands a sealed chunk from the media source to the engine.
  void submit_source_chunk(wire::chunk c);

  // The renditions our player plays (the engine asks our parent for them);
  // only on the io thread.
  void want_renditions(wire::rendition_set set, bool narrow_downlink);

  // The engine, for status and metrics; only on the io thread.
  const core::node& engine() const { return *node_; }

  // The longest time between two delivered chunks since the previous call;
  // nullopt before the first chunk.
  std::optional<std::chrono::milliseconds> take_max_delivery_gap();

  // Reported up the tree with the next report (dashboard): the latest
  // latency median and, for viewers, the player's buffer and stalls.
  void set_local_health(const core::local_health& health) { node_->set_local_health(health); }

  // Capture -> arrival delays of the chunks this peer received.
  const arrival_latency& latency() const { return latency_; }
  arrival_latency& latency() { return latency_; }

  // Engine time now (steady clock).
  static core::time_point now();

 private:
  void on_link_connected(core::link_id_t link) override;
  void on_link_frame(core::link_id_t link, const wire::shared_bytes& frame) override;
  void on_link_failed(core::link_id_t link, std::error_code why) override;
  void on_link_protocol_error(core::link_id_t link, std::error_code why) override;
  void on_link_written(core::link_id_t link, std::size_t bytes) override;
  void on_link_bytes(core::link_id_t link) override;

  link_connection::handler& as_handler() { return *this; }
  void accept_next();
  void drain();
  void arm_timer();

  boost::asio::io_context& io_;
  core::node_config node_config_;
  runtime_config config_;
  core::log_sink log_;
  std::shared_ptr<boost::asio::ssl::context> tls_;  // this process's TLS identity
  boost::asio::ip::tcp::acceptor acceptor_;
  accept_backoff accept_pacing_;  // the next accept after a failed one
  boost::asio::steady_timer timer_;
  std::optional<core::time_point> armed_for_;
  std::uint16_t listen_port_ = 0;
  std::optional<core::node> node_;
  std::map<core::link_id_t, std::shared_ptr<link_connection>> links_;
  delivery_handler deliver_;
  std::function<void(const std::string&)> give_up_;
  std::function<void(core::duration)> repaired_;
  std::optional<core::time_point> last_delivery_;
  core::duration max_delivery_gap_{};
  arrival_latency latency_;
  bool leaving_ = false;  // stop() asked; the engine is handing children over
  bool stopped_ = false;  // the engine has stopped
};

}  // namespace treecast::runtime
