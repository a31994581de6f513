#include "muxer_intake.hpp"

#include <chrono>
#include <cstdint>

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

}  // namespace

void push_muxer_buffer(ts_chunker& chunker, GstElement* element, const GstSegment* segment,
                       GstBuffer* buffer) {
  GstClockTime running = GST_CLOCK_TIME_NONE;
  if (segment && segment->format == GST_FORMAT_TIME && GST_BUFFER_PTS_IS_VALID(buffer)) {
    running = gst_segment_to_running_time(segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buffer));
  }
  // mpegtsmux leaves DELTA_UNIT off the first packet of a keyframe (the PAT
  // written just before it).
  const bool keyframe = !GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  GstMapInfo map;
  if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
    chunker.push({map.data, map.size}, keyframe, capture_wall_us(element, running));
    gst_buffer_unmap(buffer, &map);
  }
}

}  // namespace treecast::media
