#include "webrtc_fanout.hpp"

#define GST_USE_UNSTABLE_API  // webrtc.h says its API may still change
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <stdexcept>

#include "gst_support.hpp"
#include "playout_shift.hpp"

namespace treecast::media {

namespace {

// One browser's webrtcbin and the two queues that feed it from the tees.
struct browser {
  webrtc_fanout::browser_id id = 0;
  webrtc_fanout::browser_handlers on;
  GstElement* webrtc = nullptr;
  GstElement* video_queue = nullptr;
  GstElement* audio_queue = nullptr;
  GstPad* video_tee_pad = nullptr;
  GstPad* audio_tee_pad = nullptr;
  std::atomic<bool> removed{false};
  std::atomic<bool> lost_said{false};
};

}  // namespace

struct webrtc_fanout::state {
  webrtc_settings settings;
  GstElement* pipeline = nullptr;
  GstElement* source = nullptr;
  GstElement* video_tee = nullptr;
  GstElement* audio_tee = nullptr;
  GstPad* video_offset_pad = nullptr;
  GstPad* audio_offset_pad = nullptr;

  // Streaming threads: the live edge, the anchor and the pacing offset.
  std::atomic<std::uint64_t> anchor_capture_us{0};
  live_edge edge;
  std::int64_t anchor_pts_ns = -1;
  std::int64_t offset_ns = 0;
  std::uint64_t shifts = 0;
  later_moves moved_later;
  GstPad* video_pacing_pad = nullptr;  // clocksync's sink
  std::int64_t pacing_latency_ns = 0;

  std::atomic<bool> video_caps{false};
  std::atomic<bool> audio_caps{false};
  std::atomic<bool> ready_said{false};
  std::function<void()> on_ready;

  mutable std::mutex clock_mutex;
  std::optional<rtp_capture_clock> clock;

  mutable std::mutex browsers_mutex;
  std::map<browser_id, std::shared_ptr<browser>> browsers;
  browser_id next_id = 1;

  bool ready() const { return video_caps.load() && audio_caps.load(); }
  void check_ready() {
    if (ready() && !ready_said.exchange(true) && on_ready) {
      on_ready();
    }
  }
};

namespace {

using state = webrtc_fanout::state;

// The capture time of a video PTS: the first chunk's capture time is its
// first frame's.
std::int64_t captured_us(const state& s, std::int64_t pts_ns) {
  return static_cast<std::int64_t>(s.anchor_capture_us.load()) + (pts_ns - s.anchor_pts_ns) / 1000;
}

// What clocksync waits for beyond a frame's running time: the latency
// upstream of it (tsdemux alone reports 700 ms).
std::int64_t upstream_latency_ns(GstPad* pad) {
  GstQuery* query = gst_query_new_latency();
  GstClockTime min_latency = 0;
  if (gst_pad_peer_query(pad, query)) {
    gst_query_parse_latency(query, nullptr, &min_latency, nullptr);
  }
  gst_query_unref(query);
  return GST_CLOCK_TIME_IS_VALID(min_latency) ? static_cast<std::int64_t>(min_latency) : 0;
}

// Every video frame on its way to the pacing: moves both streams in time so
// that frames leave `slack` after the live edge (playout_shift.hpp, the
// player's rule). The segment here is before the offset is applied.
GstPadProbeReturn on_frame(GstPad* pad, GstPadProbeInfo* info, gpointer user_data) {
  auto* s = static_cast<state*>(user_data);
  GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  if (!buffer || !GST_BUFFER_PTS_IS_VALID(buffer)) {
    return GST_PAD_PROBE_OK;
  }
  const auto pts = static_cast<std::int64_t>(GST_BUFFER_PTS(buffer));
  if (s->anchor_pts_ns < 0) {
    s->anchor_pts_ns = pts;
  }
  const std::int64_t edge_us = s->edge.delay_us();
  const auto until_ns = ns_until_running_time(pad, buffer, s->pipeline);
  if (!until_ns || edge_us < 0) {
    return GST_PAD_PROBE_OK;
  }
  if (s->shifts == 0) {
    s->pacing_latency_ns = upstream_latency_ns(s->video_pacing_pad);
  }
  const std::int64_t now_us = wall_now_us();
  const std::int64_t due_wall_us =
      now_us + (*until_ns + s->offset_ns + s->pacing_latency_ns) / 1000;
  const std::int64_t shift_us = playout_shift(
      {.first = s->shifts == 0,
       .delay_us = due_wall_us - captured_us(*s, pts),
       .wanted_us =
           edge_us +
           std::chrono::duration_cast<std::chrono::microseconds>(s->settings.slack).count(),
       .slack_us = due_wall_us - now_us,
       .may_restore = s->moved_later.may_restore(now_us)});
  s->moved_later.note(shift_us, now_us);
  if (shift_us != 0 || s->shifts == 0) {
    s->offset_ns += shift_us * 1000;
    gst_pad_set_offset(s->video_offset_pad, s->offset_ns);
    gst_pad_set_offset(s->audio_offset_pad, s->offset_ns);
    ++s->shifts;
  }
  return GST_PAD_PROBE_OK;
}

// Every RTP packet of video leaving the payloader: its timestamp and the
// capture time of its frame.
GstPadProbeReturn on_video_packet(GstPad*, GstPadProbeInfo* info, gpointer user_data) {
  auto* s = static_cast<state*>(user_data);
  GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  if (!buffer || !GST_BUFFER_PTS_IS_VALID(buffer) || s->anchor_pts_ns < 0) {
    return GST_PAD_PROBE_OK;
  }
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  if (gst_rtp_buffer_map(buffer, GST_MAP_READ, &rtp)) {
    const std::uint32_t timestamp = gst_rtp_buffer_get_timestamp(&rtp);
    gst_rtp_buffer_unmap(&rtp);
    const std::int64_t captured =
        captured_us(*s, static_cast<std::int64_t>(GST_BUFFER_PTS(buffer)));
    const std::lock_guard lock(s->clock_mutex);
    s->clock = rtp_capture_clock{timestamp, static_cast<std::uint64_t>(captured)};
  }
  return GST_PAD_PROBE_OK;
}

// The payloaders' caps: once both are known, an offer can be made.
GstPadProbeReturn on_payload_caps(GstPad* pad, GstPadProbeInfo* info, gpointer user_data) {
  auto* s = static_cast<state*>(user_data);
  GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(event) == GST_EVENT_CAPS) {
    GstElement* payloader = gst_pad_get_parent_element(pad);
    const bool video = payloader && g_str_equal(GST_OBJECT_NAME(payloader), "vpay");
    (video ? s->video_caps : s->audio_caps).store(true);
    if (payloader) {
      gst_object_unref(payloader);
    }
    s->check_ready();
  }
  return GST_PAD_PROBE_OK;
}

GstPad* static_pad(GstElement* pipeline, const char* element, const char* pad_name) {
  GstElement* e = gst_bin_get_by_name(GST_BIN(pipeline), element);
  GstPad* pad = gst_element_get_static_pad(e, pad_name);
  gst_object_unref(e);
  return pad;
}

void probe(GstElement* pipeline, const char* element, const char* pad_name, GstPadProbeType type,
           GstPadProbeCallback callback, state* s) {
  GstPad* pad = static_pad(pipeline, element, pad_name);
  gst_pad_add_probe(pad, type, callback, s, nullptr);
  gst_object_unref(pad);
}

// Handlers of one browser are called only while it is in the map; the
// webrtcbin's signals hold a reference to it.
struct browser_ref {
  std::shared_ptr<browser> b;
};

void say_lost(browser& b, const std::string& why) {
  if (!b.removed.load() && !b.lost_said.exchange(true) && b.on.lost) {
    b.on.lost(why);
  }
}

void on_offer_created(GstPromise* promise, gpointer user_data) {
  auto* ref = static_cast<browser_ref*>(user_data);
  browser& b = *ref->b;
  const GstStructure* reply = gst_promise_get_reply(promise);
  GstWebRTCSessionDescription* offer = nullptr;
  std::string why = "no reply";
  if (reply && gst_structure_has_field(reply, "error")) {
    GError* error = nullptr;
    gst_structure_get(reply, "error", G_TYPE_ERROR, &error, nullptr);
    why = error ? error->message : "an error";
    g_clear_error(&error);
  } else if (reply) {
    gst_structure_get(reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, nullptr);
  }
  gst_promise_unref(promise);
  if (!offer) {
    say_lost(b, "webrtcbin made no offer: " + why);
    delete ref;
    return;
  }
  if (b.removed.load()) {  // its webrtcbin may be gone
    gst_webrtc_session_description_free(offer);
    delete ref;
    return;
  }
  g_signal_emit_by_name(b.webrtc, "set-local-description", offer, nullptr);
  gchar* text = gst_sdp_message_as_text(offer->sdp);
  if (b.on.offer) {
    b.on.offer(text);
  }
  g_free(text);
  gst_webrtc_session_description_free(offer);
  delete ref;
}

void on_negotiation_needed(GstElement* webrtc, gpointer user_data) {
  auto* ref = static_cast<browser_ref*>(user_data);
  GstPromise* promise =
      gst_promise_new_with_change_func(on_offer_created, new browser_ref{ref->b}, nullptr);
  g_signal_emit_by_name(webrtc, "create-offer", nullptr, promise);
}

void on_ice_candidate(GstElement*, guint mline, gchar* candidate, gpointer user_data) {
  browser& b = *static_cast<browser_ref*>(user_data)->b;
  if (!b.removed.load() && b.on.candidate) {
    b.on.candidate(mline, candidate);
  }
}

void on_connection_state(GstElement* webrtc, GParamSpec*, gpointer user_data) {
  browser& b = *static_cast<browser_ref*>(user_data)->b;
  GstWebRTCPeerConnectionState connection{};
  g_object_get(webrtc, "connection-state", &connection, nullptr);
  if (connection == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED) {
    say_lost(b, "the WebRTC connection failed (ICE or DTLS)");
  } else if (connection == GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED) {
    say_lost(b, "the WebRTC connection closed");
  }
}

void connect_browser_signal(GstElement* webrtc, const char* signal, GCallback callback,
                            const std::shared_ptr<browser>& b) {
  g_signal_connect_data(
      webrtc, signal, callback, new browser_ref{b},
      [](gpointer p, GClosure*) { delete static_cast<browser_ref*>(p); }, GConnectFlags{});
}

// A queue from `tee` into a new sendonly transceiver of `webrtc`.
GstElement* feed(GstElement* pipeline, GstElement* tee, GstElement* webrtc, GstPad** tee_pad) {
  // At most a second queued for one browser, the oldest dropped first.
  GstElement* queue = gst_element_factory_make("queue", nullptr);
  gst_util_set_object_arg(G_OBJECT(queue), "leaky", "downstream");
  g_object_set(queue, "max-size-time", static_cast<guint64>(GST_SECOND), "max-size-bytes", 0u,
               "max-size-buffers", 0u, nullptr);
  gst_bin_add(GST_BIN(pipeline), queue);
  *tee_pad = gst_element_request_pad_simple(tee, "src_%u");
  GstPad* queue_sink = gst_element_get_static_pad(queue, "sink");
  gst_pad_link(*tee_pad, queue_sink);
  gst_object_unref(queue_sink);
  GstPad* webrtc_sink = gst_element_request_pad_simple(webrtc, "sink_%u");
  GstPad* queue_src = gst_element_get_static_pad(queue, "src");
  gst_pad_link(queue_src, webrtc_sink);
  gst_object_unref(queue_src);
  GstWebRTCRTPTransceiver* transceiver = nullptr;
  g_object_get(webrtc_sink, "transceiver", &transceiver, nullptr);
  if (transceiver) {
    g_object_set(transceiver, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, nullptr);
    gst_object_unref(transceiver);
  }
  gst_object_unref(webrtc_sink);
  return queue;
}

// Stops the tee feeding `queue` (the tee drops what it would have sent).
void unfeed(GstElement* tee, GstPad* tee_pad, GstElement* queue) {
  GstPad* queue_sink = gst_element_get_static_pad(queue, "sink");
  gst_pad_unlink(tee_pad, queue_sink);
  gst_object_unref(queue_sink);
  gst_element_release_request_pad(tee, tee_pad);
  gst_object_unref(tee_pad);
}

}  // namespace

webrtc_fanout::webrtc_fanout(webrtc_settings settings, error_handler on_error)
    : state_(std::make_shared<state>()) {
  require_elements({"appsrc", "tsdemux", "h264parse", "opusparse", "clocksync", "rtph264pay",
                    "rtpopuspay", "tee", "queue", "webrtcbin", "nicesrc"});
  state& s = *state_;
  s.settings = std::move(settings);
  s.pipeline = parse_pipeline(
      "appsrc name=src is-live=true format=bytes stream-type=stream max-bytes=16777216 "
      "leaky-type=downstream block=false "
      "caps=video/mpegts,systemstream=true,packetsize=188 ! tsdemux name=demux "
      "queue name=ventry max-size-time=3000000000 max-size-bytes=0 max-size-buffers=0 ! " +
      std::string(demuxed_h264_caps) +
      " ! h264parse name=vparse config-interval=-1 ! clocksync name=vsync sync=true "
      "! rtph264pay name=vpay config-interval=-1 aggregate-mode=zero-latency pt=96 "
      "! tee name=vtee allow-not-linked=true "
      "queue name=aentry max-size-time=3000000000 max-size-bytes=0 max-size-buffers=0 "
      "! opusparse name=aparse ! clocksync name=async sync=true ! rtpopuspay name=apay pt=97 "
      "! tee name=atee allow-not-linked=true");
  s.source = gst_bin_get_by_name(GST_BIN(s.pipeline), "src");
  s.video_tee = gst_bin_get_by_name(GST_BIN(s.pipeline), "vtee");
  s.audio_tee = gst_bin_get_by_name(GST_BIN(s.pipeline), "atee");
  s.video_offset_pad = static_pad(s.pipeline, "vparse", "src");
  s.audio_offset_pad = static_pad(s.pipeline, "aparse", "src");
  s.video_pacing_pad = static_pad(s.pipeline, "vsync", "sink");
  // All timing is the pacing offset's; nothing downstream needs a latency.
  gst_pipeline_set_latency(GST_PIPELINE(s.pipeline), 0);

  GstElement* demux = gst_bin_get_by_name(GST_BIN(s.pipeline), "demux");
  GstElement* video_entry = gst_bin_get_by_name(GST_BIN(s.pipeline), "ventry");
  GstElement* audio_entry = gst_bin_get_by_name(GST_BIN(s.pipeline), "aentry");
  link_demuxed_streams(demux, video_entry, audio_entry);
  gst_object_unref(video_entry);
  gst_object_unref(audio_entry);
  gst_object_unref(demux);

  probe(s.pipeline, "vparse", "sink", GST_PAD_PROBE_TYPE_BUFFER, on_frame, &s);
  probe(s.pipeline, "vpay", "src", GST_PAD_PROBE_TYPE_BUFFER, on_video_packet, &s);
  probe(s.pipeline, "vpay", "src", GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_payload_caps, &s);
  probe(s.pipeline, "apay", "src", GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_payload_caps, &s);
  watch_errors(s.pipeline, std::move(on_error));
  gst_element_set_state(s.pipeline, GST_STATE_READY);
}

webrtc_fanout::~webrtc_fanout() {
  stop();
  state& s = *state_;
  gst_object_unref(s.video_offset_pad);
  gst_object_unref(s.audio_offset_pad);
  gst_object_unref(s.video_pacing_pad);
  gst_object_unref(s.video_tee);
  gst_object_unref(s.audio_tee);
  gst_object_unref(s.source);
  gst_object_unref(s.pipeline);
}

void webrtc_fanout::stop() {
  std::vector<browser_id> ids;
  {
    const std::lock_guard lock(state_->browsers_mutex);
    for (const auto& [id, b] : state_->browsers) {
      ids.push_back(id);
    }
  }
  for (const browser_id id : ids) {
    remove_browser(id);
  }
  gst_element_set_state(state_->pipeline, GST_STATE_NULL);
}

void webrtc_fanout::push(const void* data, std::size_t size, std::uint64_t capture_time_us,
                         std::shared_ptr<const void> keep_alive) {
  if (!playing_) {
    state_->anchor_capture_us.store(capture_time_us);
    set_playing(state_->pipeline);
    playing_ = true;
  }
  state_->edge.note_arrival(capture_time_us);
  gst_app_src_push_buffer(GST_APP_SRC(state_->source),
                          buffer_over(data, size, std::move(keep_alive)));
}

bool webrtc_fanout::ready() const {
  return state_->ready();
}

void webrtc_fanout::set_ready_handler(std::function<void()> handler) {
  state_->on_ready = std::move(handler);
}

webrtc_fanout::browser_id webrtc_fanout::add_browser(browser_handlers on) {
  if (!ready()) {
    throw std::logic_error("the stream is not packetized yet");
  }
  state& s = *state_;
  auto b = std::make_shared<browser>();
  b->on = std::move(on);
  b->webrtc = gst_element_factory_make("webrtcbin", nullptr);
  g_object_set(b->webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, nullptr);
  if (!s.settings.ice_address.empty()) {
    GstWebRTCICE* ice = nullptr;
    g_object_get(b->webrtc, "ice-agent", &ice, nullptr);
    gboolean added = FALSE;
    g_signal_emit_by_name(ice, "add-local-ip-address", s.settings.ice_address.c_str(), &added);
    gst_object_unref(ice);
  }
  connect_browser_signal(b->webrtc, "on-negotiation-needed", G_CALLBACK(on_negotiation_needed), b);
  connect_browser_signal(b->webrtc, "on-ice-candidate", G_CALLBACK(on_ice_candidate), b);
  connect_browser_signal(b->webrtc, "notify::connection-state", G_CALLBACK(on_connection_state), b);
  gst_bin_add(GST_BIN(s.pipeline), b->webrtc);
  b->video_queue = feed(s.pipeline, s.video_tee, b->webrtc, &b->video_tee_pad);
  b->audio_queue = feed(s.pipeline, s.audio_tee, b->webrtc, &b->audio_tee_pad);
  {
    const std::lock_guard lock(s.browsers_mutex);
    b->id = s.next_id++;
    s.browsers[b->id] = b;
  }
  gst_element_sync_state_with_parent(b->webrtc);
  gst_element_sync_state_with_parent(b->video_queue);
  gst_element_sync_state_with_parent(b->audio_queue);
  return b->id;
}

namespace {

std::shared_ptr<browser> find(const state& s, webrtc_fanout::browser_id id) {
  const std::lock_guard lock(s.browsers_mutex);
  const auto it = s.browsers.find(id);
  return it == s.browsers.end() ? nullptr : it->second;
}

}  // namespace

void webrtc_fanout::answer(browser_id id, const std::string& sdp) {
  const auto b = find(*state_, id);
  if (!b) {
    return;
  }
  GstSDPMessage* message = nullptr;
  gst_sdp_message_new_from_text(sdp.c_str(), &message);
  if (!message || gst_sdp_message_medias_len(message) == 0) {
    if (message) {
      gst_sdp_message_free(message);
    }
    throw std::invalid_argument("the answer is not an SDP description with media");
  }
  GstWebRTCSessionDescription* answer =
      gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, message);
  g_signal_emit_by_name(b->webrtc, "set-remote-description", answer, nullptr);
  gst_webrtc_session_description_free(answer);
}

void webrtc_fanout::add_candidate(browser_id id, unsigned mline, const std::string& candidate) {
  if (const auto b = find(*state_, id)) {
    g_signal_emit_by_name(b->webrtc, "add-ice-candidate", mline, candidate.c_str());
  }
}

void webrtc_fanout::remove_browser(browser_id id) {
  state& s = *state_;
  std::shared_ptr<browser> b;
  {
    const std::lock_guard lock(s.browsers_mutex);
    const auto it = s.browsers.find(id);
    if (it == s.browsers.end()) {
      return;
    }
    b = it->second;
    s.browsers.erase(it);
  }
  b->removed.store(true);
  unfeed(s.video_tee, b->video_tee_pad, b->video_queue);
  unfeed(s.audio_tee, b->audio_tee_pad, b->audio_queue);
  // webrtcbin first: its pads flush, so a queue blocked pushing into it
  // returns and can stop.
  for (GstElement* e : {b->webrtc, b->video_queue, b->audio_queue}) {
    gst_element_set_state(e, GST_STATE_NULL);
    gst_bin_remove(GST_BIN(s.pipeline), e);
  }
}

std::size_t webrtc_fanout::browsers() const {
  const std::lock_guard lock(state_->browsers_mutex);
  return state_->browsers.size();
}

std::optional<rtp_capture_clock> webrtc_fanout::video_clock() const {
  const std::lock_guard lock(state_->clock_mutex);
  return state_->clock;
}

}  // namespace treecast::media
