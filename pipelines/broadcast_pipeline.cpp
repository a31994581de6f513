#include "broadcast_pipeline.hpp"

#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <stdexcept>

#include "gst_support.hpp"
#include "media_source.hpp"
#include "muxer_intake.hpp"
#include "rendition_rates.hpp"
#include "ts_chunker.hpp"
#include "ts_mux_on_arrival.hpp"
#include "ts_renditions.hpp"

namespace treecast::media {

// Streaming-thread state, touched only from the appsink callback (the chunker)
// or guarded (the handlers, cleared by stop()).
struct broadcast_pipeline::state {
  explicit state(ts_chunker::config cfg, rendition_rates::rates nominal_kbps,
                 chunk_handler on_chunk, error_handler on_error)
      : chunker(cfg, [this](media_chunk&& c) { emit(split(std::move(c))); }),
        rates(nominal_kbps),
        on_chunk(std::move(on_chunk)),
        on_error(std::move(on_error)) {}

  media_chunk split(media_chunk&& c) {
    rendition_streams streams = splitter.split(c.bytes);
    c.bytes = std::move(streams.full);
    c.low_bytes = std::move(streams.low);
    c.audio_bytes = std::move(streams.audio);
    rates.add(c);
    c.rendition_kbps = rates.current();
    return std::move(c);
  }

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
  pes_wall_clock pes_clock;
  ts_rendition_splitter splitter;
  rendition_rates rates;
  std::mutex mutex;
  chunk_handler on_chunk;
  error_handler on_error;
  std::atomic<std::uint64_t>* chunk_counter = nullptr;
  GstElement* pipeline = nullptr;
};

namespace {

// One H.264 encoder into the muxer's pad for `pid`. No scene-cut keyframes:
// the full and the low video key at the same frames.
std::string video_encoder(const std::string& name, int kbps, int keyint, std::uint16_t pid) {
  return "x264enc name=" + name +
         " tune=zerolatency speed-preset=ultrafast bitrate=" + std::to_string(kbps) +
         " key-int-max=" + std::to_string(keyint) +
         " option-string=scenecut=0"
         " ! video/x-h264,profile=constrained-baseline ! h264parse name=" +
         (name == "venc" ? std::string("vparse") : name + "parse") +
         " config-interval=-1 ! mux.sink_" + std::to_string(pid) + " ";
}

std::string pipeline_description(const broadcast_settings& s, const source_description& source) {
  const int keyint = s.keyframe_interval > 0 ? s.keyframe_interval : s.fps;
  std::string video;
  if (s.low_rendition) {
    const auto [width, height] = low_rendition_size(s.width, s.height);
    video = source.video + " ! tee name=vsplit vsplit. ! queue ! " +
            video_encoder("venc", s.video_kbps, keyint, full_video_pid) +
            "vsplit. ! queue ! videoscale ! video/x-raw,width=" + std::to_string(width) +
            ",height=" + std::to_string(height) + " ! " +
            video_encoder("vlow", low_rendition_kbps(s.video_kbps), keyint, low_video_pid);
  } else {
    video = source.video + " ! " + video_encoder("venc", s.video_kbps, keyint, full_video_pid);
  }
  return video + source.audio +
         " ! opusenc name=aenc bitrate=" + std::to_string(s.audio_kbps * 1000) + " ! mux.sink_" +
         std::to_string(audio_pid) +
         // The tables every 10 s, not 10 times a second (~30 kbit/s in every
         // rendition): the chunker puts them first in each keyframe chunk,
         // where a viewer starts or switches. The clock every 100 ms (the
         // longest the standard allows): the low and sound-alone renditions
         // carry it in packets of its own (ts_renditions.hpp).
         " " + ts_mux_on_arrival_factory +
         " name=mux pat-interval=900000 pmt-interval=900000 si-interval=900000"
         " pcr-interval=9000"
         // Each write of the muxer whole (a frame, a sound buffer), so that
         // the chunker can cut right after a frame.
         " ! appsink name=sink sync=false max-buffers=0 emit-signals=false buffer-list=true";
}

GstFlowReturn on_new_sample(GstAppSink* sink, gpointer user_data) {
  auto* st = static_cast<broadcast_pipeline::state*>(user_data);
  GstSample* sample = gst_app_sink_pull_sample(sink);
  if (!sample) {
    return GST_FLOW_EOS;
  }
  push_muxer_write(st->chunker, st->pes_clock, st->pipeline, sample);
  gst_sample_unref(sample);
  return GST_FLOW_OK;
}

}  // namespace

std::pair<int, int> low_rendition_size(int width, int height) {
  const auto even = [](int v) { return std::max(16, v - v % 2); };
  const int low_height = even(height > 360 ? 360 : height / 2);
  return {even(width * low_height / height), low_height};
}

int low_rendition_kbps(int video_kbps) {
  return std::max(50, video_kbps / 3);
}

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
  require_elements(
      {"x264enc", "h264parse", "opusenc", "mpegtsmux", "appsink", "tee", "videoscale"});
  register_ts_mux_on_arrival();
  const source_description source =
      describe_source(parse_source(settings_.source),
                      {settings_.width, settings_.height, settings_.fps, settings_.device});
  description_ = pipeline_description(settings_, source);

  ts_chunker::config cfg;
  cfg.target_duration = settings_.chunk_duration;
  const auto audio = static_cast<std::uint32_t>(settings_.audio_kbps);
  const rendition_rates::rates nominal_kbps = {
      static_cast<std::uint32_t>(settings_.video_kbps) + audio,
      settings_.low_rendition
          ? static_cast<std::uint32_t>(low_rendition_kbps(settings_.video_kbps)) + audio
          : 0,
      audio};
  state_ = std::make_unique<state>(cfg, nominal_kbps, std::move(on_chunk), std::move(on_error));
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
