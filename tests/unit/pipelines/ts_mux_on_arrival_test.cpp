// tsmuxonarrival: a buffer is written when it comes, without waiting for the
// muxer's other pads (which mpegtsmux does: it writes in timestamp order).
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "gst_support.hpp"
#include "ts_mux_on_arrival.hpp"
#include "ts_renditions.hpp"

namespace treecast::media {
namespace {

constexpr GstClockTime wait_ns = 5 * GST_SECOND;  // a deadline, not a pace

class muxer {
 public:
  explicit muxer(const char* factory) {
    register_ts_mux_on_arrival();
    const std::string video_pad = std::to_string(full_video_pid);
    const std::string audio_pad = std::to_string(audio_pid);
    pipeline_ = parse_pipeline(
        std::string(factory) +
        " name=mux ! appsink name=out sync=false "
        "appsrc name=video is-live=true format=time min-latency=0 "
        "caps=video/x-h264,stream-format=byte-stream,alignment=au ! mux.sink_" +
        video_pad +
        " "
        "appsrc name=audio is-live=true format=time min-latency=0 "
        "caps=audio/x-opus,channels=2,rate=48000,channel-mapping-family=0 ! mux.sink_" +
        audio_pad);
    gst_element_set_state(pipeline_, GST_STATE_PLAYING);
  }
  ~muxer() {
    gst_element_set_state(pipeline_, GST_STATE_NULL);
    gst_object_unref(pipeline_);
  }

  void push(const char* source, GstClockTime pts_ms) {
    // An access unit delimiter and an IDR slice's first bytes; Opus bytes.
    static const guint8 h264[] = {0, 0, 0, 1, 0x09, 0x10, 0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00};
    static const guint8 opus[] = {0xfc, 0xff, 0xfe, 0x01, 0x02, 0x03};
    const bool video = std::string(source) == "video";
    GstBuffer* b = gst_buffer_new_memdup(video ? h264 : opus, video ? sizeof h264 : sizeof opus);
    GST_BUFFER_PTS(b) = GST_BUFFER_DTS(b) = pts_ms * GST_MSECOND;
    GST_BUFFER_DURATION(b) = 20 * GST_MSECOND;
    GstElement* src = gst_bin_get_by_name(GST_BIN(pipeline_), source);
    gst_app_src_push_buffer(GST_APP_SRC(src), b);
    gst_object_unref(src);
  }

  // Whether a PES of each of `pids` starts in what the muxer writes within
  // the deadline.
  bool writes(std::set<int> pids) {
    std::set<int> starts;
    GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline_), "out");
    const auto all_came = [&] {
      return std::ranges::all_of(pids, [&](int pid) { return starts.contains(pid); });
    };
    while (!all_came()) {
      GstSample* sample = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), wait_ns);
      if (!sample) {
        starts.clear();
        break;
      }
      GstMapInfo map;
      GstBuffer* buffer = gst_sample_get_buffer(sample);
      gst_buffer_map(buffer, &map, GST_MAP_READ);
      for (gsize at = 0; at + 188 <= map.size; at += 188) {
        if (map.data[at + 1] & 0x40) {
          starts.insert(((map.data[at + 1] & 0x1f) << 8) | map.data[at + 2]);
        }
      }
      gst_buffer_unmap(buffer, &map);
      gst_sample_unref(sample);
    }
    gst_object_unref(sink);
    return !starts.empty();
  }

 private:
  GstElement* pipeline_ = nullptr;
};

TEST(ts_mux_on_arrival, sound_is_written_without_waiting_for_the_next_video_frame) {
  muxer m(ts_mux_on_arrival_factory);
  m.push("video", 0);
  m.push("audio", 0);
  ASSERT_TRUE(m.writes({audio_pid, full_video_pid})) << "the first buffers, with both pads known";

  // Newer sound before the video frame it would follow in timestamp order:
  // written now, and the older frame after it when it comes.
  m.push("audio", 20);
  m.push("audio", 40);
  EXPECT_TRUE(m.writes({audio_pid})) << "sound held for the video pad";
  m.push("video", 33);
  EXPECT_TRUE(m.writes({full_video_pid})) << "an older frame after newer sound";
}

}  // namespace
}  // namespace treecast::media
