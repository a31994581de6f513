#include "ts_program_tables.hpp"

#include <algorithm>

namespace treecast::media {
namespace {

constexpr std::uint8_t sync_byte = 0x47;
constexpr std::uint16_t pat_pid = 0;
constexpr std::uint8_t stream_type_h264 = 0x1b;
constexpr std::uint8_t stream_type_h265 = 0x24;

std::uint8_t byte_at(std::string_view s, std::size_t i) {
  return static_cast<std::uint8_t>(s[i]);
}

// The PSI section carried by a packet that starts one: from table_id up to
// the end of the packet; empty when the packet starts none or is malformed.
std::string_view section_of(std::string_view packet) {
  const bool unit_start = (byte_at(packet, 1) & 0x40) != 0;
  if (!unit_start) {
    return {};
  }
  std::size_t offset = ts_payload_offset(packet);
  if (offset == 0) {
    return {};
  }
  offset += 1 + byte_at(packet, offset);  // pointer_field
  if (offset + 8 > packet.size()) {
    return {};
  }
  const std::size_t length = static_cast<std::size_t>(((byte_at(packet, offset + 1) & 0x0f) << 8) |
                                                      byte_at(packet, offset + 2));
  const std::size_t end = std::min(packet.size(), offset + 3 + length);
  return packet.substr(offset, end - offset);
}

}  // namespace

std::optional<std::uint16_t> ts_packet_pid(std::string_view packet) {
  if (packet.size() < ts_packet_size || byte_at(packet, 0) != sync_byte) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(((byte_at(packet, 1) & 0x1f) << 8) | byte_at(packet, 2));
}

std::size_t ts_payload_offset(std::string_view packet) {
  const std::uint8_t adaptation = (byte_at(packet, 3) >> 4) & 0x3;
  if (adaptation == 0 || adaptation == 2) {
    return 0;
  }
  const std::size_t offset = adaptation == 3 ? 5 + std::size_t{byte_at(packet, 4)} : 4;
  return offset < packet.size() ? offset : 0;
}

void ts_program_tables::observe(std::string_view packet) {
  const auto pid = ts_packet_pid(packet);
  if (!pid || !is_table(*pid)) {
    return;
  }
  const std::string_view section = section_of(packet);
  // table_id(1) length(2) id(2) version(1) number(1) last(1) ... CRC(4)
  if (section.size() < 12) {
    return;
  }
  if (*pid == pat_pid && byte_at(section, 0) == 0x00) {
    pat_packet_.assign(packet.substr(0, ts_packet_size));
    read_pat(section.substr(0, section.size() - 4));
  } else if (pmt_pid_ && *pid == *pmt_pid_ && byte_at(section, 0) == 0x02) {
    pmt_packet_.assign(packet.substr(0, ts_packet_size));
    read_pmt(section.substr(0, section.size() - 4));
  }
}

void ts_program_tables::read_pat(std::string_view section) {
  for (std::size_t i = 8; i + 4 <= section.size(); i += 4) {
    const auto program =
        static_cast<std::uint16_t>((byte_at(section, i) << 8) | byte_at(section, i + 1));
    if (program != 0) {  // 0 names the network PID
      pmt_pid_ = static_cast<std::uint16_t>(((byte_at(section, i + 2) & 0x1f) << 8) |
                                            byte_at(section, i + 3));
      return;
    }
  }
}

void ts_program_tables::read_pmt(std::string_view section) {
  const auto info_length =
      static_cast<std::size_t>(((byte_at(section, 10) & 0x0f) << 8) | byte_at(section, 11));
  for (std::size_t i = 12 + info_length; i + 5 <= section.size();) {
    const std::uint8_t type = byte_at(section, i);
    const auto es_pid = static_cast<std::uint16_t>(((byte_at(section, i + 1) & 0x1f) << 8) |
                                                   byte_at(section, i + 2));
    const auto es_info =
        static_cast<std::size_t>(((byte_at(section, i + 3) & 0x0f) << 8) | byte_at(section, i + 4));
    if (type == stream_type_h264 || type == stream_type_h265) {
      video_pid_ = es_pid;
      return;
    }
    i += 5 + es_info;
  }
}

std::string ts_program_tables::tables() const {
  if (pat_packet_.empty() || pmt_packet_.empty()) {
    return {};
  }
  return pat_packet_ + pmt_packet_;
}

}  // namespace treecast::media
