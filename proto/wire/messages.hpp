// Plain C++ forms of the messages in proto/treecast.proto. The engine sees
// only these; protobuf stays inside the wire library.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "wire/bytes.hpp"
#include "wire/limits.hpp"

namespace treecast::wire {

using seq_t = std::uint64_t;
using node_id_t = std::array<std::uint8_t, node_id_bytes>;

enum class peer_role : std::uint8_t { unspecified = 0, broadcaster = 1, relay = 2, viewer = 3 };

// "broadcaster", "relay", "viewer" or "unknown" (logs, /status, /api/tree).
inline const char* role_name(peer_role role) {
  switch (role) {
    case peer_role::broadcaster:
      return "broadcaster";
    case peer_role::relay:
      return "relay";
    case peer_role::viewer:
      return "viewer";
    default:
      return "unknown";
  }
}

// The stream's renditions (Rendition in treecast.proto), and sets of them as
// bits (1 << rendition).
enum class rendition : std::uint8_t { full = 0, low = 1, audio = 2 };
inline constexpr std::uint32_t rendition_count = 3;
using rendition_set = std::uint32_t;
inline constexpr rendition_set rendition_bit(rendition r) {
  return 1u << static_cast<std::uint32_t>(r);
}
inline constexpr rendition_set all_renditions = (1u << rendition_count) - 1;
// "full", "low" or "audio" (logs, status).
const char* rendition_name(rendition r);

struct endpoint {
  std::string host;
  std::uint16_t port = 0;
  bool operator==(const endpoint&) const = default;
  auto operator<=>(const endpoint&) const = default;
};

// A Vivaldi network coordinate (see Coordinate in treecast.proto), in units
// of 0.1 ms of round trip; the codec refuses values beyond the limits.
struct coordinate {
  std::int32_t x = 0;
  std::int32_t y = 0;
  std::uint32_t height = 0;
  std::uint32_t error_permille = 0;
  bool operator==(const coordinate&) const = default;
};

struct hello {
  std::uint32_t version = protocol_version;
  node_id_t node_id{};
  std::uint16_t listen_port = 0;
  peer_role role = peer_role::unspecified;
  std::string site;
  std::string token;               // invite token, opaque here
  std::uint32_t max_children = 0;  // children it accepts at most
};

struct join_request {
  std::optional<seq_t> resume_from;
  bool can_adopt = false;           // a full parent may move a weaker child below the joiner
  std::optional<coordinate> where;  // where the joiner sits
  std::uint32_t rtt_us = 0;         // its round trip to the parent as measured (0 = not)
  rendition_set renditions = all_renditions;  // what it wants sent
  std::uint32_t downlink_kbps = 0;            // when narrow (see treecast.proto)
};

struct join_accept {
  std::uint32_t depth = 0;
  std::vector<node_id_t> path;
  std::vector<endpoint> ancestors;  // broadcaster .. the parent's parent
  std::vector<endpoint> backups;
  std::uint32_t root_delay_us = 0;    // the parent's delay from the broadcaster
  std::optional<node_id_t> adoptee;   // the child that gives way to the joiner: keep it a slot
  std::uint32_t site_entry_hops = 0;  // hops up to where the stream enters the parent's site
};

struct join_redirect {
  std::string reason;
  std::vector<endpoint> candidates;
};

// Chunk flag bits (ChunkBody.flags).
inline constexpr std::uint32_t chunk_flag_keyframe = 1u << 0;
inline constexpr std::uint32_t chunk_flag_encrypted = 1u << 1;

// One rendition of a chunk: its payload and the signed body it came in.
struct chunk_part {
  rendition kind = rendition::full;
  std::uint32_t flags = 0;
  std::string payload;
  std::string nonce;  // GCM nonce when the payload is encrypted
  // The serialized ChunkBody exactly as signed, and the broadcaster's Ed25519
  // signature over it.
  std::string body;
  std::string signature;

  bool is_keyframe() const { return (flags & chunk_flag_keyframe) != 0; }
  bool is_encrypted() const { return (flags & chunk_flag_encrypted) != 0; }
};

// A chunk is its first rendition part plus the same seq in other renditions
// (`more`); the parts share stream id, seq and capture time.
struct chunk : chunk_part {
  std::string stream_id;
  seq_t seq = 0;
  std::uint64_t capture_time_us = 0;
  // Keyframe chunks: each rendition's measured kbit/s, by rendition (0 or
  // absent = the broadcast has none).
  std::vector<std::uint32_t> rendition_kbps;
  std::vector<chunk_part> more;
  // The complete frame (length prefix included) exactly as the broadcaster
  // encoded it. Relays forward these bytes unchanged, or a frame of fewer of
  // its parts (core/rendition_subscriptions.hpp).
  shared_bytes frame;

  // The renditions the chunk carries.
  rendition_set renditions() const {
    rendition_set set = rendition_bit(kind);
    for (const auto& p : more) {
      set |= rendition_bit(p.kind);
    }
    return set;
  }
  // The part of rendition `r`; null when the chunk does not carry it.
  const chunk_part* part(rendition r) const {
    if (kind == r) {
      return this;
    }
    for (const auto& p : more) {
      if (p.kind == r) {
        return &p;
      }
    }
    return nullptr;
  }
};

struct heartbeat {
  bool upstream_late = false;  // from a parent: the stream stopped above it too
};

struct leave {
  std::string reason;
  std::vector<endpoint> handoff;  // from a leaving parent: where to go
};

struct ping {
  std::uint64_t nonce = 0;
  std::uint32_t pad_bytes = 0;  // padding asked of the Pong (max_ping_padding)
  std::string padding{};        // carried, to time our uplink (max_ping_padding)
};

struct pong {
  std::uint64_t nonce = 0;
  bool attached = false;
  std::uint32_t depth = 0;
  std::uint32_t free_slots = 0;
  std::vector<node_id_t> path;
  std::string root_signature;       // the broadcaster's proof that it is the root (depth 0)
  std::uint32_t root_delay_us = 0;  // its delay from the broadcaster (half round trips, summed)
  // When full: a joiner accepting this many children is still taken.
  std::uint32_t room_for_max_children = 0;
  std::optional<coordinate> where;    // where the answering peer sits
  std::uint32_t site_entry_hops = 0;  // hops up to where the stream enters its site
  // When full: the prober would still be taken with a round trip below this
  // (in the place of a farther child as strong); 0 = no.
  std::uint32_t room_within_rtt_us = 0;
  std::string padding;                        // as the Ping asked
  std::vector<std::uint32_t> rendition_kbps;  // as its latest keyframe chunk said
};

struct path_update {
  std::uint32_t depth = 0;
  std::vector<node_id_t> path;
  std::vector<endpoint> ancestors;
  std::vector<endpoint> backups;
  std::uint32_t root_delay_us = 0;
  std::uint32_t site_entry_hops = 0;
};

struct peer_summary {
  node_id_t node_id{};
  endpoint address;
  std::uint32_t depth = 0;
  std::uint32_t free_slots = 0;
  std::string site;
  peer_role role = peer_role::unspecified;
  std::optional<coordinate> where;    // where it sits
  std::uint32_t root_delay_us = 0;    // its delay from the broadcaster
  std::uint32_t site_entry_hops = 0;  // hops up to where the stream enters its site
  std::uint32_t site_entry_tag = 0;   // that entry's id, first 4 bytes; 0 = no site known
  // Full, it would take a joiner accepting at least this many children in a
  // weaker child's place; 0 = it would not.
  std::uint32_t room_for_max_children = 0;
};

// One peer's health, carried up the tree in reports (the dashboard's rows).
struct peer_health {
  node_id_t node_id{};
  std::optional<node_id_t> parent_id;
  endpoint address;
  std::uint32_t depth = 0;
  std::uint32_t children = 0;
  std::uint32_t max_children = 0;
  std::uint32_t rtt_ms = 0;
  std::int32_t buffer_ms = -1;
  std::uint64_t chunks_missed = 0;
  std::int32_t latency_ms = -1;
  std::string site;
  peer_role role = peer_role::unspecified;
  std::uint32_t stalls = 0;
  std::uint64_t stall_ms = 0;
  std::uint32_t browsers = 0;        // watching through it (a browser gateway)
  std::optional<rendition> playing;  // its player's rendition; none for a relay
};

struct report {
  std::uint32_t subtree_size = 1;
  std::uint32_t subtree_depth = 0;
  std::vector<peer_summary> candidates;
  std::uint32_t free_slots = 0;
  std::uint32_t viewers = 0;
  std::uint32_t relays = 0;
  std::vector<peer_health> health;
  std::uint64_t chunks_missed = 0;
  std::uint64_t stall_ms = 0;       // summed over the subtree
  std::uint32_t peers_stalled = 0;  // viewers of the subtree that ever stalled
  std::uint32_t browsers = 0;       // watching through gateways of the subtree
  std::optional<coordinate> where;  // where the child sits
  std::uint32_t root_delay_us = 0;  // the child's delay from the broadcaster
  // false: `health` is the whole list; true: the rows changed since the last
  // report on this link, and `health_gone` the ids of rows that left.
  bool health_delta = false;
  std::vector<node_id_t> health_gone;
  std::uint32_t site_entry_hops = 0;        // hops up to where the stream enters the child's site
  std::uint32_t site_entry_tag = 0;         // as in peer_summary
  std::uint32_t room_for_max_children = 0;  // the child's own, as in peer_summary
};

struct candidates_request {
  std::string site;
  bool member = false;              // has been in the tree (holds chunks): expiry does not apply
  std::optional<coordinate> where;  // where the asker sits: the nearest first
  bool gathering = false;           // site gathering: its site's first-ranked entry first
  std::uint32_t max_peers = 0;      // at most this many in the answer (0 = no bound asked)
};

struct candidates {
  std::vector<peer_summary> peers;
};

// Hold me as a standby child (see treecast.proto).
struct standby_request {
  std::vector<node_id_t> path;                // broadcaster .. the asker
  rendition_set renditions = all_renditions;  // what gap fills carry
  std::uint32_t downlink_kbps = 0;            // as in join_request
  std::uint32_t have_interval_ms = 0;         // Haves at most this often; 0: each chunk
};

// From the next chunk on, send me these renditions (see treecast.proto).
struct subscribe {
  rendition_set renditions = all_renditions;
};

struct standby_offer {
  std::uint32_t depth = 0;
  std::vector<node_id_t> path;
  std::uint32_t free_slots = 0;
  bool operator==(const standby_offer&) const = default;
};

struct have {
  seq_t seq = 0;
  std::uint32_t free_slots = 0;
};

// Send me these chunks on the standby link (see treecast.proto).
struct fetch {
  seq_t from_seq = 0;
  std::uint32_t count = 0;
};

// Parent -> child: join one of these; the parent feeds you until you have.
struct move {
  std::vector<endpoint> targets;
};

// Parent -> child: whether the parent could connect back to the child at
// `seen_as` (see treecast.proto).
struct reachability {
  bool reachable = false;
  endpoint seen_as;
};

using message =
    std::variant<hello, join_request, join_accept, join_redirect, chunk, heartbeat, leave, ping,
                 pong, path_update, report, candidates_request, candidates, standby_request,
                 standby_offer, have, fetch, move, reachability, subscribe>;

// Short lower-case name of the message kind, for logs.
const char* message_name(const message& m);

}  // namespace treecast::wire
