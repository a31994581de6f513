// The status the viewer's window shows over the picture (key o): what a
// person watching can read off at a glance, and read out to whoever runs
// the meeting.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "wire/messages.hpp"

namespace treecast::viewer {

struct overlay_figures {
  long long play_latency_ms = -1;  // capture -> on screen
  long long buffer_ms = -1;
  std::optional<std::uint32_t> depth;  // nullopt: not attached
  std::string parent;                  // "host:port", empty when not attached
  unsigned long long chunks_missed = 0;
  unsigned long long repairs = 0;
  long long stall_ms = 0;
  std::optional<wire::rendition> playing;  // nullopt: nothing plays yet
  bool muted = false;
  int volume_percent = 100;
};

// Four lines: latency and buffer; depth and parent; missed, repairs and
// stall time; the rendition playing ("sound alone" for audio) and the sound.
std::string overlay_text(const overlay_figures& f);

}  // namespace treecast::viewer
