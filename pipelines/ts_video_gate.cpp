#include "ts_video_gate.hpp"

namespace treecast::media {

std::string ts_video_gate::filter(std::string_view ts) {
  std::string out;
  out.reserve(ts.size());
  for (std::size_t at = 0; at + ts_packet_size <= ts.size(); at += ts_packet_size) {
    const std::string_view packet = ts.substr(at, ts_packet_size);
    const auto pid = ts_packet_pid(packet);
    if (!pid) {
      continue;  // not a TS packet: nothing a demuxer could use
    }
    tables_.observe(packet);
    if (!open_ && *pid == tables_.video_pid()) {
      continue;
    }
    out.append(packet);
  }
  return out;
}

}  // namespace treecast::media
