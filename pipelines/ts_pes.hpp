// What a muxer write says about its own timing: the first PES it starts (PID,
// stream id, PTS/DTS) and which PID carries the program clock; and the
// capture time of a write's content, which mpegtsmux does not stamp on it.
//
// mpegtsmux stamps every buffer it writes with the last timestamp of its PCR
// stream (the full video), whatever the buffer carries: sound written
// between two frames is stamped with the earlier frame's time. The PES
// header of each write holds its own timestamp; pes_wall_clock maps that to
// the wall clock, learning the mapping from the writes of the PCR stream,
// whose stamp is their own time.
//
// Pure logic, no GStreamer. Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace treecast::media {

struct pes_start {
  std::uint16_t pid = 0;
  std::uint8_t stream_id = 0;
  std::uint64_t pts_90k = 0;  // 33 bits
  std::uint64_t dts_90k = 0;  // the PTS when the header has no DTS

  bool is_video() const { return (stream_id & 0xf0) == 0xe0; }
};

// The PES with a PTS that the 188-byte `packet` starts, if any.
std::optional<pes_start> pes_start_of(std::string_view packet);

// The first PES with a PTS that starts among the 188-byte packets of `ts`.
std::optional<pes_start> first_pes_start(std::string_view ts);

// The PID of the first packet of `ts` that carries a PCR.
std::optional<std::uint16_t> first_pcr_pid(std::string_view ts);

class pes_wall_clock {
 public:
  // The wall time (us) at which `write`'s content was captured, given what
  // its stamp says (`stamped_us`) and the PES it starts (`pes`, its
  // first_pes_start): that PES's PTS on the wall clock once a write of the
  // PCR stream showed how the two relate; the stamp itself before that, and
  // for a write that starts no PES.
  std::uint64_t capture_us(std::string_view write, const std::optional<pes_start>& pes,
                           std::uint64_t stamped_us);

 private:
  std::optional<std::uint16_t> pcr_pid_;
  // A DTS of the PCR stream and the wall time its stamp gave it.
  std::optional<std::uint64_t> reference_dts_90k_;
  std::uint64_t reference_wall_us_ = 0;
};

}  // namespace treecast::media
