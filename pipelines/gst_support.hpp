// Small helpers over the GStreamer C API shared by the pipelines.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>

typedef struct _GstElement GstElement;
typedef struct _GstBuffer GstBuffer;
typedef struct _GstPad GstPad;

namespace treecast::media {

// gst_init() once per process; safe from any thread.
void ensure_gst_initialized();

// Throws std::runtime_error naming the first missing element and the Debian
// package that provides it.
void require_elements(std::initializer_list<const char*> factories);

// Whether an element of `factory` exists and reaches READY here (sinks open
// their display or sound device on the way), set back to NULL after.
bool element_opens(const char* factory);

// A buffer over `size` bytes at `data` without copying them: `owner` keeps
// the memory alive until GStreamer is done with the buffer.
GstBuffer* buffer_over(const void* data, std::size_t size, std::shared_ptr<const void> owner);

// What tsdemux gives of a treecast stream's video, said in full: each PES
// passed on whole is one access unit (the muxer writes a frame a PES), which
// its own caps leave out. h264parse, told so, passes each frame on at once
// instead of holding it until the next frame's start code: a frame interval
// (33 ms at 30 fps) of every player's buffer, and after a gap in the stream
// (a repair) the last frame before it stood behind the gap too.
inline constexpr const char* demuxed_h264_caps = "video/x-h264,alignment=au";

// gst_parse_launch(); throws std::runtime_error with the parser's message.
GstElement* parse_pipeline(const std::string& description);

// Links each H.264 and Opus pad `demux` (tsdemux) adds to the "sink" pad of
// `video` and `audio` (elements in the same bin); other streams stay
// unlinked. The elements must outlive the demuxer's pads.
void link_demuxed_streams(GstElement* demux, GstElement* video, GstElement* audio);

// Nanoseconds on `pipeline`'s clock until the running time of `buffer`'s PTS
// in `pad`'s segment (< 0: already past); nullopt without a PTS, a segment
// or a clock.
std::optional<std::int64_t> ns_until_running_time(GstPad* pad, GstBuffer* buffer,
                                                  GstElement* pipeline);

// Adds one to `counter` for every buffer leaving the element `name`'s src pad.
void count_buffers(GstElement* pipeline, const char* name, std::atomic<std::uint64_t>* counter);

// Text passed to watch_errors' handler when the stream ends.
inline constexpr const char* end_of_stream = "end of stream";

// Text passed to watch_errors' handler (and the viewer's key handler) when
// the person closed the video window: the end of watching, not a failure.
inline constexpr const char* window_closed = "window closed";

// Calls `on_error` (from a streaming thread) with the text of every ERROR
// message the pipeline posts, and with end_of_stream at EOS.
void watch_errors(GstElement* pipeline, std::function<void(const std::string&)> on_error);

// Adds to `busy_ns` the time each frame spends inside the element named
// "venc" (sink pad in -> src pad out; x264enc with zerolatency emits one
// frame per frame).
void measure_encoder_load(GstElement* pipeline, std::atomic<std::uint64_t>* busy_ns);

// Sets PLAYING; throws std::runtime_error with the bus's error text when the
// pipeline refuses.
void set_playing(GstElement* pipeline);

}  // namespace treecast::media
