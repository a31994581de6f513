// The browser gateway's media: the tree's stream repacketized for WebRTC,
// without decoding or re-encoding, and sent to every browser by a webrtcbin
// of its own (DTLS-SRTP, ICE by libnice):
//
//   appsrc (TS) -> tsdemux -+-> h264parse -> clocksync -> rtph264pay -> tee -+-> queue -> webrtcbin
//   1
//                           |                                               +-> queue -> webrtcbin
//                           2
//                           +-> opusparse -> clocksync -> rtpopuspay -> tee -+-> ...
//
// Chunks arrive in bursts (one per ~200 ms of capture); the clocksyncs let
// each frame go `slack` after the live edge (the smallest recent arrival
// delay), so browsers get a paced stream and their own jitter buffers stay
// small. The join's backlog leaves at once, and the pacing follows the
// live edge as the player's does (playout_shift.hpp). Each
// browser's queues are leaky: a browser whose sending stalls loses its own
// oldest packets, never anyone else's.
//
// push() and the browser calls may come from any thread; handlers are called
// on GStreamer's threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

typedef struct _GstElement GstElement;

namespace treecast::media {

struct webrtc_settings {
  // The only local address ICE offers to browsers ("" = every interface's);
  // the gateway gives the address it serves browsers on.
  std::string ice_address;
  // How long after the live edge frames are sent: room for the tree's jitter.
  std::chrono::milliseconds slack{100};
};

// An RTP timestamp of the video and the wall time (Unix epoch, us) that frame
// was captured at the broadcaster: with it a browser turns every frame's RTP
// timestamp into its capture time (glass-to-glass per frame).
struct rtp_capture_clock {
  std::uint32_t rtp_timestamp = 0;
  std::uint64_t capture_time_us = 0;
};

class webrtc_fanout {
 public:
  using browser_id = std::uint64_t;
  using error_handler = std::function<void(const std::string&)>;

  struct browser_handlers {
    // This gateway's SDP offer (sendonly H.264 + Opus), once.
    std::function<void(const std::string& sdp)> offer;
    // One of our ICE candidates for media line `mline`.
    std::function<void(unsigned mline, const std::string& candidate)> candidate;
    // The connection failed or closed (ICE, DTLS): remove_browser() is the
    // caller's to call.
    std::function<void(const std::string& why)> lost;
  };

  // Throws std::runtime_error naming a missing element.
  webrtc_fanout(webrtc_settings settings, error_handler on_error);
  ~webrtc_fanout();

  webrtc_fanout(const webrtc_fanout&) = delete;
  webrtc_fanout& operator=(const webrtc_fanout&) = delete;

  void stop();

  // Feeds TS bytes without copying (as playback_pipeline::push); the first
  // push starts the clock.
  void push(const void* data, std::size_t size, std::uint64_t capture_time_us,
            std::shared_ptr<const void> keep_alive);

  // True once both streams are packetized, i.e. an offer can name them.
  bool ready() const;
  // Called once, on a streaming thread, when ready() turns true. Set it
  // before the first push().
  void set_ready_handler(std::function<void()> handler);

  // A new browser: its webrtcbin joins the tees and makes an offer. Throws
  // std::logic_error before ready().
  browser_id add_browser(browser_handlers on);
  // The browser's answer; throws std::invalid_argument when it is not SDP.
  void answer(browser_id id, const std::string& sdp);
  // One of the browser's ICE candidates (ignored for an unknown browser).
  void add_candidate(browser_id id, unsigned mline, const std::string& candidate);
  // Unlinks and stops that browser's webrtcbin; none of its handlers is
  // called afterwards. Not from a handler (it waits for webrtcbin's threads).
  void remove_browser(browser_id id);
  std::size_t browsers() const;

  // The newest video frame sent, as an RTP timestamp and its capture time.
  std::optional<rtp_capture_clock> video_clock() const;

  struct state;  // shared with GStreamer callbacks, defined in the .cpp

 private:
  std::shared_ptr<state> state_;
  bool playing_ = false;
};

}  // namespace treecast::media
