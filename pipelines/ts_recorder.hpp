// Keeps a local copy of a transport stream (--record FILE).
//
// FILE ending in .ts gets the bytes as they are; .mp4 or .mkv gets them
// remuxed by GStreamer (tsdemux -> parsers -> mp4mux/matroskamux) without
// re-encoding. MP4 is written fragmented (one fragment a second), so a copy
// cut short by a crash still plays up to its last second. Thread-safe.
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

typedef struct _GstElement GstElement;

namespace treecast::media {

class ts_recorder {
 public:
  // Throws std::runtime_error when the file cannot be created or its
  // extension names no container we write.
  explicit ts_recorder(const std::string& path);
  ~ts_recorder();

  ts_recorder(const ts_recorder&) = delete;
  ts_recorder& operator=(const ts_recorder&) = delete;

  void write(std::string_view ts);

  // Finishes the file (writes the container's index); further writes are
  // ignored. Waits at most a few seconds for the muxer.
  void finish();

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::mutex mutex_;
  std::FILE* raw_ = nullptr;        // .ts
  GstElement* pipeline_ = nullptr;  // .mp4 / .mkv
  GstElement* source_ = nullptr;
  bool finished_ = false;
};

}  // namespace treecast::media
