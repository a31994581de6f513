#include "ts_clock.hpp"

#include "ts_program_tables.hpp"

namespace treecast::media {

namespace {

std::uint8_t byte_at(std::string_view s, std::size_t i) {
  return static_cast<std::uint8_t>(s[i]);
}

}  // namespace

bool has_pcr(std::string_view packet) {
  if (packet.size() < ts_packet_size) {
    return false;
  }
  const std::uint8_t adaptation = (byte_at(packet, 3) >> 4) & 0x3;
  return (adaptation == 2 || adaptation == 3) && byte_at(packet, 4) >= 7 &&
         (byte_at(packet, 5) & 0x10);
}

std::string clock_only_packet(std::string_view packet, std::uint16_t pid, std::uint8_t cc) {
  std::string out(ts_packet_size, static_cast<char>(0xff));
  out[0] = 0x47;
  out[1] = 0;
  out[3] = static_cast<char>(0x20 | (cc & 0x0f));  // adaptation field only
  out[4] = static_cast<char>(ts_packet_size - 5);
  out[5] = 0x10;  // PCR_flag
  out.replace(6, 6, packet.substr(6, 6));
  set_packet_pid(out, pid);
  return out;
}

void set_packet_pid(std::string& packet, std::uint16_t pid) {
  packet[1] = static_cast<char>((byte_at(packet, 1) & 0xe0) | ((pid >> 8) & 0x1f));
  packet[2] = static_cast<char>(pid & 0xff);
}

}  // namespace treecast::media
