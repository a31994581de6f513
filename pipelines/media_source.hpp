// What the broadcaster captures: `--source` parsed into a picture and a sound
// source, and each turned into the head of a GStreamer pipeline ending in raw
// video (I420 at the wanted size and rate) or raw audio.
//
//   test           moving test pattern with a running clock, and a 440 Hz tone
//   camera         a V4L2 camera (--device), with silence
//   mic            the default microphone (PulseAudio or ALSA), over a black
//                  picture with a running clock
//   screen         the X11 screen, with silence
//   file:PATH      anything GStreamer decodes, played once at real-time pace;
//                  silence if it has no sound
//   camera+mic, screen+mic, test+mic: a picture source with the microphone
//
// Checks what it can before the pipeline starts, so that a missing camera,
// display, file or plugin is named in the error.
#pragma once

#include <string>

namespace treecast::media {

struct source_spec {
  enum class picture { test, camera, screen, black, file };
  enum class sound { tone, mic, silence, file };
  picture video = picture::test;
  sound audio = sound::tone;
  std::string path;  // file:PATH
};

// Throws std::invalid_argument for an unknown source.
source_spec parse_source(const std::string& text);

struct source_description {
  std::string video;  // ends in video/x-raw,format=I420,width=..,height=..,framerate=..
  std::string audio;  // ends in audio/x-raw,rate=48000,channels=2
  bool live = true;   // false for files: paced by clocksync instead
};

struct source_settings {
  int width = 640;
  int height = 360;
  int fps = 30;
  std::string device = "/dev/video0";  // camera
};

// Throws std::runtime_error naming what is missing (device, display, file,
// GStreamer element and its Debian package).
source_description describe_source(const source_spec& spec, const source_settings& settings);

}  // namespace treecast::media
