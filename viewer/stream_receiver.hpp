// A viewer's hold on the stream: the peer joined with a viewer link, the
// rendition it plays (fixed, or the best its downlink carries:
// rendition_choice; the part of each chunk: rendition_picker), the link's
// content key opening each chunk, and playout order (a gap skips video to
// the next keyframe). What comes out is one rendition's MPEG-TS in order,
// ready for a demuxer.
//
// treecast-viewer and the treecastsrc GStreamer element both play what it
// gives: one code path from the tree to the player.
//
// Threading: everything runs on the io_context's thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "playout_order.hpp"
#include "rendition_choice.hpp"
#include "rendition_picker.hpp"
#include "runtime/node_runtime.hpp"
#include "runtime/payload_cipher.hpp"
#include "runtime/peer_options.hpp"

namespace treecast::viewer {

// The content key a viewer link carries; throws std::invalid_argument when
// the link has none (a relay link) or it is not 32 bytes of hex.
std::string content_key_of(const std::string& link);

// --rendition: "auto" (nullopt: the best the downlink carries), "full",
// "low" or "audio"; throws std::invalid_argument on anything else.
std::optional<wire::rendition> parse_rendition_mode(const std::string& mode);

// --start-rendition: "full" or "low"; throws std::invalid_argument on
// anything else.
wire::rendition parse_start_rendition(const std::string& name);

class stream_receiver {
 public:
  struct handlers {
    // TS bytes in stream order, and the wall time (Unix epoch, us) their
    // first byte was captured.
    std::function<void(std::shared_ptr<const std::string> ts, std::uint64_t capture_time_us)> play;
    // The stream cannot be watched (the link's key opens nothing, the tree
    // cannot be joined): called once; stop() is then the caller's to call.
    std::function<void(const std::string& why)> fail;
    // What a person watching should know (a gap skipped, a chunk that would
    // not open), one sentence.
    std::function<void(const std::string& what)> notice;
    // The rendition played changed (before the first bytes of it are
    // played); optional.
    std::function<void(wire::rendition now_playing)> rendition;
    // Frames are expected up to this much after the live edge: called
    // before the first is played (the player's jitter buffer starts that
    // deep); optional.
    std::function<void(std::chrono::microseconds lateness)> expect_lateness;
  };

  // Throws std::invalid_argument when the link carries no content key.
  stream_receiver(boost::asio::io_context& io, const runtime::joining_peer_config& config,
                  core::log_sink log, handlers on);

  // Plays `fixed` whatever the link carries, or (nullopt) the best rendition
  // the downlink carries. Before start(); the full rendition by default. A
  // fixed rendition below the full one takes no children (chosen for a
  // narrow downlink).
  // `start`: where auto begins (the join's timing of the downlink can
  // only lower it; keyframes showing room raise it later).
  void set_rendition(std::optional<wire::rendition> fixed, wire::rendition start) {
    fixed_ = fixed;
    choice_ = rendition_choice(rendition_choice::config{}, start);
  }

  // Binds the listener and joins. Throws like node_runtime::start().
  void start();
  // Leaves the tree gracefully (children are handed over).
  void stop();

  runtime::node_runtime& peer() { return peer_; }
  const runtime::node_runtime& peer() const { return peer_; }
  const media::playout_order& playout() const { return playout_; }
  const rendition_picker& renditions() const { return picker_; }
  const rendition_choice& rendition_policy() const { return choice_; }

 private:
  void on_chunk(const core::shared_chunk& c);
  void play(const core::shared_chunk& c, std::string_view plain);
  // Which part of `c` plays, and what we ask our parent for.
  const wire::chunk_part* choose_part(const core::shared_chunk& c);
  // Tells the engine what we want, and whether our downlink keeps us below
  // the full rendition, when either changed.
  void ask(wire::rendition_set set);
  // `node` with our ABR's join policy: the first join times the downlink
  // and asks for what rendition_choice::for_downlink says (auto only).
  core::node_config with_timed_join(core::node_config node);

  runtime::node_runtime peer_;
  runtime::payload_cipher cipher_;
  core::log_sink log_;  // why the rendition asked for changed
  handlers on_;
  media::playout_order playout_;
  std::optional<wire::rendition> fixed_ = wire::rendition::full;
  rendition_choice choice_;
  rendition_picker picker_;
  bool downlink_applied_ = false;  // the join's timing of our downlink reached choice_
  // What we asked our parent for: auto starts low (a third of the join's
  // backlog; up once keyframes show room), a fixed rendition is asked for
  // as the first chunk shows it.
  std::optional<wire::rendition_set> asked_;
  bool narrow_ = false;  // told the engine our downlink does not carry the full rendition
  std::uint64_t undecryptable_ = 0;
  bool decrypted_any_ = false;
  bool failed_ = false;
};

}  // namespace treecast::viewer
