#include "playback_pipeline.hpp"

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include <cstdlib>
#include <stdexcept>

#include "gst_support.hpp"

namespace treecast::media {
namespace {

// Branches linked to tsdemux's pads as they appear. Queues decouple the
// demuxer from the decoders so one stream never stalls the other.
std::string video_branch(bool headless) {
  return std::string(
             "queue max-size-time=2000000000 max-size-bytes=0 max-size-buffers=0 ! "
             "h264parse ! avdec_h264 name=vdec ! ") +
         (headless ? "fakesink sync=false" : "videoconvert ! ximagesink sync=false");
}

std::string audio_branch(bool headless) {
  return std::string(
             "queue max-size-time=2000000000 max-size-bytes=0 max-size-buffers=0 ! "
             "opusdec name=adec ! ") +
         (headless ? "fakesink sync=false"
                   : "audioconvert ! audioresample ! autoaudiosink sync=false");
}

struct demux_links {
  GstElement* pipeline;
  GstElement* video;  // bins with a ghost sink pad, added to the pipeline
  GstElement* audio;
};

void on_pad_added(GstElement*, GstPad* pad, gpointer user_data) {
  auto* links = static_cast<demux_links*>(user_data);
  GstCaps* caps = gst_pad_get_current_caps(pad);
  if (!caps) {
    caps = gst_pad_query_caps(pad, nullptr);
  }
  const gchar* media = gst_structure_get_name(gst_caps_get_structure(caps, 0));
  GstElement* branch = nullptr;
  if (g_str_has_prefix(media, "video/x-h264")) {
    branch = links->video;
  } else if (g_str_has_prefix(media, "audio/x-opus")) {
    branch = links->audio;
  }
  gst_caps_unref(caps);
  if (!branch) {
    return;  // a stream we do not play
  }
  GstPad* sink = gst_element_get_static_pad(branch, "sink");
  if (!gst_pad_is_linked(sink)) {
    gst_pad_link(pad, sink);
  }
  gst_object_unref(sink);
}

}  // namespace

bool playback_pipeline::display_available() {
  const char* display = std::getenv("DISPLAY");
  if (!display || !*display) {
    return false;
  }
  ensure_gst_initialized();
  // ximagesink opens the display on the way to READY.
  GstElement* probe = gst_element_factory_make("ximagesink", nullptr);
  if (!probe) {
    return false;
  }
  const bool ok = gst_element_set_state(probe, GST_STATE_READY) != GST_STATE_CHANGE_FAILURE;
  gst_element_set_state(probe, GST_STATE_NULL);
  gst_object_unref(probe);
  return ok;
}

playback_pipeline::playback_pipeline(playback_settings settings, error_handler on_error)
    : settings_(settings) {
  require_elements({"appsrc", "tsdemux", "h264parse", "avdec_h264", "opusdec"});
  if (!settings_.headless) {
    require_elements({"ximagesink", "autoaudiosink"});
  }
  pipeline_ = parse_pipeline(
      "appsrc name=src is-live=true format=bytes stream-type=stream max-bytes=0 block=false "
      "caps=video/mpegts,systemstream=true,packetsize=188 ! tsdemux name=demux");
  source_ = gst_bin_get_by_name(GST_BIN(pipeline_), "src");

  auto* links = new demux_links{pipeline_, nullptr, nullptr};
  GError* error = nullptr;
  links->video =
      gst_parse_bin_from_description(video_branch(settings_.headless).c_str(), TRUE, &error);
  if (!error) {
    links->audio =
        gst_parse_bin_from_description(audio_branch(settings_.headless).c_str(), TRUE, &error);
  }
  if (error) {
    const std::string text = error->message;
    g_clear_error(&error);
    delete links;
    throw std::runtime_error("cannot build playback pipeline: " + text);
  }
  gst_bin_add_many(GST_BIN(pipeline_), links->video, links->audio, nullptr);

  GstElement* demux = gst_bin_get_by_name(GST_BIN(pipeline_), "demux");
  g_signal_connect_data(
      demux, "pad-added", G_CALLBACK(on_pad_added), links,
      [](gpointer p, GClosure*) { delete static_cast<demux_links*>(p); }, GConnectFlags{});
  gst_object_unref(demux);

  count_buffers(pipeline_, "vdec", &video_frames_);
  count_buffers(pipeline_, "adec", &audio_buffers_);
  watch_errors(pipeline_, std::move(on_error));
}

playback_pipeline::~playback_pipeline() {
  stop();
  if (source_) {
    gst_object_unref(source_);
  }
  if (pipeline_) {
    gst_object_unref(pipeline_);
  }
}

void playback_pipeline::start() {
  set_playing(pipeline_);
}

void playback_pipeline::stop() {
  if (pipeline_) {
    gst_element_set_state(pipeline_, GST_STATE_NULL);
  }
}

void playback_pipeline::push(const void* data, std::size_t size,
                             std::shared_ptr<const void> keep_alive) {
  auto* owner = new std::shared_ptr<const void>(std::move(keep_alive));
  GstBuffer* buffer = gst_buffer_new_wrapped_full(
      GST_MEMORY_FLAG_READONLY, const_cast<void*>(data), size, 0, size, owner,
      [](gpointer p) { delete static_cast<std::shared_ptr<const void>*>(p); });
  gst_app_src_push_buffer(GST_APP_SRC(source_), buffer);
}

}  // namespace treecast::media
