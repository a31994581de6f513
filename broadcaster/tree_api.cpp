#include "tree_api.hpp"

#include <chrono>

#include "core/node.hpp"
#include "runtime/arrival_latency.hpp"
#include "runtime/ed25519.hpp"
#include "runtime/program_loop.hpp"

namespace treecast::broadcaster {
namespace {

// ok: receiving in time; warn: late or a thin buffer; bad: receiving nothing
// (no latency figure) or very late. Thresholds are for a live meeting.
const char* health_of(const wire::peer_health& h) {
  if (h.role == wire::peer_role::broadcaster) {
    return "ok";
  }
  if (h.latency_ms < 0 || h.latency_ms > 3000) {
    return "bad";
  }
  if (h.latency_ms > 1000 || (h.buffer_ms >= 0 && h.buffer_ms < 50)) {
    return "warn";
  }
  return "ok";
}

}  // namespace

nlohmann::json tree_json(const core::node& root, const upload_figures& upload) {
  nlohmann::json out;
  const std::uint32_t peers = root.subtree_size() - 1;
  out["t"] = runtime::wall_time_ms();
  out["peers"] = peers;
  out["viewers"] = root.subtree_viewers();
  out["relays"] = root.subtree_relays();
  out["max_depth"] = root.subtree_depth();
  out["stream_kbps"] = upload.stream_kbps;
  out["upload_kbps"] = upload.upload_kbps;
  // What the tree saves the broadcaster against sending every peer a copy.
  out["upload_saved"] =
      peers == 0 || upload.stream_kbps == 0
          ? 0.0
          : 1.0 - static_cast<double>(upload.upload_kbps) /
                      (static_cast<double>(peers) * static_cast<double>(upload.stream_kbps));
  out["chunks_missed"] = root.subtree_chunks_missed();
  out["stall_ms"] = root.subtree_stall_ms();
  out["peers_stalled"] = root.subtree_peers_stalled();
  out["browsers"] = root.subtree_browsers();

  const auto rows = root.subtree_health(wire::max_health_entries + 1);
  std::array<std::uint64_t, runtime::arrival_latency::bucket_bounds_ms.size() + 1> counts{};
  nlohmann::json nodes = nlohmann::json::array();
  nlohmann::json browsers_by_site = nlohmann::json::object();
  nlohmann::json playing = {{"full", 0}, {"low", 0}, {"audio", 0}};
  for (const auto& h : rows) {
    nlohmann::json n;
    n["id"] = runtime::node_id_hex(h.node_id);
    n["parent"] = h.parent_id ? runtime::node_id_hex(*h.parent_id) : "";
    n["address"] =
        h.address.host.empty() ? "" : h.address.host + ":" + std::to_string(h.address.port);
    n["role"] = wire::role_name(h.role);
    n["site"] = h.site;
    n["depth"] = h.depth;
    n["children"] = h.children;
    n["max_children"] = h.max_children;
    n["rtt_ms"] = h.rtt_ms;
    n["latency_ms"] = h.latency_ms;
    n["buffer_ms"] = h.buffer_ms;
    n["chunks_missed"] = h.chunks_missed;
    n["stalls"] = h.stalls;
    n["stall_ms"] = h.stall_ms;
    n["browsers"] = h.browsers;
    const char* plays = h.playing ? wire::rendition_name(*h.playing) : "";
    n["rendition"] = plays;
    if (h.playing) {
      playing[plays] = playing[plays].get<unsigned>() + 1;
    }
    n["health"] = health_of(h);
    if (h.browsers > 0) {
      auto& site = browsers_by_site[h.site.empty() ? "(no site)" : h.site];
      if (site.is_null()) {
        site = {{"gateways", 0}, {"browsers", 0}};
      }
      site["gateways"] = site["gateways"].get<unsigned>() + 1;
      site["browsers"] = site["browsers"].get<unsigned>() + h.browsers;
    }
    nodes.push_back(std::move(n));
    if (h.role != wire::peer_role::broadcaster && h.latency_ms >= 0) {
      ++counts[runtime::arrival_latency::bucket_of(h.latency_ms)];
    }
  }
  out["listed"] = nodes.size();
  // Over the listed rows: gateways and their browsers per site.
  out["browsers_by_site"] = std::move(browsers_by_site);
  // Over the listed rows: how many players play each rendition.
  out["playing"] = std::move(playing);
  out["nodes"] = std::move(nodes);
  nlohmann::json bounds = nlohmann::json::array();
  for (const auto b : runtime::arrival_latency::bucket_bounds_ms) {
    bounds.push_back(b);
  }
  out["latency_histogram"] = {{"bounds_ms", bounds}, {"counts", counts}};
  return out;
}

}  // namespace treecast::broadcaster
