#include "broadcast_session.hpp"

#include <chrono>
#include <cstdlib>

#include "runtime/address.hpp"
#include "runtime/invite_token.hpp"
#include "runtime/program_loop.hpp"

namespace treecast::broadcaster {

namespace {

std::shared_ptr<const runtime::ed25519_key> load_stream_key(const std::string& path) {
  return std::make_shared<const runtime::ed25519_key>(runtime::ed25519_key::load_or_create(path));
}

std::uint64_t expiry_in(double hours) {
  const auto expires = std::chrono::system_clock::now().time_since_epoch() +
                       std::chrono::duration<double, std::ratio<3600>>(hours);
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(expires).count());
}

// The root's configuration once the keys are known: it admits only peers
// holding a token it signed (the seeds too), asks every peer it reaches for
// an invite like any peer does, and proves in every Pong that it holds the
// stream key.
core::node_config root_config(core::node_config node,
                              const std::shared_ptr<const runtime::ed25519_key>& key,
                              const std::string& relay_token_hex) {
  node.role = wire::peer_role::broadcaster;
  node.stream_id = key->public_key();
  node.admission = std::make_shared<runtime::token_admission>(node.stream_id);
  node.token = runtime::from_hex(relay_token_hex);
  node.root_signer = key;
  return node;
}

}  // namespace

std::string reached_at(const std::string& public_host, const std::string& listen_host) {
  if (!public_host.empty()) {
    return public_host;
  }
  return runtime::is_wildcard_host(listen_host) ? "" : listen_host;
}

std::string default_key_path() {
  if (const char* config = std::getenv("XDG_CONFIG_HOME"); config && *config) {
    return std::string(config) + "/treecast/broadcaster.key";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return std::string(home) + "/.config/treecast/broadcaster.key";
  }
  return "treecast-broadcaster.key";
}

broadcast_session::broadcast_session(boost::asio::io_context& io, core::node_config node,
                                     runtime::runtime_config runtime, session_settings settings,
                                     core::log_sink log)
    : settings_(std::move(settings)),
      key_(load_stream_key(settings_.key_path)),
      content_key_(runtime::payload_cipher::load_or_create_key(settings_.key_path + ".content")),
      viewer_token_(runtime::to_hex(runtime::make_invite_token(*key_, runtime::invite_role::viewer,
                                                               expiry_in(settings_.token_hours)))),
      relay_token_(runtime::to_hex(runtime::make_invite_token(*key_, runtime::invite_role::relay,
                                                              expiry_in(settings_.token_hours)))),
      listen_host_(runtime.listen_host),
      root_(io, root_config(std::move(node), key_, relay_token_), runtime, std::move(log)),
      // Sequence numbers start at the wall clock in ms, so that after a
      // restart with the same key every new chunk numbers above every old
      // one: an old signed chunk replayed into the new broadcast is dropped
      // as too old.
      sealer_(key_->public_key(), runtime::wall_time_ms(), key_,
              std::make_shared<const runtime::payload_cipher>(content_key_)) {}

void broadcast_session::start() {
  root_.start();
}

void broadcast_session::stop() {
  root_.stop();
}

void broadcast_session::submit(const media::media_chunk& chunk) {
  // One signed part per rendition the pipeline cut (the full one at least);
  // each child gets the ones it asks for.
  std::vector<core::chunk_sealer::rendition_payload> parts{{wire::rendition::full, chunk.bytes}};
  if (!chunk.low_bytes.empty()) {
    parts.push_back({wire::rendition::low, chunk.low_bytes});
  }
  if (!chunk.audio_bytes.empty()) {
    parts.push_back({wire::rendition::audio, chunk.audio_bytes});
  }
  root_.submit_source_chunk(
      sealer_.seal(parts, chunk.capture_time_us, chunk.keyframe, chunk.rendition_kbps));
}

std::string broadcast_session::link_with(const std::string& token_hex) const {
  // When nothing names the machine, links name it on loopback.
  std::string host = reached_at(settings_.public_host, listen_host_);
  if (host.empty()) {
    host = "127.0.0.1";
  }
  std::string link = runtime::format_link({host, root_.listen_port()},
                                          runtime::to_hex(key_->public_key()), token_hex);
  if (!settings_.title.empty()) {
    link += "&title=" + runtime::percent_encode(settings_.title);
  }
  return link;
}

std::string broadcast_session::viewer_link() const {
  return link_with(viewer_token_) + "&key=" + runtime::to_hex(content_key_);
}

std::string broadcast_session::relay_link() const {
  return link_with(relay_token_);
}

}  // namespace treecast::broadcaster
