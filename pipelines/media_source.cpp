#include "media_source.hpp"

#include <gst/gst.h>
#include <gst/pbutils/pbutils.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "gst_support.hpp"

namespace treecast::media {
namespace {

std::string raw_video_caps(const source_settings& s) {
  return "video/x-raw,format=I420,width=" + std::to_string(s.width) +
         ",height=" + std::to_string(s.height) + ",framerate=" + std::to_string(s.fps) + "/1";
}

// Scaled, converted and rate-adapted to the wanted caps, whatever comes in.
std::string normalised_video(const source_settings& s) {
  return " ! videoconvert ! videoscale ! videorate ! " + raw_video_caps(s);
}

constexpr const char* raw_audio_caps = "audio/x-raw,rate=48000,channels=2";

std::string clock_overlay() {
  return " ! clockoverlay time-format=\"%H:%M:%S\" font-desc=\"Sans 24\" shaded-background=true";
}

std::string quoted(const std::string& text) {
  if (text.find('"') != std::string::npos) {
    throw std::runtime_error("paths with a double quote are not supported: " + text);
  }
  return "\"" + text + "\"";
}

struct file_streams {
  bool video = false;
  bool audio = false;
};

// What the file holds, asked of GStreamer's discoverer (5 s at most).
file_streams discover(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw std::runtime_error("--source file: no such file: " + path);
  }
  GError* error = nullptr;
  GstDiscoverer* discoverer = gst_discoverer_new(5 * GST_SECOND, &error);
  if (!discoverer) {
    const std::string text = error ? error->message : "unknown error";
    g_clear_error(&error);
    throw std::runtime_error("cannot inspect " + path + ": " + text);
  }
  gchar* uri = gst_filename_to_uri(std::filesystem::absolute(path).c_str(), nullptr);
  GstDiscovererInfo* info = gst_discoverer_discover_uri(discoverer, uri, &error);
  g_free(uri);
  file_streams streams;
  std::string failure;
  if (!info || gst_discoverer_info_get_result(info) != GST_DISCOVERER_OK) {
    failure = error ? error->message : "GStreamer cannot decode it";
  } else {
    GList* video = gst_discoverer_info_get_video_streams(info);
    GList* audio = gst_discoverer_info_get_audio_streams(info);
    streams.video = video != nullptr;
    streams.audio = audio != nullptr;
    gst_discoverer_stream_info_list_free(video);
    gst_discoverer_stream_info_list_free(audio);
  }
  g_clear_error(&error);
  if (info) {
    g_object_unref(info);
  }
  g_object_unref(discoverer);
  if (!failure.empty()) {
    throw std::runtime_error("--source file: cannot play " + path + ": " + failure);
  }
  if (!streams.video) {
    throw std::runtime_error("--source file: " + path + " has no video stream");
  }
  return streams;
}

}  // namespace

source_spec parse_source(const std::string& text) {
  source_spec spec;
  if (text.rfind("file:", 0) == 0) {
    spec.video = source_spec::picture::file;
    spec.audio = source_spec::sound::file;
    spec.path = text.substr(5);
    if (spec.path.empty()) {
      throw std::invalid_argument("--source file: wants a path, e.g. file:/srv/meeting.mp4");
    }
    return spec;
  }
  std::string picture = text;
  bool with_mic = false;
  if (const auto plus = text.find('+'); plus != std::string::npos) {
    picture = text.substr(0, plus);
    if (text.substr(plus + 1) != "mic") {
      throw std::invalid_argument("--source: only '+mic' can be added to a picture source, got '" +
                                  text + "'");
    }
    with_mic = true;
  }
  if (picture == "test") {
    spec.video = source_spec::picture::test;
    spec.audio = source_spec::sound::tone;
  } else if (picture == "camera") {
    spec.video = source_spec::picture::camera;
    spec.audio = source_spec::sound::silence;
  } else if (picture == "screen") {
    spec.video = source_spec::picture::screen;
    spec.audio = source_spec::sound::silence;
  } else if (picture == "mic" && !with_mic) {
    spec.video = source_spec::picture::black;
    spec.audio = source_spec::sound::mic;
  } else {
    throw std::invalid_argument("--source: unknown source '" + text +
                                "' (test, camera, mic, screen, file:PATH, camera+mic, "
                                "screen+mic, test+mic)");
  }
  if (with_mic) {
    spec.audio = source_spec::sound::mic;
  }
  return spec;
}

source_description describe_source(const source_spec& spec, const source_settings& s) {
  ensure_gst_initialized();
  source_description out;
  file_streams streams;
  switch (spec.video) {
    case source_spec::picture::test:
      require_elements({"videotestsrc", "clockoverlay", "timeoverlay"});
      out.video = "videotestsrc is-live=true pattern=smpte horizontal-speed=2 ! " +
                  raw_video_caps(s) + clock_overlay() +
                  " ! timeoverlay halignment=right valignment=bottom font-desc=\"Sans 18\"" +
                  normalised_video(s);
      break;
    case source_spec::picture::black:
      require_elements({"videotestsrc", "clockoverlay"});
      out.video = "videotestsrc is-live=true pattern=black ! " + raw_video_caps(s) +
                  clock_overlay() + normalised_video(s);
      break;
    case source_spec::picture::camera: {
      require_elements({"v4l2src"});
      std::error_code ec;
      if (!std::filesystem::exists(s.device, ec)) {
        throw std::runtime_error("--source camera: no camera at " + s.device +
                                 " (is one plugged in? --device names another)");
      }
      out.video = "v4l2src device=" + quoted(s.device) + normalised_video(s);
      break;
    }
    case source_spec::picture::screen: {
      require_elements({"ximagesrc"});
      const char* display = std::getenv("DISPLAY");
      if (!display || !*display) {
        throw std::runtime_error("--source screen: no X display to capture (DISPLAY is unset)");
      }
      out.video = "ximagesrc use-damage=false show-pointer=true" + normalised_video(s);
      break;
    }
    case source_spec::picture::file:
      require_elements({"filesrc", "decodebin", "clocksync"});
      streams = discover(spec.path);
      out.live = false;
      out.video = "filesrc location=" + quoted(spec.path) + " ! decodebin name=file " +
                  "file. ! queue" + normalised_video(s) + " ! clocksync";
      break;
  }
  switch (spec.audio) {
    case source_spec::sound::tone:
      require_elements({"audiotestsrc"});
      out.audio =
          "audiotestsrc is-live=true wave=sine freq=440 volume=0.2 ! audioconvert ! "
          "audioresample ! " +
          std::string(raw_audio_caps);
      break;
    case source_spec::sound::silence:
      require_elements({"audiotestsrc"});
      out.audio = std::string("audiotestsrc is-live=") + (out.live ? "true" : "false") +
                  " wave=silence ! audioconvert ! audioresample ! " + raw_audio_caps;
      break;
    case source_spec::sound::mic:
      require_elements({"autoaudiosrc"});
      out.audio =
          "autoaudiosrc ! queue ! audioconvert ! audioresample ! " + std::string(raw_audio_caps);
      break;
    case source_spec::sound::file:
      if (streams.audio) {
        out.audio = "file. ! queue ! audioconvert ! audioresample ! " +
                    std::string(raw_audio_caps) + " ! clocksync";
      } else {
        out.audio = "audiotestsrc is-live=false wave=silence ! audioconvert ! audioresample ! " +
                    std::string(raw_audio_caps) + " ! clocksync";
      }
      break;
  }
  return out;
}

}  // namespace treecast::media
