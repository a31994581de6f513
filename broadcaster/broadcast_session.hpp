// The broadcaster's side of the tree: the stream key (whose public half is
// the stream's id), the content key, the invite links they sign, and the
// root peer every chunk enters the tree by.
//
// treecast-broadcaster and the treecastsink GStreamer element both feed the
// tree through it: one code path from the encoder to the root.
//
// Threading: the root runs on the io_context's thread; submit() may be
// called from any thread (a GStreamer streaming thread).
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <string>

#include "core/chunk_sealer.hpp"
#include "media_chunk.hpp"
#include "runtime/ed25519.hpp"
#include "runtime/node_runtime.hpp"
#include "runtime/payload_cipher.hpp"

namespace treecast::broadcaster {

// Where the stream key lives unless told otherwise:
// $XDG_CONFIG_HOME/treecast/broadcaster.key, else ~/.config/treecast/...
std::string default_key_path();

// The host the root is reached at: `public_host`, else a specific listen
// host; "" when neither names the machine (a wildcard listen address).
std::string reached_at(const std::string& public_host, const std::string& listen_host);

struct session_settings {
  // The stream's Ed25519 private key (PEM), created on first use; the
  // content key lives beside it (".content"), so links stay valid across
  // restarts.
  std::string key_path = default_key_path();
  // How long the invite links admit new peers.
  double token_hours = 24;
  // The host put in the links; "" = the listen host, or 127.0.0.1 when that
  // is a wildcard.
  std::string public_host;
  // The stream's title, carried in the links (viewers show it as their
  // window's title); "" = none.
  std::string title;
};

class broadcast_session {
 public:
  // `node`: the root's configuration from the shared peer options (role,
  // capacity, site); the session adds the stream id, admission and keys.
  // Throws std::runtime_error when a key file cannot be read or made.
  broadcast_session(boost::asio::io_context& io, core::node_config node,
                    runtime::runtime_config runtime, session_settings settings, core::log_sink log);

  // Binds the listener (the links name its port from then on) and starts the
  // root. Throws like node_runtime::start().
  void start();
  // Hands the children over and closes every link.
  void stop();

  // Thread-safe: encrypts, signs and encodes one chunk of the stream, once,
  // and hands it to the root.
  void submit(const media::media_chunk& chunk);

  // The invite links (valid after start()): the viewer link carries the
  // content key, the relay link does not.
  std::string viewer_link() const;
  std::string relay_link() const;

  runtime::node_runtime& root() { return root_; }
  const runtime::node_runtime& root() const { return root_; }

 private:
  std::string link_with(const std::string& token_hex) const;

  session_settings settings_;
  std::shared_ptr<const runtime::ed25519_key> key_;
  std::string content_key_;
  std::string viewer_token_;  // hex
  std::string relay_token_;   // hex
  std::string listen_host_;
  runtime::node_runtime root_;
  core::chunk_sealer sealer_;
};

}  // namespace treecast::broadcaster
