#include "gst_support.hpp"

#include <string_view>

#include <gst/gst.h>

#include <map>
#include <mutex>
#include <stdexcept>

namespace treecast::media {
namespace {

// Debian package of each element the pipelines use, for error messages.
const std::map<std::string, std::string>& element_packages() {
  static const std::map<std::string, std::string> packages = {
      {"videotestsrc", "gstreamer1.0-plugins-base"},
      {"audiotestsrc", "gstreamer1.0-plugins-base"},
      {"clockoverlay", "gstreamer1.0-plugins-base"},
      {"timeoverlay", "gstreamer1.0-plugins-base"},
      {"appsink", "gstreamer1.0-plugins-base"},
      {"appsrc", "gstreamer1.0-plugins-base"},
      {"opusenc", "gstreamer1.0-plugins-base"},
      {"opusdec", "gstreamer1.0-plugins-base"},
      {"x264enc", "gstreamer1.0-plugins-ugly"},
      {"h264parse", "gstreamer1.0-plugins-bad"},
      {"mpegtsmux", "gstreamer1.0-plugins-bad"},
      {"tsdemux", "gstreamer1.0-plugins-bad"},
      {"avdec_h264", "gstreamer1.0-libav"},
      {"ximagesink", "gstreamer1.0-plugins-base"},
      {"autoaudiosink", "gstreamer1.0-plugins-good"},
      {"autoaudiosrc", "gstreamer1.0-plugins-good"},
      {"v4l2src", "gstreamer1.0-plugins-good"},
      {"ximagesrc", "gstreamer1.0-plugins-good"},
      {"mp4mux", "gstreamer1.0-plugins-good"},
      {"matroskamux", "gstreamer1.0-plugins-good"},
      {"decodebin", "gstreamer1.0-plugins-base"},
      {"textoverlay", "gstreamer1.0-plugins-base"},
      {"opusparse", "gstreamer1.0-plugins-bad"},
      {"webrtcbin", "gstreamer1.0-plugins-bad"},
      {"nicesrc", "gstreamer1.0-nice"},
      {"rtph264pay", "gstreamer1.0-plugins-good"},
      {"rtpopuspay", "gstreamer1.0-plugins-good"},
      {"tee", "libgstreamer1.0-0"},
      {"queue", "libgstreamer1.0-0"},
      {"clocksync", "libgstreamer1.0-0"},
      {"filesrc", "libgstreamer1.0-0"},
      {"filesink", "libgstreamer1.0-0"},
      {"fakesink", "libgstreamer1.0-0"}};
  return packages;
}

struct error_watch {
  GstElement* pipeline;  // not owned: the bus dies with the pipeline
  std::function<void(const std::string&)> on_error;
};

// Nothing pops this bus, so every message is handled here and dropped, but
// errors, which set_playing() may still need to read.
GstBusSyncReply on_bus_message(GstBus*, GstMessage* message, gpointer user_data) {
  auto* watch = static_cast<error_watch*>(user_data);
  if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_LATENCY) {
    // An element's latency changed (x264enc once it knows its caps, tsdemux
    // pads appearing): recalculate, but never on this streaming thread, which
    // may hold locks the recalculation needs.
    gst_element_call_async(
        watch->pipeline,
        [](GstElement* pipeline, gpointer) { gst_bin_recalculate_latency(GST_BIN(pipeline)); },
        nullptr, nullptr);
  } else if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
    GError* error = nullptr;
    gchar* debug = nullptr;
    gst_message_parse_error(message, &error, &debug);
    // The X video sinks say so when the window is closed by its owner.
    const bool closed_window = error && error->domain == GST_RESOURCE_ERROR &&
                               error->code == GST_RESOURCE_ERROR_NOT_FOUND &&
                               std::string_view(error->message) == "Output window was closed";
    std::string text = closed_window ? std::string(window_closed)
                                     : std::string(GST_OBJECT_NAME(GST_MESSAGE_SRC(message))) +
                                           ": " + (error ? error->message : "unknown error");
    g_clear_error(&error);
    g_free(debug);
    watch->on_error(text);
  } else if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_EOS) {
    watch->on_error(end_of_stream);
  }
  return GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR ? GST_BUS_PASS : GST_BUS_DROP;
}

GstPadProbeReturn on_buffer(GstPad*, GstPadProbeInfo* info, gpointer user_data) {
  auto* counter = static_cast<std::atomic<std::uint64_t>*>(user_data);
  if (GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    counter->fetch_add(gst_buffer_list_length(GST_PAD_PROBE_INFO_BUFFER_LIST(info)));
  } else {
    counter->fetch_add(1);
  }
  return GST_PAD_PROBE_OK;
}

}  // namespace

void ensure_gst_initialized() {
  static std::once_flag once;
  std::call_once(once, [] { gst_init(nullptr, nullptr); });
}

void require_elements(std::initializer_list<const char*> factories) {
  ensure_gst_initialized();
  for (const char* name : factories) {
    GstElementFactory* factory = gst_element_factory_find(name);
    if (!factory) {
      const auto& packages = element_packages();
      const auto it = packages.find(name);
      throw std::runtime_error(std::string("GStreamer element '") + name + "' is missing" +
                               (it != packages.end() ? " (install " + it->second + ")" : ""));
    }
    gst_object_unref(factory);
  }
}

bool element_opens(const char* factory) {
  ensure_gst_initialized();
  GstElement* element = gst_element_factory_make(factory, nullptr);
  if (!element) {
    return false;
  }
  const bool ok = gst_element_set_state(element, GST_STATE_READY) != GST_STATE_CHANGE_FAILURE;
  gst_element_set_state(element, GST_STATE_NULL);
  gst_object_unref(element);
  return ok;
}

GstBuffer* buffer_over(const void* data, std::size_t size, std::shared_ptr<const void> owner) {
  auto* held = new std::shared_ptr<const void>(std::move(owner));
  return gst_buffer_new_wrapped_full(
      GST_MEMORY_FLAG_READONLY, const_cast<void*>(data), size, 0, size, held,
      [](gpointer p) { delete static_cast<std::shared_ptr<const void>*>(p); });
}

GstElement* parse_pipeline(const std::string& description) {
  GError* error = nullptr;
  GstElement* pipeline = gst_parse_launch(description.c_str(), &error);
  if (error) {
    const std::string text = error->message;
    g_clear_error(&error);
    if (pipeline) {
      gst_object_unref(pipeline);
    }
    throw std::runtime_error("cannot build pipeline: " + text);
  }
  return pipeline;
}

namespace {

struct demuxed_streams {
  GstElement* video;
  GstElement* audio;
};

void on_demuxed_pad(GstElement*, GstPad* pad, gpointer user_data) {
  const auto* streams = static_cast<const demuxed_streams*>(user_data);
  GstCaps* caps = gst_pad_get_current_caps(pad);
  if (!caps) {
    caps = gst_pad_query_caps(pad, nullptr);
  }
  const gchar* media = gst_structure_get_name(gst_caps_get_structure(caps, 0));
  GstElement* branch = nullptr;
  if (g_str_has_prefix(media, "video/x-h264")) {
    branch = streams->video;
  } else if (g_str_has_prefix(media, "audio/x-opus")) {
    branch = streams->audio;
  }
  gst_caps_unref(caps);
  if (!branch) {
    return;  // a stream we do not carry
  }
  GstPad* sink = gst_element_get_static_pad(branch, "sink");
  if (!gst_pad_is_linked(sink)) {
    gst_pad_link(pad, sink);
  }
  gst_object_unref(sink);
}

}  // namespace

void link_demuxed_streams(GstElement* demux, GstElement* video, GstElement* audio) {
  g_signal_connect_data(
      demux, "pad-added", G_CALLBACK(on_demuxed_pad), new demuxed_streams{video, audio},
      [](gpointer p, GClosure*) { delete static_cast<demuxed_streams*>(p); }, GConnectFlags{});
}

std::optional<std::int64_t> ns_until_running_time(GstPad* pad, GstBuffer* buffer,
                                                  GstElement* pipeline) {
  if (!GST_BUFFER_PTS_IS_VALID(buffer)) {
    return std::nullopt;
  }
  std::optional<std::int64_t> until;
  GstEvent* segment_event = gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0);
  GstClock* clock = gst_element_get_clock(pipeline);
  if (segment_event && clock) {
    const GstSegment* segment = nullptr;
    gst_event_parse_segment(segment_event, &segment);
    const GstClockTime running =
        gst_segment_to_running_time(segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buffer));
    if (GST_CLOCK_TIME_IS_VALID(running)) {
      until = static_cast<std::int64_t>(gst_element_get_base_time(pipeline) + running) -
              static_cast<std::int64_t>(gst_clock_get_time(clock));
    }
  }
  if (clock) {
    gst_object_unref(clock);
  }
  if (segment_event) {
    gst_event_unref(segment_event);
  }
  return until;
}

void count_buffers(GstElement* pipeline, const char* name, std::atomic<std::uint64_t>* counter) {
  GstElement* element = gst_bin_get_by_name(GST_BIN(pipeline), name);
  if (!element) {
    throw std::logic_error(std::string("no element named ") + name);
  }
  GstPad* pad = gst_element_get_static_pad(element, "src");
  gst_pad_add_probe(
      pad, static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
      on_buffer, counter, nullptr);
  gst_object_unref(pad);
  gst_object_unref(element);
}

void watch_errors(GstElement* pipeline, std::function<void(const std::string&)> on_error) {
  GstBus* bus = gst_element_get_bus(pipeline);
  auto* watch = new error_watch{pipeline, std::move(on_error)};
  gst_bus_set_sync_handler(bus, on_bus_message, watch,
                           [](gpointer p) { delete static_cast<error_watch*>(p); });
  gst_object_unref(bus);
}

namespace {

// Frames in flight through the encoder: entry time by PTS.
struct encoder_timing {
  std::atomic<std::uint64_t>* busy_ns;
  std::mutex mutex;
  std::map<GstClockTime, std::uint64_t> entered;
};

std::uint64_t monotonic_ns() {
  return static_cast<std::uint64_t>(g_get_monotonic_time()) * 1000;
}

GstPadProbeReturn on_encoder_in(GstPad*, GstPadProbeInfo* info, gpointer user_data) {
  auto* t = static_cast<encoder_timing*>(user_data);
  GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  if (buffer && GST_BUFFER_PTS_IS_VALID(buffer)) {
    const std::lock_guard lock(t->mutex);
    if (t->entered.size() < 256) {  // bounded whatever the encoder does
      t->entered[GST_BUFFER_PTS(buffer)] = monotonic_ns();
    }
  }
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn on_encoder_out(GstPad*, GstPadProbeInfo* info, gpointer user_data) {
  auto* t = static_cast<encoder_timing*>(user_data);
  GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  if (buffer && GST_BUFFER_PTS_IS_VALID(buffer)) {
    const std::lock_guard lock(t->mutex);
    const auto it = t->entered.find(GST_BUFFER_PTS(buffer));
    if (it != t->entered.end()) {
      t->busy_ns->fetch_add(monotonic_ns() - it->second);
      t->entered.erase(t->entered.begin(), std::next(it));
    }
  }
  return GST_PAD_PROBE_OK;
}

}  // namespace

void measure_encoder_load(GstElement* pipeline, std::atomic<std::uint64_t>* busy_ns) {
  GstElement* encoder = gst_bin_get_by_name(GST_BIN(pipeline), "venc");
  if (!encoder) {
    throw std::logic_error("no element named venc");
  }
  auto* timing = new encoder_timing{busy_ns, {}, {}};
  GstPad* sink = gst_element_get_static_pad(encoder, "sink");
  GstPad* src = gst_element_get_static_pad(encoder, "src");
  gst_pad_add_probe(sink, GST_PAD_PROBE_TYPE_BUFFER, on_encoder_in, timing, nullptr);
  gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER, on_encoder_out, timing,
                    [](gpointer p) { delete static_cast<encoder_timing*>(p); });
  gst_object_unref(sink);
  gst_object_unref(src);
  gst_object_unref(encoder);
}

void set_playing(GstElement* pipeline) {
  if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    std::string text = "pipeline refused to play";
    GstBus* bus = gst_element_get_bus(pipeline);
    if (GstMessage* m = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR)) {
      GError* error = nullptr;
      gst_message_parse_error(m, &error, nullptr);
      if (error) {
        text += ": " + std::string(error->message);
      }
      g_clear_error(&error);
      gst_message_unref(m);
    }
    gst_object_unref(bus);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    throw std::runtime_error(text);
  }
}

}  // namespace treecast::media
