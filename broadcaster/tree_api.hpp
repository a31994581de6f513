// GET /api/tree on the broadcaster: the whole tree as the children's
// aggregated reports describe it, for the dashboard page and for scripts.
//
//   {"t": unix ms, "peers": N, "viewers": V, "relays": R, "max_depth": D,
//    "stream_kbps": S, "upload_kbps": U, "upload_saved": 1 - U / (N * S),
//    "chunks_missed": M, "stall_ms": time viewers' pictures stood still,
//    "peers_stalled": viewers that ever stalled, "listed": L,
//    "nodes": [{"id", "parent", "address", "role", "site", "depth", "children",
//               "max_children", "rtt_ms", "latency_ms", "buffer_ms",
//               "chunks_missed", "stalls", "stall_ms",
//               "health": "ok" | "warn" | "bad"}, ...],
//    "latency_histogram": {"bounds_ms": [...], "counts": [...]}}
//
// `nodes` lists the broadcaster and up to wire::max_health_entries peers,
// nearest first; the counts always cover the whole tree.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

namespace treecast::core {
class node;
}

namespace treecast::broadcaster {

struct upload_figures {
  std::uint64_t stream_kbps = 0;  // one copy of the stream as sent, over the last second
  std::uint64_t upload_kbps = 0;  // the broadcaster's own upload over the last second
};

nlohmann::json tree_json(const core::node& root, const upload_figures& upload);

}  // namespace treecast::broadcaster
