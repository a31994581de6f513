#include "ts_pes.hpp"

#include "ts_clock.hpp"
#include "ts_program_tables.hpp"

namespace treecast::media {
namespace {

std::uint8_t byte_at(std::string_view s, std::size_t i) {
  return static_cast<std::uint8_t>(s[i]);
}

// A 33-bit timestamp in the five bytes at `p` (ISO 13818-1, 2.4.3.7).
std::uint64_t timestamp_at(std::string_view s, std::size_t p) {
  return (static_cast<std::uint64_t>((byte_at(s, p) >> 1) & 0x07) << 30) |
         (static_cast<std::uint64_t>(byte_at(s, p + 1)) << 22) |
         (static_cast<std::uint64_t>(byte_at(s, p + 2) >> 1) << 15) |
         (static_cast<std::uint64_t>(byte_at(s, p + 3)) << 7) |
         (static_cast<std::uint64_t>(byte_at(s, p + 4)) >> 1);
}

// Signed difference a - b of two 33-bit timestamps, across a wrap.
std::int64_t ticks_between(std::uint64_t a, std::uint64_t b) {
  constexpr std::uint64_t wrap = std::uint64_t{1} << 33;
  const std::uint64_t d = (a - b) & (wrap - 1);
  return d >= wrap / 2 ? static_cast<std::int64_t>(d) - static_cast<std::int64_t>(wrap)
                       : static_cast<std::int64_t>(d);
}

}  // namespace

std::optional<pes_start> pes_start_of(std::string_view packet) {
  const auto pid = ts_packet_pid(packet);
  const std::size_t at = pid && (byte_at(packet, 1) & 0x40) ? ts_payload_offset(packet) : 0;
  if (at == 0 || at + 14 > packet.size() || byte_at(packet, at) != 0 ||
      byte_at(packet, at + 1) != 0 || byte_at(packet, at + 2) != 1) {
    return std::nullopt;
  }
  const std::uint8_t flags = byte_at(packet, at + 7) >> 6;
  if (!(flags & 0x2)) {
    return std::nullopt;
  }
  pes_start pes{.pid = *pid, .stream_id = byte_at(packet, at + 3)};
  pes.pts_90k = timestamp_at(packet, at + 9);
  pes.dts_90k =
      (flags == 0x3 && at + 19 <= packet.size()) ? timestamp_at(packet, at + 14) : pes.pts_90k;
  return pes;
}

std::optional<pes_start> first_pes_start(std::string_view ts) {
  for (std::size_t at = 0; at + ts_packet_size <= ts.size(); at += ts_packet_size) {
    if (auto pes = pes_start_of(ts.substr(at, ts_packet_size))) {
      return pes;
    }
  }
  return std::nullopt;
}

std::optional<std::uint16_t> first_pcr_pid(std::string_view ts) {
  for (std::size_t at = 0; at + ts_packet_size <= ts.size(); at += ts_packet_size) {
    const std::string_view packet = ts.substr(at, ts_packet_size);
    if (has_pcr(packet)) {
      return ts_packet_pid(packet);
    }
  }
  return std::nullopt;
}

std::uint64_t pes_wall_clock::capture_us(std::string_view write,
                                         const std::optional<pes_start>& pes,
                                         std::uint64_t stamped_us) {
  if (const auto pcr = first_pcr_pid(write)) {
    pcr_pid_ = pcr;
  }
  if (!pes) {
    return stamped_us;
  }
  if (pcr_pid_ && pes->pid == *pcr_pid_) {
    // The muxer stamped this write with this PES's DTS.
    reference_dts_90k_ = pes->dts_90k;
    reference_wall_us_ = stamped_us;
  }
  if (!reference_dts_90k_) {
    return stamped_us;
  }
  const std::int64_t us = ticks_between(pes->pts_90k, *reference_dts_90k_) * 1000 / 90;
  return static_cast<std::uint64_t>(static_cast<std::int64_t>(reference_wall_us_) + us);
}

}  // namespace treecast::media
