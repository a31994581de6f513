#include "muxer_intake.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace treecast::media {

namespace {

// Wall time at which the content of a buffer with running time `running`
// was captured: live sources stamp buffers with the pipeline clock's time at
// capture, minus the base time.
std::uint64_t capture_wall_us(GstElement* element, GstClockTime running) {
  const auto wall_now = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  GstClock* clock = gst_element_get_clock(element);
  if (!clock || !GST_CLOCK_TIME_IS_VALID(running)) {
    if (clock) {
      gst_object_unref(clock);
    }
    return static_cast<std::uint64_t>(wall_now);
  }
  const GstClockTime clock_now = gst_clock_get_time(clock);
  gst_object_unref(clock);
  const GstClockTime captured = gst_element_get_base_time(element) + running;
  const std::int64_t age_us =
      clock_now > captured ? static_cast<std::int64_t>((clock_now - captured) / 1000) : 0;
  return static_cast<std::uint64_t>(wall_now - age_us);
}

GstClockTime running_time_of(const GstSegment* segment, GstBuffer* buffer) {
  if (!segment || segment->format != GST_FORMAT_TIME || !GST_BUFFER_PTS_IS_VALID(buffer)) {
    return GST_CLOCK_TIME_NONE;
  }
  return gst_segment_to_running_time(segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buffer));
}

// mpegtsmux leaves DELTA_UNIT off the first packet of a keyframe (the PAT
// written just before it).
bool starts_keyframe(GstBuffer* buffer) {
  return !GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT);
}

}  // namespace

void push_muxer_buffer(ts_chunker& chunker, GstElement* element, const GstSegment* segment,
                       GstBuffer* buffer) {
  GstMapInfo map;
  if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
    chunker.push({map.data, map.size}, starts_keyframe(buffer),
                 capture_wall_us(element, running_time_of(segment, buffer)));
    gst_buffer_unmap(buffer, &map);
  }
}

void push_muxer_write(ts_chunker& chunker, pes_wall_clock& clock, GstElement* element,
                      GstSample* sample) {
  std::vector<GstBuffer*> buffers;
  if (GstBufferList* list = gst_sample_get_buffer_list(sample)) {
    for (guint i = 0; i < gst_buffer_list_length(list); ++i) {
      buffers.push_back(gst_buffer_list_get(list, i));
    }
  } else if (GstBuffer* buffer = gst_sample_get_buffer(sample)) {
    buffers.push_back(buffer);
  }
  if (buffers.empty()) {
    return;
  }
  std::string bytes;
  bool keyframe = false;
  for (GstBuffer* buffer : buffers) {
    keyframe = keyframe || starts_keyframe(buffer);
    const gsize at = bytes.size();
    bytes.resize(at + gst_buffer_get_size(buffer));
    gst_buffer_extract(buffer, 0, bytes.data() + at, bytes.size() - at);
  }
  const std::uint64_t stamped =
      capture_wall_us(element, running_time_of(gst_sample_get_segment(sample), buffers.front()));
  const auto pes = first_pes_start(bytes);
  const std::span<const std::uint8_t> span(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                           bytes.size());
  chunker.push(span, keyframe, clock.capture_us(bytes, pes, stamped),
               pes && pes->is_video() ? std::optional(pes->pid) : std::nullopt);
}

}  // namespace treecast::media
