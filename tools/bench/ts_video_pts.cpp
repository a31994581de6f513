#include "ts_video_pts.hpp"

namespace treecast::bench {

void for_each_video_pts(const std::uint8_t* data, std::size_t size,
                        const std::function<void(std::uint64_t)>& on_pts) {
  for_each_video_pes(data, size, [&](std::size_t, std::uint64_t pts, bool) { on_pts(pts); });
}

void for_each_video_pes(
    const std::uint8_t* data, std::size_t size,
    const std::function<void(std::size_t offset, std::uint64_t pts, bool keyframe)>& on_pes) {
  constexpr std::size_t packet = 188;
  for (std::size_t at = 0; at + packet <= size; at += packet) {
    const std::uint8_t* p = data + at;
    const bool payload_start = (p[1] & 0x40) != 0;
    if (p[0] != 0x47 || !payload_start) {
      continue;
    }
    std::size_t offset = 4;
    const int adaptation = (p[3] >> 4) & 0x3;
    const bool random_access = adaptation == 3 && p[4] > 0 && (p[5] & 0x40) != 0;
    if (adaptation == 2) {
      continue;  // adaptation field only
    }
    if (adaptation == 3) {
      offset += 1 + p[4];
    }
    if (offset + 14 > packet) {
      continue;
    }
    const std::uint8_t* pes = p + offset;
    const bool video = pes[0] == 0 && pes[1] == 0 && pes[2] == 1 && (pes[3] & 0xF0) == 0xE0;
    const bool has_pts = (pes[7] & 0x80) != 0;
    if (!video || !has_pts) {
      continue;
    }
    const std::uint8_t* t = pes + 9;
    const std::uint64_t pts =
        (static_cast<std::uint64_t>((t[0] >> 1) & 0x07) << 30) |
        (static_cast<std::uint64_t>(t[1]) << 22) | (static_cast<std::uint64_t>(t[2] >> 1) << 15) |
        (static_cast<std::uint64_t>(t[3]) << 7) | static_cast<std::uint64_t>(t[4] >> 1);
    on_pes(at, pts, random_access);
  }
}

}  // namespace treecast::bench
