#include "overlay_text.hpp"

namespace treecast::viewer {

std::string overlay_text(const overlay_figures& f) {
  const std::string plays = !f.playing ? "-"
                            : *f.playing == wire::rendition::audio
                                ? "sound alone"
                                : wire::rendition_name(*f.playing);
  const std::string sound =
      f.muted ? "sound muted (m)" : "volume " + std::to_string(f.volume_percent) + "%";
  return "latency " + std::to_string(f.play_latency_ms) + " ms   buffer " +
         std::to_string(f.buffer_ms) + " ms\ndepth " +
         (f.depth ? std::to_string(*f.depth) : std::string("-")) + "   parent " +
         (f.parent.empty() ? std::string("-") : f.parent) + "\nmissed " +
         std::to_string(f.chunks_missed) + "   repairs " + std::to_string(f.repairs) +
         "   stalled " + std::to_string(f.stall_ms) + " ms\nplays " + plays + "   " + sound;
}

}  // namespace treecast::viewer
