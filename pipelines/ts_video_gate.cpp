#include "ts_video_gate.hpp"

#include "ts_clock.hpp"

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
      if (has_pcr(packet)) {
        out.append(clock_only_packet(packet, *pid, video_cc_));
      }
      continue;
    }
    if (*pid == tables_.video_pid()) {
      video_cc_ = static_cast<std::uint8_t>(packet[3]) & 0x0f;
    }
    out.append(packet);
  }
  return out;
}

}  // namespace treecast::media
