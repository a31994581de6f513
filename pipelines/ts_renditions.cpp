#include "ts_renditions.hpp"

#include "ts_clock.hpp"

namespace treecast::media {
namespace {

std::uint8_t byte_at(std::string_view s, std::size_t i) {
  return static_cast<std::uint8_t>(s[i]);
}

}  // namespace

std::uint32_t mpeg_crc32(std::string_view bytes) {
  std::uint32_t crc = 0xffffffff;
  for (const char c : bytes) {
    crc ^= static_cast<std::uint32_t>(static_cast<std::uint8_t>(c)) << 24;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x80000000) ? (crc << 1) ^ 0x04c11db7 : crc << 1;
    }
  }
  return crc;
}

std::string pmt_without_stream(std::string_view pmt_packet, std::uint16_t pid) {
  std::string packet(pmt_packet.substr(0, ts_packet_size));
  const bool unit_start = (byte_at(packet, 1) & 0x40) != 0;
  const std::size_t payload = ts_payload_offset(packet);
  if (!unit_start || payload == 0) {
    return packet;
  }
  const std::size_t section = payload + 1 + byte_at(packet, payload);  // after pointer_field
  if (section + 12 > packet.size() || byte_at(packet, section) != 0x02) {
    return packet;
  }
  const std::size_t length = static_cast<std::size_t>(((byte_at(packet, section + 1) & 0x0f) << 8) |
                                                      byte_at(packet, section + 2));
  const std::size_t end = section + 3 + length;  // CRC included
  const std::size_t info_length = static_cast<std::size_t>(
      ((byte_at(packet, section + 10) & 0x0f) << 8) | byte_at(packet, section + 11));
  const std::size_t streams = section + 12 + info_length;
  if (end > packet.size() || length < 13 || streams > end - 4) {
    return packet;  // a section longer than this packet: leave it be
  }
  std::string kept = packet.substr(section, streams - section);
  bool dropped = false;
  for (std::size_t i = streams; i + 5 <= end - 4;) {
    const auto es_pid =
        static_cast<std::uint16_t>(((byte_at(packet, i + 1) & 0x1f) << 8) | byte_at(packet, i + 2));
    const std::size_t entry = 5 + static_cast<std::size_t>(((byte_at(packet, i + 3) & 0x0f) << 8) |
                                                           byte_at(packet, i + 4));
    if (i + entry > end - 4) {
      return packet;
    }
    if (es_pid == pid) {
      dropped = true;
    } else {
      kept.append(packet, i, entry);
    }
    i += entry;
  }
  if (!dropped) {
    return packet;
  }
  const std::size_t new_length = kept.size() - 3 + 4;
  kept[1] = static_cast<char>((byte_at(kept, 1) & 0xf0) | ((new_length >> 8) & 0x0f));
  kept[2] = static_cast<char>(new_length & 0xff);
  const std::uint32_t crc = mpeg_crc32(kept);
  for (int shift = 24; shift >= 0; shift -= 8) {
    kept.push_back(static_cast<char>((crc >> shift) & 0xff));
  }
  std::string out = packet.substr(0, section) + kept;
  out.resize(ts_packet_size, static_cast<char>(0xff));  // stuffing after the section
  return out;
}

std::string_view ts_rendition_splitter::pmt_for_renditions(std::string_view packet) {
  if (packet != pmt_in_) {
    pmt_in_.assign(packet);
    pmt_out_ = pmt_without_stream(packet, low_video_pid);
  }
  return pmt_out_;
}

rendition_streams ts_rendition_splitter::split(std::string_view ts) {
  rendition_streams out;
  out.full.reserve(ts.size());
  out.low.reserve(ts.size() / 2);
  bool low_here = false;
  for (std::size_t at = 0; at + ts_packet_size <= ts.size(); at += ts_packet_size) {
    const std::string_view packet = ts.substr(at, ts_packet_size);
    const auto pid = ts_packet_pid(packet);
    if (!pid) {
      continue;
    }
    tables_.observe(packet);
    if (tables_.is_table(*pid) && *pid != 0) {
      const std::string_view pmt = pmt_for_renditions(packet);
      out.full.append(pmt);
      out.low.append(pmt);
      out.audio.append(pmt);
    } else if (*pid == full_video_pid) {
      out.full.append(packet);
      if (has_pcr(packet)) {
        out.low.append(clock_only_packet(packet, full_video_pid, low_video_cc_));
        out.audio.append(clock_only_packet(packet, full_video_pid, 0));
      }
    } else if (*pid == low_video_pid) {
      std::string moved(packet);
      set_packet_pid(moved, full_video_pid);
      out.low.append(moved);
      low_video_cc_ = byte_at(packet, 3) & 0x0f;
      low_here = true;
    } else {
      out.full.append(packet);
      out.low.append(packet);
      out.audio.append(packet);
    }
  }
  saw_low_ = saw_low_ || low_here;
  if (!saw_low_) {
    out.low.clear();  // a stream without a low video
  }
  return out;
}

}  // namespace treecast::media
