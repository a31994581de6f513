#include "ts_recorder.hpp"

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include <stdexcept>

#include "gst_support.hpp"

namespace treecast::media {
namespace {

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix.data(), suffix.size()) == 0;
}

// tsdemux's pads are linked by name pattern: parse-launch links the first
// video and audio pads to the parsers as they appear.
std::string remux_description(const std::string& muxer, const std::string& path) {
  return "appsrc name=src is-live=true format=bytes max-bytes=16777216 leaky-type=downstream "
         "block=false "
         "caps=video/mpegts,systemstream=true,packetsize=188 ! tsdemux name=demux "
         "demux. ! queue ! h264parse ! mux. "
         "demux. ! queue ! opusparse ! mux. " +
         muxer + " name=mux ! filesink location=\"" + path + "\"";
}

}  // namespace

ts_recorder::ts_recorder(const std::string& path) : path_(path) {
  if (path.find('"') != std::string::npos) {
    throw std::runtime_error("--record: a file name with a double quote is not supported");
  }
  if (ends_with(path, ".ts")) {
    raw_ = std::fopen(path.c_str(), "wb");
    if (!raw_) {
      throw std::runtime_error("--record: cannot create " + path);
    }
    return;
  }
  std::string muxer;
  if (ends_with(path, ".mp4")) {
    muxer = "mp4mux fragment-duration=1000";
  } else if (ends_with(path, ".mkv")) {
    muxer = "matroskamux";
  } else {
    throw std::runtime_error("--record: " + path + " must end in .ts, .mp4 or .mkv");
  }
  // Fail now, not at the first chunk, when the file cannot be created.
  std::FILE* probe = std::fopen(path.c_str(), "wb");
  if (!probe) {
    throw std::runtime_error("--record: cannot create " + path);
  }
  std::fclose(probe);
  require_elements({"appsrc", "tsdemux", "h264parse", "opusparse", "filesink"});
  pipeline_ = parse_pipeline(remux_description(muxer, path));
  source_ = gst_bin_get_by_name(GST_BIN(pipeline_), "src");
  set_playing(pipeline_);
}

ts_recorder::~ts_recorder() {
  finish();
  if (source_) {
    gst_object_unref(source_);
  }
  if (pipeline_) {
    gst_object_unref(pipeline_);
  }
}

void ts_recorder::write(std::string_view ts) {
  const std::lock_guard lock(mutex_);
  if (finished_) {
    return;
  }
  if (raw_) {
    std::fwrite(ts.data(), 1, ts.size(), raw_);
    return;
  }
  GstBuffer* buffer = gst_buffer_new_memdup(ts.data(), ts.size());
  gst_app_src_push_buffer(GST_APP_SRC(source_), buffer);
}

void ts_recorder::finish() {
  const std::lock_guard lock(mutex_);
  if (finished_) {
    return;
  }
  finished_ = true;
  if (raw_) {
    std::fclose(raw_);
    raw_ = nullptr;
    return;
  }
  // EOS makes the muxer write its index; wait for it to reach the file.
  gst_app_src_end_of_stream(GST_APP_SRC(source_));
  GstBus* bus = gst_element_get_bus(pipeline_);
  GstMessage* done = gst_bus_timed_pop_filtered(
      bus, 5 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  if (done) {
    gst_message_unref(done);
  }
  gst_object_unref(bus);
  gst_element_set_state(pipeline_, GST_STATE_NULL);
}

}  // namespace treecast::media
