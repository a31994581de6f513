// Fixed protocol limits shared by every peer.
#pragma once

#include <cstddef>
#include <cstdint>

namespace treecast::wire {

// Protocol version carried in Hello.
inline constexpr std::uint32_t protocol_version = 1;

// Default bound on one frame (length prefix excluded). A 200 ms chunk of an
// 8 Mbit/s stream is ~200 KB, a keyframe chunk a few times that.
inline constexpr std::size_t default_max_frame_bytes = 4 * 1024 * 1024;

// The first frame on a link is the peer's Hello (id, port, role, site,
// token): a few hundred bytes. Anything larger before it is admitted is
// refused from the header.
inline constexpr std::size_t max_hello_frame_bytes = 4 * 1024;

// Size of the big-endian length prefix in front of every frame.
inline constexpr std::size_t frame_header_bytes = 4;

// Node ids are exactly this many bytes.
inline constexpr std::size_t node_id_bytes = 16;

// Upper bounds on repeated fields, so that a hostile message cannot make a
// peer allocate without limit.
inline constexpr std::size_t max_path_length = 64;
inline constexpr std::size_t max_redirect_candidates = 32;
// In Report and Candidates: 64, the rows a seed reports to the broadcaster
// (node_config's seed_candidate_sample), ~70 bytes each.
inline constexpr std::size_t max_peer_summaries = 64;
// Health entries in one Report: the broadcaster's dashboard lists at most
// this many peers (counts cover the whole tree). ~70 bytes each.
inline constexpr std::size_t max_health_entries = 2000;
inline constexpr std::size_t max_text_bytes = 256;  // site labels, reasons, host names
inline constexpr std::size_t max_stream_id_bytes = 64;
inline constexpr std::size_t max_token_bytes = 256;
inline constexpr std::size_t max_signature_bytes = 128;  // Ed25519: 64
// A network coordinate's components (0.1 ms units): at most 10 s of round
// trip from the origin, and a relative error of at most 1.5.
inline constexpr std::int32_t max_coordinate_component = 100000;
inline constexpr std::uint32_t max_coordinate_error_permille = 1500;
// Padding one Pong carries at most (Ping.pad_bytes): within TCP's initial
// window of ten segments, so that it crosses in one flight.
inline constexpr std::uint32_t max_ping_padding = 12 * 1024;
// Chunks one Fetch may ask for (a gap fill covers a chunk or two).
inline constexpr std::uint32_t max_fetch_chunks = 8;

}  // namespace treecast::wire
