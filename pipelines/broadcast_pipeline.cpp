#include "broadcast_pipeline.hpp"

#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#include <chrono>
#include <mutex>
#include <stdexcept>

#include "gst_support.hpp"
#include "media_source.hpp"
#include "muxer_intake.hpp"
#include "ts_chunker.hpp"

namespace treecast::media {

// Streaming-thread state, touched only from the appsink callback (the chunker)
// or guarded (the handlers, cleared by stop()).
struct broadcast_pipeline::state {
  explicit state(ts_chunker::config cfg, chunk_handler on_chunk, error_handler on_error)
      : chunker(cfg, [this](media_chunk&& c) { emit(std::move(c)); }),
        on_chunk(std::move(on_chunk)),
        on_error(std::move(on_error)) {}

  void emit(media_chunk&& c) {
    if (chunk_counter) {
      chunk_counter->fetch_add(1);
    }
    const std::lock_guard lock(mutex);
    if (on_chunk) {
      on_chunk(std::move(c));
    }
  }

  void error(const std::string& text) {
    const std::lock_guard lock(mutex);
    if (on_error) {
      on_error(text);
    }
  }

  ts_chunker chunker;
  std::mutex mutex;
  chunk_handler on_chunk;
  error_handler on_error;
  std::atomic<std::uint64_t>* chunk_counter = nullptr;
  GstElement* pipeline = nullptr;
};

namespace {

std::string pipeline_description(const broadcast_settings& s, const source_description& source) {
  const int keyint = s.keyframe_interval > 0 ? s.keyframe_interval : s.fps;
  return source.video + " ! x264enc name=venc tune=zerolatency speed-preset=ultrafast bitrate=" +
         std::to_string(s.video_kbps) + " key-int-max=" + std::to_string(keyint) +
         " ! video/x-h264,profile=constrained-baseline ! h264parse name=vparse config-interval=-1"
         " ! mux. " +
         source.audio + " ! opusenc name=aenc bitrate=" + std::to_string(s.audio_kbps * 1000) +
         " ! mux. "
         "mpegtsmux name=mux ! appsink name=sink sync=false max-buffers=0 emit-signals=false";
}

GstFlowReturn on_new_sample(GstAppSink* sink, gpointer user_data) {
  auto* st = static_cast<broadcast_pipeline::state*>(user_data);
  GstSample* sample = gst_app_sink_pull_sample(sink);
  if (!sample) {
    return GST_FLOW_EOS;
  }
  GstBuffer* buffer = gst_sample_get_buffer(sample);
  push_muxer_buffer(st->chunker, st->pipeline, gst_sample_get_segment(sample), buffer);
  gst_sample_unref(sample);
  return GST_FLOW_OK;
}

}  // namespace

std::string broadcast_settings::validate() const {
  if (width < 16 || height < 16 || width > 7680 || height > 4320 || width % 2 || height % 2) {
    return "--resolution must be even and between 16x16 and 7680x4320";
  }
  if (fps < 1 || fps > 120) {
    return "--fps must be between 1 and 120";
  }
  if (video_kbps < 50 || video_kbps > 50000) {
    return "--bitrate must be between 50 and 50000 kbit/s";
  }
  if (chunk_duration < std::chrono::milliseconds(20) ||
      chunk_duration > std::chrono::milliseconds(2000)) {
    return "--chunk-ms must be between 20 and 2000";
  }
  return {};
}

broadcast_pipeline::broadcast_pipeline(broadcast_settings settings, chunk_handler on_chunk,
                                       error_handler on_error)
    : settings_(std::move(settings)) {
  if (const std::string problem = settings_.validate(); !problem.empty()) {
    throw std::runtime_error(problem);
  }
  ensure_gst_initialized();
  require_elements({"x264enc", "h264parse", "opusenc", "mpegtsmux", "appsink"});
  const source_description source =
      describe_source(parse_source(settings_.source),
                      {settings_.width, settings_.height, settings_.fps, settings_.device});
  description_ = pipeline_description(settings_, source);

  ts_chunker::config cfg;
  cfg.target_duration = settings_.chunk_duration;
  state_ = std::make_unique<state>(cfg, std::move(on_chunk), std::move(on_error));
  state_->chunk_counter = &chunks_;

  pipeline_ = parse_pipeline(description_);
  state_->pipeline = pipeline_;

  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline_), "sink");
  GstAppSinkCallbacks callbacks{};
  callbacks.new_sample = on_new_sample;
  gst_app_sink_set_callbacks(GST_APP_SINK(sink), &callbacks, state_.get(), nullptr);
  gst_object_unref(sink);

  count_buffers(pipeline_, "vparse", &video_frames_);
  count_buffers(pipeline_, "aenc", &audio_buffers_);
  watch_errors(pipeline_, [st = state_.get()](const std::string& text) { st->error(text); });
  measure_encoder_load(pipeline_, &encode_busy_ns_);
}

broadcast_pipeline::~broadcast_pipeline() {
  stop();
  if (pipeline_) {
    gst_object_unref(pipeline_);
  }
}

void broadcast_pipeline::start() {
  set_playing(pipeline_);
}

void broadcast_pipeline::stop() {
  if (!pipeline_) {
    return;
  }
  {
    const std::lock_guard lock(state_->mutex);
    state_->on_chunk = nullptr;
    state_->on_error = nullptr;
  }
  gst_element_set_state(pipeline_, GST_STATE_NULL);
}

}  // namespace treecast::media
