#include "playback_pipeline.hpp"

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "gst_support.hpp"
#include "jitter_target.hpp"
#include "playout_shift.hpp"
#include "ts_renditions.hpp"
#include "window_controls.hpp"

namespace treecast::media {

// Written by the video sink's streaming thread, read by status calls.
struct playback_pipeline::timing {
  GstElement* pipeline = nullptr;
  GstElement* overlay = nullptr;  // owned; toggled by the `o` key (windowed only)
  std::function<void(std::uint64_t)> on_first_frame;
  std::atomic<bool> first_presented{false};  // a frame shown, or on sound alone a sound heard
  error_handler on_error;
  // Capture wall time of the first chunk pushed and the PTS of the first
  // buffer demuxed from it (sound or picture: the program clock times both
  // alike): together they map every later PTS to its capture time.
  std::atomic<std::uint64_t> anchor_capture_us{0};
  std::atomic<std::int64_t> anchor_pts_ns{-1};
  // Capture time of the first chunk of the rendition playing now. A frame of
  // the rendition left that comes out late (the demuxer holds a video PES
  // until the next one starts, which on sound alone may be seconds away) is
  // dropped (of_rendition_left): shown, it would move playback that much
  // later, the sound too.
  std::atomic<std::int64_t> rendition_start_us{0};
  // False on sound alone: a frame the demuxer still held from the picture
  // left is not shown, and does not end the stall meter's hold (measured:
  // one such frame had 10 s of sound alone counted as the picture frozen).
  std::atomic<bool> picture_expected{true};
  // The jitter buffer: frames are due on screen the target after the live
  // edge, i.e. after the smallest recent arrival delay (capture of a chunk's
  // first byte -> its arrival). The target adapts (jitter_target.hpp);
  // `target_ms` mirrors it for status calls.
  // Moved by the frames' thread, or on sound alone by the sound's
  // (move_playback holds playout_mutex: at a switch both may run).
  std::mutex playout_mutex;
  jitter_target target{jitter_target::config{}};  // under playout_mutex
  std::atomic<long long> target_ms{-1};
  live_edge edge;
  // Where playback is moved in time: the decoders' output pads.
  GstPad* video_offset_pad = nullptr;
  GstPad* audio_offset_pad = nullptr;
  std::int64_t offset_ns = 0;  // under playout_mutex
  later_moves moved_later;     // under playout_mutex
  std::atomic<std::uint64_t> re_anchors{0};
  std::atomic<long long> latency_ms{-1};
  frame_latency per_frame;  // every frame's capture -> screen
  std::atomic<std::uint64_t> shown_capture_us{0};
  // Frames as shown on screen: time the picture stood still, from the first
  // frame on time (before it, the join's backlog is played past at once:
  // the decoder drops what is already due, and the first frame waits for
  // the live ones).
  bool on_time_yet = false;  // streaming thread only
  mutable std::mutex stall_mutex;
  stall_meter stalls;
  // The sound as played: a buffer later than its due time by more than the
  // tolerance is a gap the listener hears (the same measure as the picture's).
  stall_meter audio_gaps;          // under stall_mutex
  bool audio_on_time_yet = false;  // audio streaming thread only
};

namespace {

// Branches linked to tsdemux's pads as they appear. Queues decouple the
// demuxer from the decoders so one stream never stalls the other; they hold
// up to the latency budget and more.
std::string video_branch(bool headless, video_output output) {
  return std::string(
             "queue name=entry max-size-time=3000000000 max-size-bytes=0 max-size-buffers=0 ! ") +
         demuxed_h264_caps + " ! h264parse ! avdec_h264 name=vdec ! " +
         (headless ? "fakesink name=vsink sync=true async=false"
                   : "textoverlay name=overlay valignment=bottom halignment=left "
                     "font-desc=\"Sans 12\" shaded-background=true ! videoconvert ! " +
                         video_sink_description(output));
}

// The first sound output that opens (PulseAudio, then ALSA's default);
// "" when none does. autoaudiosink is not used: on a machine without sound
// it may settle on a sink that never plays, and its clock then stalls the
// picture too.
std::string working_audio_sink() {
  for (const char* factory : {"pulsesink", "alsasink"}) {
    if (element_opens(factory)) {
      return factory;
    }
  }
  return "";
}

// Without a sound device the sound still goes out as a device would take it:
// ahead of time, into a buffer the card plays from (pulsesink's and
// alsasink's default buffer-time, 200 ms), so a viewer process held off the
// CPU for a moment is not heard, here as there. A fakesink rendering each
// buffer when due took it just in time: one 60 ms scheduling hiccup of a
// loaded machine counted as a gap and grew the sound-alone jitter buffer.
constexpr const char* device_like_sound_sink = "fakesink sync=true ts-offset=-200000000";

std::string audio_branch(bool headless) {
  std::string sink = device_like_sound_sink;
  if (!headless) {
    const std::string output = working_audio_sink();
    if (output.empty()) {
      std::fprintf(stderr, "treecast: no sound output could be opened; playing the picture only\n");
    } else {
      sink = "audioconvert ! audioresample ! " + output;
    }
  }
  // The volume element carries mute and volume (keys m, Up, Down) whatever
  // the output.
  return "queue name=entry max-size-time=3000000000 max-size-bytes=0 max-size-buffers=0 ! "
         "opusdec name=adec ! volume name=volume ! " +
         sink + " name=asink";
}

// A bin for one branch whose only sink pad is its entry queue's (textoverlay's
// text pad stays unlinked rather than being offered to the demuxer).
GstElement* branch_bin(const std::string& description) {
  GError* error = nullptr;
  GstElement* bin = gst_parse_bin_from_description(description.c_str(), FALSE, &error);
  if (error) {
    const std::string text = error->message;
    g_clear_error(&error);
    if (bin) {
      gst_object_unref(bin);
    }
    throw std::runtime_error("cannot build playback pipeline: " + text);
  }
  GstElement* entry = gst_bin_get_by_name(GST_BIN(bin), "entry");
  GstPad* target = gst_element_get_static_pad(entry, "sink");
  gst_element_add_pad(bin, gst_ghost_pad_new("sink", target));
  gst_object_unref(target);
  gst_object_unref(entry);
  return bin;
}

// Keeps frames due the jitter target after the live edge (playout_shift.hpp),
// the target first told how early this frame came: before it is due at the
// target or where playback stands, whichever is sooner. The same offset
// moves audio, keeping sync. `anchor_only`: nothing unless this is the first
// move (the anchor).
void move_playback(playback_pipeline::timing& t, std::int64_t& shown_wall_us,
                   std::int64_t captured_us, bool anchor_only = false) {
  const std::lock_guard lock(t.playout_mutex);
  const std::int64_t edge_us = t.edge.delay_us();
  if (edge_us < 0) {
    return;
  }
  const std::int64_t now_us = wall_now_us();
  const bool first = t.re_anchors.load() == 0;
  if (anchor_only && !first) {
    return;
  }
  if (!first) {
    const std::int64_t due_us =
        std::min(shown_wall_us, captured_us + edge_us + t.target.target_us());
    t.target.on_frame(now_us, due_us - now_us);
    t.target_ms.store(t.target.target_us() / 1000);
  }
  const std::int64_t shift_us = playout_shift({.first = first,
                                               .delay_us = shown_wall_us - captured_us,
                                               .wanted_us = edge_us + t.target.target_us(),
                                               .slack_us = shown_wall_us - now_us,
                                               .may_restore = t.moved_later.may_restore(now_us)});
  if (shift_us == 0 && !first) {
    return;
  }
  t.moved_later.note(shift_us, now_us);
  t.offset_ns += shift_us * 1000;
  gst_pad_set_offset(t.video_offset_pad, t.offset_ns);
  gst_pad_set_offset(t.audio_offset_pad, t.offset_ns);
  shown_wall_us += shift_us;
  t.re_anchors.fetch_add(1);
}

// The first buffer out of the demuxer, of either stream: the start of the
// first chunk pushed.
GstPadProbeReturn on_demuxed(GstPad*, GstPadProbeInfo* info, gpointer user_data) {
  auto* t = static_cast<playback_pipeline::timing*>(user_data);
  GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  if (!buffer || !GST_BUFFER_PTS_IS_VALID(buffer)) {
    return GST_PAD_PROBE_OK;
  }
  std::int64_t unset = -1;
  t->anchor_pts_ns.compare_exchange_strong(unset,
                                           static_cast<std::int64_t>(GST_BUFFER_PTS(buffer)));
  return GST_PAD_PROBE_REMOVE;
}

// Each frame reaching the video sink: when it will be shown (its running
// time + the latency, on the pipeline clock, in wall time) and when it was
// captured (its PTS relative to the first buffer demuxed, from the first
// chunk's capture time).
GstPadProbeReturn on_frame(GstPad* pad, GstPadProbeInfo* info, gpointer user_data) {
  auto* t = static_cast<playback_pipeline::timing*>(user_data);
  GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  if (!buffer || !GST_BUFFER_PTS_IS_VALID(buffer)) {
    return GST_PAD_PROBE_OK;
  }
  const auto pts = static_cast<std::int64_t>(GST_BUFFER_PTS(buffer));
  const std::int64_t anchor_pts_ns = t->anchor_pts_ns.load();
  if (anchor_pts_ns < 0) {
    return GST_PAD_PROBE_OK;
  }
  const auto until_ns = ns_until_running_time(pad, buffer, t->pipeline);
  if (!until_ns) {
    return GST_PAD_PROBE_OK;
  }
  const std::int64_t show_in_ns =
      *until_ns + static_cast<std::int64_t>(gst_pipeline_get_latency(GST_PIPELINE(t->pipeline)));
  std::int64_t shown_wall_us = wall_now_us() + show_in_ns / 1000;

  const auto captured_us =
      static_cast<std::int64_t>(t->anchor_capture_us.load()) + (pts - anchor_pts_ns) / 1000;
  if (!t->picture_expected.load() ||
      (of_rendition_left(captured_us, t->rendition_start_us.load()) &&
       shown_wall_us < wall_now_us())) {
    return GST_PAD_PROBE_DROP;
  }
  move_playback(*t, shown_wall_us, captured_us);
  // A frame due in the past (the join's backlog) is shown on arrival.
  const std::int64_t now_us = wall_now_us();
  t->on_time_yet = t->on_time_yet || shown_wall_us >= now_us;
  shown_wall_us = std::max(shown_wall_us, now_us);
  t->latency_ms.store((shown_wall_us - captured_us) / 1000);
  t->per_frame.add((shown_wall_us - captured_us) / 1000);
  t->shown_capture_us.store(static_cast<std::uint64_t>(captured_us));
  if (t->on_time_yet) {
    const std::lock_guard lock(t->stall_mutex);
    t->stalls.on_frame_shown(shown_wall_us, pts / 1000);
  }
  if (!t->first_presented.exchange(true) && t->on_first_frame) {
    t->on_first_frame(static_cast<std::uint64_t>(shown_wall_us));
  }
  return GST_PAD_PROBE_OK;
}

// Each audio buffer reaching the sound sink: when it will be heard (as for
// frames: its running time + the latency, in wall time) against its media
// time, for the audio gap meter. The join's backlog played past at once
// is not heard late. On sound alone the sound keeps the jitter buffer as
// the frames do otherwise: a 150 kbit/s viewer's sound had 150 ms of it
// whatever its link did (44-110 gaps in 40 s in the lab).
GstPadProbeReturn on_sound(GstPad* pad, GstPadProbeInfo* info, gpointer user_data) {
  auto* t = static_cast<playback_pipeline::timing*>(user_data);
  GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  if (!buffer || !GST_BUFFER_PTS_IS_VALID(buffer)) {
    return GST_PAD_PROBE_OK;
  }
  const auto until_ns = ns_until_running_time(pad, buffer, t->pipeline);
  if (!until_ns) {
    return GST_PAD_PROBE_OK;
  }
  const std::int64_t now_us = wall_now_us();
  std::int64_t due_us =
      now_us +
      (*until_ns + static_cast<std::int64_t>(gst_pipeline_get_latency(GST_PIPELINE(t->pipeline)))) /
          1000;
  const std::int64_t anchor_pts_ns = t->anchor_pts_ns.load();
  // The first sound anchors playback if it comes before the first frame
  // (decoded sooner, it usually does): played at the pipeline's own time
  // until the picture anchored, it was heard and then cut off by the
  // anchor's shift (40-200 ms gaps at nearly every join in the lab).
  const bool anchor_only = t->picture_expected.load();
  if (anchor_pts_ns >= 0 && (!anchor_only || t->re_anchors.load() == 0)) {
    const auto pts = static_cast<std::int64_t>(GST_BUFFER_PTS(buffer));
    move_playback(
        *t, due_us,
        static_cast<std::int64_t>(t->anchor_capture_us.load()) + (pts - anchor_pts_ns) / 1000,
        anchor_only);
  }
  t->audio_on_time_yet = t->audio_on_time_yet || due_us >= now_us;
  if (t->audio_on_time_yet && !t->picture_expected.load() && !t->first_presented.exchange(true) &&
      t->on_first_frame) {
    t->on_first_frame(static_cast<std::uint64_t>(std::max(due_us, now_us)));
  }
  if (t->audio_on_time_yet) {
    const std::lock_guard lock(t->stall_mutex);
    t->audio_gaps.on_frame_shown(std::max(due_us, now_us),
                                 static_cast<std::int64_t>(GST_BUFFER_PTS(buffer)) / 1000);
  }
  return GST_PAD_PROBE_OK;
}

// The decoder's output caps: the picture's size, which the window takes.
GstPadProbeReturn on_picture_caps(GstPad*, GstPadProbeInfo* info, gpointer user_data) {
  GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(event) == GST_EVENT_CAPS) {
    GstCaps* caps = nullptr;
    gst_event_parse_caps(event, &caps);
    int width = 0;
    int height = 0;
    const GstStructure* s = gst_caps_get_structure(caps, 0);
    if (gst_structure_get_int(s, "width", &width) && gst_structure_get_int(s, "height", &height)) {
      static_cast<window_controls*>(user_data)->fit_to_picture(width, height);
    }
  }
  return GST_PAD_PROBE_OK;
}

}  // namespace

bool playback_pipeline::display_available() {
  const char* display = std::getenv("DISPLAY");
  if (!display || !*display) {
    return false;
  }
  // ximagesink opens the display on the way to READY.
  return element_opens("ximagesink");
}

playback_pipeline::playback_pipeline(playback_settings settings, error_handler on_error)
    : settings_(settings), timing_(std::make_unique<timing>()) {
  require_elements({"appsrc", "tsdemux", "h264parse", "avdec_h264", "opusdec", "fakesink"});
  if (!settings_.headless) {
    require_elements({"textoverlay", "videoscale", "volume"});
    output_ = choose_video_output(settings_.output);
  }
  pipeline_ = parse_pipeline(
      "appsrc name=src is-live=true format=bytes stream-type=stream max-bytes=16777216 "
      "leaky-type=downstream block=false "
      "caps=video/mpegts,systemstream=true,packetsize=188 ! tsdemux name=demux");
  source_ = gst_bin_get_by_name(GST_BIN(pipeline_), "src");
  // A small fixed pipeline latency (decoder and audio device); the jitter
  // buffer proper is the offset move_playback() keeps.
  gst_pipeline_set_latency(GST_PIPELINE(pipeline_), 100 * GST_MSECOND);
  timing_->target = jitter_target(
      {.floor_us =
           std::chrono::duration_cast<std::chrono::microseconds>(settings_.latency).count()});
  timing_->target_ms.store(settings_.latency.count());

  struct {
    GstElement* video = nullptr;
    GstElement* audio = nullptr;
  } branches;
  try {
    branches.video = branch_bin(video_branch(settings_.headless, output_));
    branches.audio = branch_bin(audio_branch(settings_.headless));
  } catch (...) {
    if (branches.video) {
      gst_object_unref(branches.video);
    }
    throw;
  }
  gst_bin_add_many(GST_BIN(pipeline_), branches.video, branches.audio, nullptr);

  GstElement* demux = gst_bin_get_by_name(GST_BIN(pipeline_), "demux");
  link_demuxed_streams(demux, branches.video, branches.audio);
  gst_object_unref(demux);

  timing_->pipeline = pipeline_;
  timing_->on_error = on_error;
  volume_ = gst_bin_get_by_name(GST_BIN(branches.audio), "volume");
  GstElement* video_decoder = gst_bin_get_by_name(GST_BIN(branches.video), "vdec");
  GstElement* audio_decoder = gst_bin_get_by_name(GST_BIN(branches.audio), "adec");
  timing_->video_offset_pad = gst_element_get_static_pad(video_decoder, "src");
  timing_->audio_offset_pad = gst_element_get_static_pad(audio_decoder, "src");
  gst_object_unref(video_decoder);
  gst_object_unref(audio_decoder);
  for (GstElement* branch : {branches.video, branches.audio}) {
    GstPad* entry = gst_element_get_static_pad(branch, "sink");
    gst_pad_add_probe(entry, GST_PAD_PROBE_TYPE_BUFFER, on_demuxed, timing_.get(), nullptr);
    gst_object_unref(entry);
  }
  GstElement* video_sink = gst_bin_get_by_name(GST_BIN(branches.video), "vsink");
  GstPad* sink_pad = gst_element_get_static_pad(video_sink, "sink");
  gst_pad_add_probe(sink_pad, GST_PAD_PROBE_TYPE_BUFFER, on_frame, timing_.get(), nullptr);
  gst_object_unref(sink_pad);
  GstElement* sound_sink = gst_bin_get_by_name(GST_BIN(branches.audio), "asink");
  GstPad* sound_pad = gst_element_get_static_pad(sound_sink, "sink");
  gst_pad_add_probe(sound_pad, GST_PAD_PROBE_TYPE_BUFFER, on_sound, timing_.get(), nullptr);
  gst_object_unref(sound_pad);
  gst_object_unref(sound_sink);
  if (!settings_.headless) {
    timing_->overlay = gst_bin_get_by_name(GST_BIN(branches.video), "overlay");
    g_object_set(timing_->overlay, "silent", !settings_.overlay, nullptr);
    GstElement* fit = gst_bin_get_by_name(GST_BIN(branches.video), "fit");
    try {
      window_ = std::make_unique<window_controls>(
          settings_.title, window_controls::elements{video_sink, fit, volume_, timing_->overlay},
          [t = timing_.get()] { t->on_error(window_closed); });
    } catch (...) {
      if (fit) {
        gst_object_unref(fit);
      }
      gst_object_unref(video_sink);
      throw;
    }
    fit_ = fit;
    // The decoder's output is where the picture's size is first known.
    gst_pad_add_probe(timing_->video_offset_pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                      on_picture_caps, window_.get(), nullptr);
  }
  video_sink_ = video_sink;

  count_buffers(pipeline_, "vdec", &video_frames_);
  count_buffers(pipeline_, "adec", &audio_buffers_);
  watch_errors(pipeline_, std::move(on_error));
  // Open the sinks now, not at the first chunk: a GL sink's display and
  // window setup then do not hold back the first frames.
  gst_element_set_state(pipeline_, GST_STATE_READY);
}

playback_pipeline::~playback_pipeline() {
  stop();
  window_.reset();  // the sink has let go of the window
  if (fit_) {
    gst_object_unref(fit_);
  }
  gst_object_unref(video_sink_);
  gst_object_unref(volume_);
  if (timing_->overlay) {
    gst_object_unref(timing_->overlay);
  }
  gst_object_unref(timing_->video_offset_pad);
  gst_object_unref(timing_->audio_offset_pad);
  if (source_) {
    gst_object_unref(source_);
  }
  if (pipeline_) {
    gst_object_unref(pipeline_);
  }
}

void playback_pipeline::stop() {
  if (pipeline_) {
    gst_element_set_state(pipeline_, GST_STATE_NULL);
  }
}

void playback_pipeline::push(std::string_view ts, std::uint64_t capture_time_us) {
  if (!playing_) {
    // The clock starts with the first chunk, so that its first frame is due
    // one latency from now rather than in the past.
    timing_->anchor_capture_us.store(capture_time_us);
    set_playing(pipeline_);
    playing_ = true;
  }
  newest_capture_us_.store(capture_time_us);
  timing_->edge.note_arrival(capture_time_us);
  if (rendition_changed_.exchange(false)) {
    timing_->rendition_start_us.store(static_cast<std::int64_t>(capture_time_us));
  }
  auto bytes = std::make_shared<const std::string>(ts);
  gst_app_src_push_buffer(GST_APP_SRC(source_), buffer_over(bytes->data(), bytes->size(), bytes));
}

std::uint64_t playback_pipeline::re_anchors() const {
  return timing_->re_anchors.load();
}

void playback_pipeline::set_overlay_text(const std::string& text) {
  if (timing_->overlay) {
    g_object_set(timing_->overlay, "text", text.c_str(), nullptr);
  }
}

void playback_pipeline::set_first_frame_handler(std::function<void(std::uint64_t)> handler) {
  timing_->on_first_frame = std::move(handler);
}

frame_latency::snapshot_t playback_pipeline::frame_latencies() const {
  return timing_->per_frame.snapshot();
}

void playback_pipeline::expect_lateness(std::chrono::microseconds lateness) {
  const std::lock_guard lock(timing_->playout_mutex);
  timing_->target.expect_lateness(lateness.count());
  timing_->target_ms.store(timing_->target.target_us() / 1000);
}

long long playback_pipeline::jitter_target_ms() const {
  return timing_->target_ms.load();
}

long long playback_pipeline::playback_latency_ms() const {
  return timing_->latency_ms.load();
}

stall_figures playback_pipeline::figures_of(const stall_meter& m) const {
  const auto now = wall_now_us();
  const std::lock_guard lock(timing_->stall_mutex);
  return {m.stalls(now), m.stall_us(now) / 1000, m.watch_us(now) / 1000, m.rebuffer_ratio(now),
          m.last_stall()};
}

stall_figures playback_pipeline::stalls() const {
  return figures_of(timing_->stalls);
}

void playback_pipeline::rendition_changed(bool picture) {
  rendition_changed_ = true;
  timing_->picture_expected.store(picture);
  const std::lock_guard lock(timing_->stall_mutex);
  timing_->stalls.hold();
}

stall_figures playback_pipeline::audio_gaps() const {
  return figures_of(timing_->audio_gaps);
}

long long playback_pipeline::buffer_ms() const {
  const std::uint64_t shown = timing_->shown_capture_us.load();
  if (shown == 0) {
    return -1;
  }
  const std::uint64_t newest = newest_capture_us_.load();
  return newest > shown ? static_cast<long long>((newest - shown) / 1000) : 0;
}

}  // namespace treecast::media

namespace treecast::media {

bool playback_pipeline::muted() const {
  return volume_muted(volume_);
}

double playback_pipeline::volume() const {
  return volume_level(volume_);
}

bool playback_pipeline::fullscreen() const {
  return window_ && window_->fullscreen();
}

}  // namespace treecast::media
