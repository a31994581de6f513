#include "ts_video_pts.hpp"

#include <string_view>

#include "ts_pes.hpp"
#include "ts_program_tables.hpp"

namespace treecast::bench {

void for_each_video_pts(const std::uint8_t* data, std::size_t size,
                        const std::function<void(std::uint64_t)>& on_pts) {
  for_each_video_pes(data, size, [&](std::size_t, std::uint64_t pts, bool) { on_pts(pts); });
}

void for_each_video_pes(
    const std::uint8_t* data, std::size_t size,
    const std::function<void(std::size_t offset, std::uint64_t pts, bool keyframe)>& on_pes) {
  const std::string_view ts(reinterpret_cast<const char*>(data), size);
  for (std::size_t at = 0; at + media::ts_packet_size <= size; at += media::ts_packet_size) {
    const std::string_view packet = ts.substr(at, media::ts_packet_size);
    const auto pes = media::pes_start_of(packet);
    if (!pes || !pes->is_video()) {
      continue;
    }
    const std::uint8_t adaptation = (static_cast<std::uint8_t>(packet[3]) >> 4) & 0x3;
    const bool random_access =
        adaptation == 3 && packet[4] != 0 && (static_cast<std::uint8_t>(packet[5]) & 0x40) != 0;
    on_pes(at, pes->pts_90k, random_access);
  }
}

}  // namespace treecast::bench
