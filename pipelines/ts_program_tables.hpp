// What an MPEG-TS stream's tables say: the PMT's PID (from the PAT) and the
// video stream's PID (from the PMT), plus the latest PAT and PMT packets
// themselves, so that any cut of the stream can be made decodable on its own
// by putting them first.
//
// Pure logic, no GStreamer. Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace treecast::media {

inline constexpr std::size_t ts_packet_size = 188;

// PID of one 188-byte packet; nullopt when it does not start with the sync byte.
std::optional<std::uint16_t> ts_packet_pid(std::string_view packet);

// Offset of one packet's payload (past any adaptation field); 0 when it has none.
std::size_t ts_payload_offset(std::string_view packet);

class ts_program_tables {
 public:
  // Reads `packet` if it carries the PAT or the PMT.
  void observe(std::string_view packet);

  std::optional<std::uint16_t> video_pid() const { return video_pid_; }
  bool is_table(std::uint16_t pid) const { return pid == 0 || (pmt_pid_ && pid == *pmt_pid_); }

  // The latest PAT and PMT packets, in that order ("" before both were seen).
  std::string tables() const;

 private:
  void read_pat(std::string_view section);
  void read_pmt(std::string_view section);

  std::optional<std::uint16_t> pmt_pid_;
  std::optional<std::uint16_t> video_pid_;
  std::string pat_packet_;
  std::string pmt_packet_;
};

}  // namespace treecast::media
