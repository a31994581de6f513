// Synthetic MPEG-TS packets for the pipeline unit tests: a PAT naming one
// program, its PMT (audio on 0x42, H.264 on 0x41), and payload packets.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ts_program_tables.hpp"

namespace treecast::media::test_ts {

constexpr std::uint16_t pmt_pid = 0x1000;
constexpr std::uint16_t video_pid = 0x41;
constexpr std::uint16_t audio_pid = 0x42;

inline std::string packet(std::uint16_t pid, bool unit_start, std::string payload) {
  std::string p(188, '\xff');
  p[0] = 0x47;
  p[1] = static_cast<char>((unit_start ? 0x40 : 0) | (pid >> 8));
  p[2] = static_cast<char>(pid & 0xff);
  p[3] = 0x10;  // payload only
  p.replace(4, payload.size(), payload);
  return p;
}

// A PSI section after a zero pointer field; the CRC is not checked.
inline std::string section(std::uint8_t table_id, const std::string& body) {
  const std::size_t length = 5 + body.size() + 4;
  std::string s;
  s += '\0';  // pointer_field
  s += static_cast<char>(table_id);
  s += static_cast<char>(0xb0 | (length >> 8));
  s += static_cast<char>(length & 0xff);
  s += std::string("\x00\x01\xc1\x00\x00", 5);
  s += body;
  s += std::string(4, '\0');
  return s;
}

inline std::string pat() {
  return packet(0, true,
                section(0x00, std::string("\x00\x01", 2) +
                                  std::string{static_cast<char>(0xe0 | (pmt_pid >> 8)),
                                              static_cast<char>(pmt_pid & 0xff)}));
}

inline std::string pmt() {
  std::string body;
  body += std::string("\xe0\x41", 2);              // PCR PID
  body += std::string("\xf0\x00", 2);              // no program info
  body += std::string("\x06\xe0\x42\xf0\x00", 5);  // audio (private data) first
  body += std::string("\x1b\xe0\x41\xf0\x00", 5);  // then H.264
  return packet(pmt_pid, true, section(0x02, body));
}

// A PMT with the low video too (H.264 on 0x43), its CRC right.
inline std::string pmt_with_low_video(std::uint32_t (*crc)(std::string_view)) {
  std::string body;
  body += std::string("\xe0\x41", 2);
  body += std::string("\xf0\x00", 2);
  body += std::string("\x06\xe0\x42\xf0\x03\x05\x01\x00", 8);  // audio, one descriptor
  body += std::string("\x1b\xe0\x41\xf0\x00", 5);
  body += std::string("\x1b\xe0\x43\xf0\x00", 5);
  std::string s = section(0x02, body);
  const std::uint32_t c = crc(std::string_view(s).substr(1, s.size() - 5));
  for (int i = 0; i < 4; ++i) {
    s[s.size() - 4 + i] = static_cast<char>((c >> (24 - 8 * i)) & 0xff);
  }
  return packet(pmt_pid, true, s);
}

inline std::string video() {
  return packet(video_pid, false, "video");
}
inline std::string audio() {
  return packet(audio_pid, false, "audio");
}

// A video packet whose adaptation field carries the program clock (PCR
// 01 02 03 04 05 06), then payload; continuity counter `cc`.
inline std::string video_with_pcr(std::uint8_t cc = 5) {
  std::string p = packet(video_pid, false, "");
  p[3] = static_cast<char>(0x30 | cc);  // adaptation field and payload
  p[4] = 7;                             // flags + PCR
  p[5] = 0x10;                          // PCR_flag
  p.replace(6, 6, "\x01\x02\x03\x04\x05\x06");
  p.replace(12, 5, "video");
  return p;
}

// Whether `p` is a packet of `pid` with that clock alone (no payload).
inline bool is_clock_only(std::string_view p, std::uint16_t pid) {
  return p.size() == 188 && ts_packet_pid(p) == pid && (p[3] & 0x30) == 0x20 &&
         static_cast<std::uint8_t>(p[4]) == 183 && p[5] == 0x10 &&
         p.substr(6, 6) == "\x01\x02\x03\x04\x05\x06";
}

inline int count_pid(const std::string& ts, std::uint16_t pid) {
  int n = 0;
  for (std::size_t at = 0; at + 188 <= ts.size(); at += 188) {
    n += ts_packet_pid(std::string_view(ts).substr(at, 188)) == pid;
  }
  return n;
}

}  // namespace treecast::media::test_ts
