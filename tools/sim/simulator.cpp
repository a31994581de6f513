#include "simulator.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "core/chunk_sealer.hpp"
#include "core/site_inference.hpp"
#include "core/upload_monitor.hpp"
#include "event_queue.hpp"
#include "link_ends.hpp"
#include "playout_model.hpp"
#include "tree_metrics.hpp"
#include "wire/codec.hpp"

namespace treecast::sim {
namespace {

using core::duration;
using core::link_id_t;
using core::time_point;

enum class event_kind : std::uint8_t {
  start,      // a peer starts (joins)
  source,     // the broadcaster's source produces a chunk
  timer,      // a node's deadline
  syn,        // a connection attempt reaches its target's host
  accept,     // the TLS handshake reached the target: it accepts
  connected,  // the initiator learns its connection is up (TLS done)
  refused,    // the initiator learns its connection failed
  frame,      // a frame arrives
  heard,      // the first bytes of a long frame arrive
  closed,     // the remote end closed the link
  kill,       // churn: a peer crashes, freezes or leaves
  written,    // a chunk sent earlier left the sender's send buffer
};

struct event {
  time_point at;
  std::uint64_t order;  // insertion order: ties keep it
  event_kind kind;
  std::uint32_t peer;
  link_id_t link = 0;
  std::uint32_t from = 0;    // accept: the initiator
  std::uint32_t bytes = 0;   // written: the frame's size
  link_id_t from_link = 0;   // accept: the initiator's link id
  wire::shared_bytes frame;  // frame

  bool operator>(const event& other) const {
    return at != other.at ? at > other.at : order > other.order;
  }
};

constexpr std::uint16_t listen_port = 1;

std::string host_of(std::size_t peer) {
  return std::to_string(peer);
}

// The address a peer of a site holds when sites are inferred from addresses:
// 250 to a /24 in its site's 10.<site>.0.0/16 (peers are dealt to sites in
// turn, so the k-th of a site is peer k * sites + site).
std::string site_address(int site, std::size_t peer, int sites) {
  const std::size_t k = peer / static_cast<std::size_t>(sites);
  return "10." + std::to_string(site) + "." + std::to_string(k / 250) + "." +
         std::to_string(k % 250 + 1);
}

std::optional<std::uint32_t> peer_of(const wire::endpoint& e, std::size_t peers) {
  std::uint32_t value = 0;
  if (e.host.empty()) {
    return std::nullopt;
  }
  for (char c : e.host) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (value >= peers) {
    return std::nullopt;
  }
  return value;
}

class world {
 public:
  explicit world(const sim_config& config)
      : config_(config),
        random_(config.seed),
        latency_(config.latency_matrix.empty()
                     ? latency_model::plane(config.peers, config.sites, random_)
                     : latency_model::matrix(config.latency_matrix, config.peers)) {
    const std::size_t n = config.peers;
    nodes_.resize(n);
    links_.resize(n);
    scheduled_.resize(n);
    uplink_free_.assign(n, time_point{});
    upload_bps_.resize(n);
    started_at_.resize(n);
    attached_at_.resize(n);
    capacity_.resize(n);
    dead_.assign(n, false);
    frozen_.assign(n, false);
    unreachable_.assign(n, false);
    relay_.assign(n, false);
    traced_.assign(n, false);
    for (const std::size_t peer : config.trace_peers) {
      if (peer < n) {
        traced_[peer] = true;
      }
    }
    std::mt19937_64 reach_random(config.seed ^ 0x5eed'0f'feedULL);
    std::bernoulli_distribution is_unreachable(config.unreachable);
    playout_.assign(n, playout_model(config.playout_buffer));
    survivor_.assign(n, true);
    first_seq_.resize(n);
    in_time_.assign(n, 0);
    std::bernoulli_distribution is_relay(config.relay_fraction);
    std::size_t viewers_dealt = 0;  // viewer_upload_mbps is dealt in turn
    for (std::size_t i = 0; i < n; ++i) {
      core::node_config c = config.node_defaults;
      // The simulator measures tree building at any join rate; the
      // admission bound is tested on its own (node tests).
      if (!config.join_limit) {
        c.max_joins_per_second = 1e9;
      }
      if (!config.health_rows) {
        c.max_health_entries = 0;  // counts still aggregate
      }
      // The engine's queue holds the small frames the model carries, not
      // the chunk bytes it times: its byte bound would never be the one
      // that drops a peer, so none is (upload_monitor hands a slow child on).
      c.max_pending_bytes = std::numeric_limits<std::size_t>::max();
      c.listen_port = listen_port;
      if (i == 0) {
        c.role = wire::peer_role::broadcaster;
        c.max_children = config.root_children;
        c.rendezvous.reset();
        upload_bps_[i] = config.root_upload_mbps * 1e6;
      } else {
        const bool relay = is_relay(random_);
        relay_[i] = relay;
        c.role = relay ? wire::peer_role::relay : wire::peer_role::viewer;
        unreachable_[i] = !relay && is_unreachable(reach_random);
        c.max_children = relay ? config.relay_children : config.viewer_children;
        c.rendezvous = wire::endpoint{host_of(0), listen_port};
        upload_bps_[i] =
            (relay
                 ? config.relay_upload_mbps
                 : config.viewer_upload_mbps[viewers_dealt++ % config.viewer_upload_mbps.size()]) *
            1e6;
      }
      if (config.capacity_told && c.role == wire::peer_role::viewer) {
        tell_capacity(c, i);
      }
      c.site = site_label(i);
      // A standby child switching may take one slot above max_children.
      capacity_[i] = c.max_children + (c.warm_standby ? c.standby_headroom : 0);
      wire::node_id_t id{};
      for (std::size_t b = 0; b < id.size(); ++b) {
        id[b] = static_cast<std::uint8_t>(random_() & 0xff);
      }
      core::log_sink log;
      if (traced(i)) {
        log = [i](core::log_level level, time_point now, std::string_view text) {
          std::fprintf(stderr, "%10.3f peer %zu %s: %.*s\n",
                       std::chrono::duration<double>(now.time_since_epoch()).count(), i,
                       core::log_level_name(level), static_cast<int>(text.size()), text.data());
        };
      } else if (config.log) {
        log = [this, i](core::log_level level, time_point now, std::string_view text) {
          config_.log(level, now, "peer " + std::to_string(i) + ": " + std::string(text));
        };
      }
      nodes_[i] = std::make_unique<core::node>(c, id, random_(), std::move(log));
    }
  }

  sim_result run() {
    const auto wall_start = std::chrono::steady_clock::now();
    const std::size_t n = config_.peers;
    duration window = config_.join_window;
    if (window <= duration::zero()) {
      window = std::max<duration>(std::chrono::seconds(10),
                                  std::chrono::milliseconds(static_cast<std::int64_t>(n / 2)));
    }
    push({time_point{}, 0, event_kind::start, 0});
    push({time_point{} + config_.chunk_interval, 0, event_kind::source, 0});
    // With relays_early, the relays come first, spread over that time, and
    // the viewers' crowd after it.
    const duration early = config_.relays_early;
    for (std::size_t i = 1; i < n; ++i) {
      // Peer i starts at a uniformly spread time in its window.
      const bool first = early > duration::zero() && relay_[i];
      const duration span = first ? early : window;
      const auto offset =
          duration(span.count() * static_cast<std::int64_t>(i) / static_cast<std::int64_t>(n));
      push({time_point{} + std::chrono::milliseconds(100) + (first ? duration{} : early) + offset,
            0, event_kind::start, static_cast<std::uint32_t>(i)});
    }
    const time_point joined_by = time_point{} + std::chrono::milliseconds(100) + early + window;
    end_ = joined_by + config_.settle;
    if (config_.churn > 0) {
      // Victims: a random fraction of the peers (never the broadcaster),
      // killed at uniform times over the churn period after the joins.
      std::vector<std::uint32_t> victims;
      for (std::uint32_t i = 1; i < n; ++i) {
        victims.push_back(i);
      }
      std::shuffle(victims.begin(), victims.end(), random_);
      victims.resize(static_cast<std::size_t>(config_.churn * static_cast<double>(n - 1)));
      std::uniform_int_distribution<std::int64_t> when(0, config_.churn_duration.count());
      for (std::uint32_t v : victims) {
        push({joined_by + std::chrono::seconds(5) + duration(when(random_)), 0, event_kind::kill,
              v});
      }
      end_ = joined_by + std::chrono::seconds(5) + config_.churn_duration + config_.settle;
    }
    const duration settled_span = std::min<duration>(std::chrono::seconds(10), config_.settle / 2);
    settled_from_ = end_ - settled_span;

    // Up to the settle phase, then through it (its moves counted apart).
    run_until([&](time_point at) { return at < end_ - config_.settle; });
    moves_before_settle_ = moves_so_far();
    run_until([&](time_point at) { return at <= end_; });

    std::ofstream dump;
    if (!config_.dump_tree.empty()) {
      dump.open(config_.dump_tree);
    }
    sim_result r = measure_tree(
        nodes_, capacity_, latency_, dead_, [this](std::size_t i) { return parent_of(i); },
        dump.is_open() ? &dump : nullptr);
    measure_churn(r);
    measure_settle_moves(r);
    r.peers = n;
    r.simulated_s = std::chrono::duration<double>(end_ - time_point{}).count();
    r.events = events_;
    r.connects_to_unreachable = connects_to_unreachable_;
    r.connects_to_unreachable_by_others = connects_to_unreachable_by_others_;
    r.gave_up = gave_up_;
    for (const auto& node : nodes_) {
      r.join_attempts += node->stats().get(core::counter::join_attempts);
      r.join_redirects += node->stats().get(core::counter::join_redirects);
    }
    r.control_bytes_per_peer_per_s =
        static_cast<double>(control_bytes_) / static_cast<double>(n) / r.simulated_s;
    if (settled_span > duration::zero()) {
      const auto per_peer_per_s = [&](std::uint64_t bytes) {
        return static_cast<double>(bytes) / static_cast<double>(n) /
               std::chrono::duration<double>(settled_span).count();
      };
      r.settled_control_bytes_per_peer_per_s = per_peer_per_s(settled_control_bytes_);
      for (const auto& [name, bytes] : settled_control_bytes_by_message_) {
        r.settled_control_bytes_by_message[name] = per_peer_per_s(bytes);
      }
    }
    std::vector<double> join_ms;
    std::ofstream joins;
    if (!config_.dump_joins.empty()) {
      joins.open(config_.dump_joins);
      joins << "peer,start_s,join_ms,upload_mbps,reachable,relay,attempts,redirects\n";
    }
    for (std::size_t i = 1; i < n; ++i) {
      if (started_at_[i] && attached_at_[i]) {
        join_ms.push_back(
            std::chrono::duration<double, std::milli>(*attached_at_[i] - *started_at_[i]).count());
        if (joins.is_open()) {
          joins << i << ','
                << std::chrono::duration<double>(started_at_[i]->time_since_epoch()).count() << ','
                << join_ms.back() << ',' << upload_bps_[i] / 1e6 << ',' << (unreachable_[i] ? 0 : 1)
                << ',' << (relay_[i] ? 1 : 0) << ','
                << nodes_[i]->stats().get(core::counter::join_attempts) << ','
                << nodes_[i]->stats().get(core::counter::join_redirects) << '\n';
        }
      }
    }
    r.join_ms_p50 = percentile(join_ms, 0.50);
    r.join_ms_p99 = percentile(join_ms, 0.99);
    r.join_ms_max = join_ms.empty() ? 0 : *std::max_element(join_ms.begin(), join_ms.end());
    r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    r.peak_rss_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;
    return r;
  }

 private:
  // The site label peer i starts with, as config_.site_labels says.
  std::string site_label(std::size_t i) const {
    using kind = sim_config::site_labels_kind;
    if (config_.sites == 0 || config_.site_labels == kind::none) {
      return "";
    }
    const int site = latency_.site_of(i);
    if (config_.site_labels == kind::given) {
      return site >= 0 ? "site" + std::to_string(site) : "";
    }
    return core::site_inference::label_of_address(site >= 0 ? site_address(site, i, config_.sites)
                                                            : "10.255.0.1");
  }

  void push(event e) {
    e.order = next_order_++;
    queue_.push(std::move(e));
  }

  // One line per stall: when, who, how long, how old the chunk was, and
  // the viewer's path up to the broadcaster ("?" where a peer is between
  // parents).
  void trace_stall(std::uint32_t peer, duration stall, duration age) const {
    std::string path;
    std::optional<std::size_t> at = peer;
    for (std::size_t hops = 0; at && *at != 0 && hops < wire::max_path_length; ++hops) {
      at = parent_of(*at);
      path += at ? " " + std::to_string(*at) : " ?";
    }
    std::fprintf(stderr, "%10.3f stall: peer %u, %.0f ms (chunk %.0f ms old); path up:%s\n",
                 now_s(), peer, std::chrono::duration<double, std::milli>(stall).count(),
                 std::chrono::duration<double, std::milli>(age).count(), path.c_str());
  }

  // With either trace on, one line per churn victim: a stall or a peer's
  // log then shows whose failure it followed.
  void trace_churn(std::uint32_t victim, sim_config::churn_kind mode) const {
    if (!config_.trace_stalls && config_.trace_peers.empty()) {
      return;
    }
    const char* how = mode == sim_config::churn_kind::crash    ? "crashes"
                      : mode == sim_config::churn_kind::freeze ? "freezes"
                                                               : "leaves";
    std::fprintf(stderr, "%10.3f churn: peer %u %s\n", now_s(), victim, how);
  }

  // Whether --trace-peer named `peer` (a flag per peer: asked per chunk).
  bool traced(std::size_t peer) const { return traced_[peer]; }

  // Simulated seconds, for the trace lines.
  double now_s() const { return std::chrono::duration<double>(now_.time_since_epoch()).count(); }

  std::optional<std::size_t> parent_of(std::size_t i) const {
    const auto parent = nodes_[i]->parent_endpoint();
    if (!parent || !nodes_[i]->attached()) {
      return std::nullopt;
    }
    return peer_of(*parent, config_.peers);
  }

  // Dispatches the queued events while `before(at)` holds for the next one.
  template <typename Before>
  void run_until(Before before) {
    while (!queue_.empty() && before(queue_.top().at)) {
      event e = queue_.pop();
      ++events_;
      now_ = e.at;
      dispatch(e);
    }
  }

  std::vector<std::uint64_t> moves_so_far() const {
    std::vector<std::uint64_t> moves(nodes_.size());
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      moves[i] = nodes_[i]->stats().get(core::counter::parent_moves);
    }
    return moves;
  }

  void measure_settle_moves(sim_result& r) const {
    const auto now = moves_so_far();
    std::uint64_t most = 0;
    for (std::size_t i = 1; i < now.size(); ++i) {
      if (!dead_[i]) {
        const std::uint64_t moved = now[i] - moves_before_settle_[i];
        r.settle_moves += moved;
        most = std::max(most, moved);
      }
    }
    const double minutes = std::chrono::duration<double>(config_.settle).count() / 60.0;
    r.settle_moves_per_peer_per_min_max = minutes > 0 ? static_cast<double>(most) / minutes : 0;
  }

  void dispatch(const event& e) {
    core::node& node = *nodes_[e.peer];
    if (dead_[e.peer] && e.kind != event_kind::syn && e.kind != event_kind::accept) {
      return;  // a crashed or frozen peer does nothing
    }
    switch (e.kind) {
      case event_kind::kill:
        kill(e.peer);
        return;
      case event_kind::start:
        started_at_[e.peer] = now_;
        running_.insert(e.peer);
        node.start(now_);
        break;
      case event_kind::source:
        emit_chunk();
        push({now_ + config_.chunk_interval, 0, event_kind::source, 0});
        break;
      case event_kind::timer:
        if (scheduled_[e.peer] != e.at) {
          return;  // superseded by an earlier deadline
        }
        scheduled_[e.peer].reset();
        node.on_timer(now_);
        break;
      case event_kind::syn:
      case event_kind::accept: {
        auto& initiator = links_[e.from];
        remote_end* const pending = initiator.find(e.from_link);
        if (pending == nullptr) {
          return;  // the initiator gave up before the connection arrived
        }
        const core::duration back = latency_.one_way(e.peer, e.from);
        if (unreachable_[e.peer] && e.kind == event_kind::syn) {
          ++connects_to_unreachable_;
          if (!nodes_[e.from]->is_reach_check(e.from_link)) {
            ++connects_to_unreachable_by_others_;
          }
        }
        if (frozen_[e.peer] || unreachable_[e.peer]) {
          // Nothing answers (a stopped process's kernel may complete TCP,
          // but TLS never does; a vanished host drops the SYN, as does the
          // NAT or firewall in front of an unreachable peer): the
          // initiator's connect timeout ends it.
          initiator.erase(e.from_link);
          push({started_connect(e) + config_.connect_timeout, 0, event_kind::refused, e.from,
                e.from_link});
          return;
        }
        if (!running_.count(e.peer) || dead_[e.peer]) {
          initiator.erase(e.from_link);  // the host resets it
          push({now_ + back, 0, event_kind::refused, e.from, e.from_link});
          return;
        }
        if (e.kind == event_kind::syn) {
          // SYN-ACK back, then the TLS ClientHello: the acceptor's handshake
          // is done a round trip later.
          push({now_ + 2 * back, 0, event_kind::accept, e.peer, 0, e.from, 0, e.from_link});
          return;
        }
        // The initiator learns of it one way later (its TLS Finished);
        // scheduled before any frame the acceptor sends, so it is
        // processed first.
        push({now_ + back, 0, event_kind::connected, e.from, e.from_link});
        const link_id_t mine = node.on_link_accepted({host_of(e.from), 50000}, now_);
        links_[e.peer].set(mine, {e.from, e.from_link});
        pending->link = mine;
        break;
      }
      case event_kind::connected:
        if (!links_[e.peer].contains(e.link)) {
          return;
        }
        node.on_link_connected(e.link, now_);
        break;
      case event_kind::refused:
        node.on_link_closed(e.link, std::make_error_code(std::errc::connection_refused), now_);
        break;
      case event_kind::frame:
        if (!links_[e.peer].contains(e.link)) {
          return;  // closed meanwhile
        }
        if (const auto chunk = decoded_chunks_.find(e.frame.get());
            chunk != decoded_chunks_.end()) {
          // A chunk frame is the same buffer at every hop: decode it once.
          node.on_message(e.link, chunk->second, now_);
        } else {
          node.on_frame(e.link, e.frame, now_);
        }
        break;
      case event_kind::heard:
        if (!links_[e.peer].contains(e.link)) {
          return;
        }
        node.on_link_heard(e.link, now_);
        break;
      case event_kind::closed:
        if (!links_[e.peer].erase(e.link)) {
          return;
        }
        node.on_link_closed(e.link, std::make_error_code(std::errc::connection_reset), now_);
        break;
      case event_kind::written:
        if (!links_[e.peer].contains(e.link)) {
          return;
        }
        node.on_link_written(e.link, e.bytes, now_);
        break;
    }
    after_input(e.peer);
  }

  void kill(std::uint32_t victim) {
    // Its children now wait for a repair, timed from this moment.
    for (std::uint32_t i = 1; i < nodes_.size(); ++i) {
      if (!dead_[i] && parent_of(i) == victim) {
        waiting_repair_[i] = now_;
        ++orphans_;
        orphans_without_standby_ += nodes_[i]->standby_covers_parent() ? 0 : 1;
      }
    }
    ++killed_;
    sim_config::churn_kind mode = config_.churn_mode;
    if (mode == sim_config::churn_kind::mixed) {
      mode = static_cast<sim_config::churn_kind>(std::uniform_int_distribution<int>(0, 2)(random_));
    }
    if (mode == sim_config::churn_kind::freeze) {
      for (auto& [child, since] : waiting_repair_) {
        if (since == now_) {
          froze_repair_.insert(child);
        }
      }
    }
    trace_churn(victim, mode);
    switch (mode) {
      case sim_config::churn_kind::mixed:  // chosen above
      case sim_config::churn_kind::leave:
        survivor_[victim] = false;
        nodes_[victim]->leave(now_);
        after_input(victim);
        return;
      case sim_config::churn_kind::crash:
        // The kernel resets every connection: peers see the links close.
        for (const auto& [link, remote] : links_[victim]) {
          if (remote.link != 0) {
            push({now_ + latency_.one_way(victim, remote.peer), 0, event_kind::closed, remote.peer,
                  remote.link});
          }
        }
        links_[victim].clear();
        break;
      case sim_config::churn_kind::freeze:
        frozen_[victim] = true;  // links stay open and silent
        break;
    }
    dead_[victim] = true;
    survivor_[victim] = false;
    running_.erase(victim);
  }

  void measure_churn(sim_result& r) {
    r.killed = killed_;
    r.orphans = orphans_;
    r.orphans_without_standby = orphans_without_standby_;
    r.repairs = repair_ms_.size();
    r.repair_ms_p50 = percentile(repair_ms_, 0.50);
    r.repair_ms_p99 = percentile(repair_ms_, 0.99);
    r.repair_ms_max =
        repair_ms_.empty() ? 0 : *std::max_element(repair_ms_.begin(), repair_ms_.end());
    // Chunks due at a survivor: from its first chunk to those captured a
    // playout deadline before the end.
    const auto last_due = static_cast<std::int64_t>(sealer_.next_seq()) - 1 -
                          config_.playout_deadline / config_.chunk_interval;
    std::uint64_t due = 0;
    std::uint64_t in_time = 0;
    for (std::size_t i = 1; i < nodes_.size(); ++i) {
      if (!survivor_[i] || !first_seq_[i]) {
        continue;
      }
      ++r.survivors;
      r.chunks_lost += nodes_[i]->stats().get(core::counter::chunks_missed);
      if (last_due >= static_cast<std::int64_t>(*first_seq_[i])) {
        const std::uint64_t span = static_cast<std::uint64_t>(last_due) - *first_seq_[i] + 1;
        due += span;
        in_time += std::min<std::uint64_t>(in_time_[i], span);
      }
    }
    r.continuity = due == 0 ? 1.0 : static_cast<double>(in_time) / static_cast<double>(due);
    r.freeze_repair_ms_p99 = percentile(freeze_repair_ms_, 0.99);
    duration stalled{};
    duration stalled_departed{};
    duration late{};
    duration watched{};
    std::vector<double> play_latency_ms;
    std::uint64_t standby_bytes = 0;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      const core::node& node = *nodes_[i];
      r.standby_promotions += node.stats().get(core::counter::standby_promotions);
      r.parents_behind += node.stats().get(core::counter::parents_behind);
      r.parents_held += node.stats().get(core::counter::parents_held);
      r.parents_silent += node.stats().get(core::counter::parents_silent);
      r.standbys_silent += node.stats().get(core::counter::standbys_silent);
      r.second_standby_promotions += node.stats().get(core::counter::second_standby_promotions);
      r.parent_moves += node.stats().get(core::counter::parent_moves);
      r.children_moved_out += node.stats().get(core::counter::children_moved_out);
      r.reach_checks_failed += node.stats().get(core::counter::children_unreachable);
      r.children_handed_off += node.stats().get(core::counter::children_handed_off);
      if (i != 0 && !dead_[i]) {
        const auto carried = static_cast<std::size_t>(upload_bps_[i] / stream_bits_per_second());
        r.children_beyond_uplink += node.child_count() > carried ? 1 : 0;
      }
      if (unreachable_[i]) {
        ++r.unreachable_peers;
        r.unreachable_with_children += node.child_count() > 0 ? 1 : 0;
      }
      // Fetched chunks at the stream's chunk size (the simulator's own chunk
      // frames are small).
      standby_bytes += node.stats().get(core::counter::standby_bytes_sent) +
                       node.stats().get(core::counter::gap_fill_chunks_sent) * config_.chunk_bytes;
      if (i == 0 || node.config().role != wire::peer_role::viewer) {
        continue;
      }
      if (!survivor_[i]) {
        stalled_departed += playout_[i].stalled();
        continue;
      }
      stalled += playout_[i].stalled();
      late += playout_[i].late();
      watched += playout_[i].watched(end_);
      r.viewers_stalled += playout_[i].stalls() > 0 ? 1 : 0;
      if (const auto latency = playout_[i].play_latency()) {
        play_latency_ms.push_back(std::chrono::duration<double, std::milli>(*latency).count());
      }
    }
    r.play_latency_ms_p50 = percentile(play_latency_ms, 0.50);
    r.play_latency_ms_p99 = percentile(play_latency_ms, 0.99);
    r.stall_ms_total = std::chrono::duration<double, std::milli>(stalled).count();
    r.stall_ms_departed = std::chrono::duration<double, std::milli>(stalled_departed).count();
    r.late_ms_total = std::chrono::duration<double, std::milli>(late).count();
    r.rebuffer_ratio = watched.count() > 0 ? static_cast<double>(stalled.count()) /
                                                 static_cast<double>(watched.count())
                                           : 0.0;
    const double simulated_s = std::chrono::duration<double>(end_ - time_point{}).count();
    r.standby_upload_share = static_cast<double>(standby_bytes) /
                             static_cast<double>(nodes_.size()) / simulated_s /
                             (stream_bits_per_second() / 8);
  }

  // sim_config::capacity_told: viewer `i`'s configuration says what its
  // uplink carries (as upload_monitor weighs a timed uplink) and whether
  // anyone can reach it.
  void tell_capacity(core::node_config& c, std::size_t i) const {
    c.max_children = unreachable_[i] ? 0
                                     : core::upload_monitor::slots_carried(
                                           upload_bps_[i], stream_bits_per_second(),
                                           c.uplink_headroom, c.max_children);
    if (c.max_children == 0) {
      c.listen_port = 0;  // consume only: nobody is told where to connect
    }
  }

  // The modelled stream: chunk_bytes every chunk_interval.
  double stream_bits_per_second() const {
    return static_cast<double>(config_.chunk_bytes) * 8 /
           std::chrono::duration<double>(config_.chunk_interval).count();
  }

  void emit_chunk() {
    const bool keyframe = sealer_.next_seq() % 5 == 0;
    // One rendition whose rate (stamped on keyframes, as the broadcaster
    // does) is the modelled stream's: what a peer's timed uplink is weighed
    // against (link_timing).
    const std::array<core::chunk_sealer::rendition_payload, 1> parts{
        {{wire::rendition::full, "x"}}};
    const std::array<std::uint32_t, 1> kbps{
        static_cast<std::uint32_t>(stream_bits_per_second() / 1000)};
    wire::chunk c = sealer_.seal(parts, static_cast<std::uint64_t>(now_.time_since_epoch().count()),
                                 keyframe, kbps);
    decoded_chunks_.emplace(c.frame.get(), c);
    recent_chunks_.push_back(c.frame);
    if (recent_chunks_.size() > 200) {
      decoded_chunks_.erase(recent_chunks_.front().get());
      recent_chunks_.erase(recent_chunks_.begin());
    }
    nodes_[0]->on_source_chunk(std::move(c), now_);
    after_input(0);
  }

  void after_input(std::uint32_t peer) {
    core::node& node = *nodes_[peer];
    // A send the uplink carries counts as written at once (do_send), which
    // may release chunks the node held for room (late binding): drain until
    // none are left.
    for (auto actions = node.take_actions(); !actions.empty(); actions = node.take_actions()) {
      for (core::action& a : actions) {
        act(peer, a);
      }
    }
    if (!attached_at_[peer] && peer != 0 && node.attached()) {
      attached_at_[peer] = now_;
    }
    const auto deadline = node.next_deadline();
    if (deadline && (!scheduled_[peer] || *deadline < *scheduled_[peer])) {
      scheduled_[peer] = std::max(*deadline, now_);
      push({*scheduled_[peer], 0, event_kind::timer, peer});
    }
  }

  void act(std::uint32_t peer, core::action& a) {
    if (auto* deliver = std::get_if<core::deliver_action>(&a)) {
      const wire::chunk& c = *deliver->chunk;
      if (!first_seq_[peer]) {
        first_seq_[peer] = c.seq;
      }
      const auto age = now_.time_since_epoch() - duration(c.capture_time_us);
      if (c.seq >= *first_seq_[peer] && age <= config_.playout_deadline) {
        ++in_time_[peer];
      }
      if (traced(peer)) {
        const auto offset = playout_[peer].play_latency();
        std::fprintf(stderr, "%10.3f peer %u chunk %llu, %.0f ms old (play offset %.0f ms)\n",
                     now_s(), peer, static_cast<unsigned long long>(c.seq),
                     std::chrono::duration<double, std::milli>(age).count(),
                     offset ? std::chrono::duration<double, std::milli>(*offset).count() : 0.0);
      }
      const duration stalled_before = playout_[peer].stalled();
      playout_[peer].on_chunk(time_point(duration(c.capture_time_us)), now_);
      if (config_.trace_stalls && playout_[peer].stalled() > stalled_before) {
        trace_stall(peer, playout_[peer].stalled() - stalled_before, age);
      }
    } else if (auto* send = std::get_if<core::send_action>(&a)) {
      do_send(peer, *send);
    } else if (auto* connect = std::get_if<core::connect_action>(&a)) {
      do_connect(peer, *connect);
    } else if (auto* close = std::get_if<core::close_action>(&a)) {
      do_close(peer, close->link);
    } else if (std::holds_alternative<core::give_up_action>(a)) {
      ++gave_up_;
    } else if (auto* event = std::get_if<core::event_action>(&a)) {
      if (std::holds_alternative<core::repair_finished_event>(event->event)) {
        repaired(peer);
      }
    }
  }

  // A repair finished at `peer`: timed from the kill that orphaned it.
  void repaired(std::uint32_t peer) {
    const auto waiting = waiting_repair_.find(peer);
    if (waiting == waiting_repair_.end()) {
      return;
    }
    repair_ms_.push_back(std::chrono::duration<double, std::milli>(now_ - waiting->second).count());
    if (froze_repair_.erase(peer) != 0) {
      freeze_repair_ms_.push_back(repair_ms_.back());
    }
    // Under --trace-stalls a repair slower than a default buffer is worth a line.
    if ((config_.trace_stalls && repair_ms_.back() > 300) ||
        (!config_.trace_peers.empty() && repair_ms_.back() > 5000)) {
      std::fprintf(stderr, "slow repair: peer %u, %.0f ms\n", peer, repair_ms_.back());
    }
    waiting_repair_.erase(waiting);
  }

  duration transmit_time(std::size_t bytes, std::uint32_t peer) const {
    return duration(
        static_cast<std::int64_t>(static_cast<double>(bytes) * 8.0 * 1e6 / upload_bps_[peer]));
  }

  void count_control_bytes(const wire::shared_bytes& frame) {
    const std::string_view name =
        wire::frame_message_name({reinterpret_cast<const char*>(frame->data()), frame->size()});
    auto it = settled_control_bytes_by_message_.find(name);
    if (it == settled_control_bytes_by_message_.end()) {
      it = settled_control_bytes_by_message_.emplace(std::string(name), 0).first;
    }
    it->second += frame->size();
  }

  void do_send(std::uint32_t peer, const core::send_action& send) {
    remote_end* const remote = links_[peer].find(send.link);
    if (remote == nullptr || remote->link == 0) {
      nodes_[peer]->on_link_written(send.link, send.frame->size(), now_);
      return;
    }
    const bool is_chunk = decoded_chunks_.count(send.frame.get()) != 0;
    const std::size_t bytes = is_chunk ? config_.chunk_bytes : send.frame->size();
    if (!is_chunk) {
      control_bytes_ += send.frame->size();
      if (now_ >= settled_from_) {
        settled_control_bytes_ += send.frame->size();
        count_control_bytes(send.frame);
      }
    }
    // Chunks share the sender's uplink, one after another. Control frames
    // are small and, as with a fair-queueing kernel, do not wait behind other
    // links' chunk backlog; on their own link they still keep their order.
    const duration tx = transmit_time(bytes, peer);
    time_point sent = now_ + tx;
    time_point written = now_;
    if (is_chunk) {
      if (traced(peer) && uplink_free_[peer] > now_ + std::chrono::milliseconds(15)) {
        std::fprintf(stderr, "%10.3f peer %u uplink: a chunk to peer %u waits %.0f ms\n", now_s(),
                     peer, remote->peer,
                     std::chrono::duration<double, std::milli>(uplink_free_[peer] - now_).count());
      }
      sent = std::max(now_, uplink_free_[peer]) + tx;
      uplink_free_[peer] = sent;
      written = std::max(now_, sent - transmit_time(config_.unsent_bound_bytes, peer));
    }
    if (written == now_) {
      nodes_[peer]->on_link_written(send.link, send.frame->size(), now_);
    } else {
      push({written, 0, event_kind::written, peer, send.link, 0,
            static_cast<std::uint32_t>(send.frame->size())});
    }
    const duration one_way = latency_.one_way(peer, remote->peer);
    const time_point arrival = std::max(sent + one_way, remote->last_arrival);
    if (is_chunk && tx >= heard_threshold) {
      // A long frame: its first bytes tell the receiver the sender is alive.
      const time_point first_bytes = std::max(sent - tx + one_way, remote->last_arrival);
      if (first_bytes + heard_threshold <= arrival) {
        push({first_bytes, 0, event_kind::heard, remote->peer, remote->link});
      }
    }
    remote->last_arrival = arrival;
    push({arrival, 0, event_kind::frame, remote->peer, remote->link, 0, 0, 0, send.frame});
  }

  void do_connect(std::uint32_t peer, const core::connect_action& connect) {
    const auto target = peer_of(connect.to, config_.peers);
    if (!target || *target == peer) {
      push({now_ + std::chrono::milliseconds(1), 0, event_kind::refused, peer, connect.link});
      return;
    }
    links_[peer].set(connect.link, {*target, 0});
    push({now_ + latency_.one_way(peer, *target), 0, event_kind::syn, *target, 0, peer, 0,
          connect.link});
  }

  // When the connection that `e` (a syn or an accept) belongs to was started.
  time_point started_connect(const event& e) const {
    const duration one_way = latency_.one_way(e.from, e.peer);
    return now_ - (e.kind == event_kind::syn ? one_way : 3 * one_way);
  }

  void do_close(std::uint32_t peer, link_id_t link) {
    const remote_end* const found = links_[peer].find(link);
    if (found == nullptr) {
      return;
    }
    const remote_end remote = *found;
    links_[peer].erase(link);
    if (remote.link != 0) {
      // After the last frame this end sent on the link.
      push({std::max(now_ + latency_.one_way(peer, remote.peer), remote.last_arrival), 0,
            event_kind::closed, remote.peer, remote.link});
    }
  }

  const sim_config& config_;
  std::mt19937_64 random_;
  latency_model latency_;
  std::vector<std::unique_ptr<core::node>> nodes_;
  std::vector<link_ends> links_;
  std::vector<std::optional<time_point>> scheduled_;
  std::vector<time_point> uplink_free_;
  std::vector<double> upload_bps_;
  std::vector<std::optional<time_point>> started_at_;
  std::vector<std::optional<time_point>> attached_at_;
  std::vector<std::size_t> capacity_;
  std::vector<bool> dead_;         // crashed or frozen: receives and sends nothing
  std::vector<bool> frozen_;       // frozen (or its host vanished): answers no connection
  std::vector<bool> unreachable_;  // behind a NAT or firewall: answers no connection
  std::vector<bool> relay_;
  std::vector<bool> traced_;  // --trace-peer
  std::uint64_t connects_to_unreachable_ = 0;
  std::uint64_t connects_to_unreachable_by_others_ = 0;  // not reach checks
  std::vector<playout_model> playout_;
  std::unordered_set<std::uint32_t> froze_repair_;  // waiting for a repair after a freeze
  std::vector<double> freeze_repair_ms_;
  // Chunk frames whose transmission takes this long announce their first
  // bytes (the runtime reports partial reads: node::on_link_heard).
  static constexpr duration heard_threshold = std::chrono::milliseconds(5);
  std::vector<bool> survivor_;  // not killed by churn in any way
  std::vector<std::optional<wire::seq_t>> first_seq_;
  std::vector<std::uint64_t> in_time_;
  std::unordered_map<std::uint32_t, time_point> waiting_repair_;
  std::vector<double> repair_ms_;
  std::size_t killed_ = 0;
  // Children of killed peers at the kill, and those with no standby to take
  // over (node::standby_covers_parent): their repair is a whole round.
  std::uint64_t orphans_ = 0;
  std::uint64_t orphans_without_standby_ = 0;
  std::unordered_set<std::uint32_t> running_;
  event_queue<event> queue_;
  std::uint64_t next_order_ = 0;
  std::uint64_t events_ = 0;
  time_point now_{};
  time_point end_{};
  core::chunk_sealer sealer_{"sim", 0};  // unsigned, plain chunks
  // The chunks of the last ~40 s by frame buffer, decoded once.
  std::unordered_map<const void*, wire::message> decoded_chunks_;
  std::vector<wire::shared_bytes> recent_chunks_;
  std::uint64_t control_bytes_ = 0;
  // Control bytes once the tree settled: the last half of the settle
  // period, at most 10 s, with no join or kill in it.
  time_point settled_from_ = time_point::max();
  std::uint64_t settled_control_bytes_ = 0;
  // Each peer's parent moves when the settle phase began.
  std::vector<std::uint64_t> moves_before_settle_;
  // std::less<>: looked up by string_view, no string built per frame.
  std::map<std::string, std::uint64_t, std::less<>> settled_control_bytes_by_message_;
  std::size_t gave_up_ = 0;
};

}  // namespace

sim_result run_simulation(const sim_config& config) {
  world w(config);
  return w.run();
}

std::string sim_result::to_json() const {
  std::ostringstream out;
  out.precision(6);
  out << "{\"peers\": " << peers << ", \"joined\": " << joined << ", \"loops\": " << loops
      << ", \"unrooted\": " << unrooted << ", \"capacity_violations\": " << capacity_violations
      << ", \"depth_max\": " << depth_max << ", \"strong_below_weak\": " << strong_below_weak
      << ", \"depth_mean\": " << depth_mean << ", \"fanout_median\": " << fanout_median
      << ", \"stretch_p50\": " << stretch_p50 << ", \"stretch_p99\": " << stretch_p99
      << ", \"join_ms_p50\": " << join_ms_p50 << ", \"join_ms_p99\": " << join_ms_p99
      << ", \"join_ms_max\": " << join_ms_max
      << ", \"root_upload_streams\": " << root_upload_streams
      << ", \"control_bytes_per_peer_per_s\": " << control_bytes_per_peer_per_s
      << ", \"settled_control_bytes_per_peer_per_s\": " << settled_control_bytes_per_peer_per_s
      << ", \"settled_control_bytes_by_message\": {";
  const char* separator = "";
  for (const auto& [name, bytes] : settled_control_bytes_by_message) {
    out << separator << "\"" << name << "\": " << bytes;
    separator = ", ";
  }
  out << "}"
      << ", \"killed\": " << killed << ", \"survivors\": " << survivors
      << ", \"orphans\": " << orphans
      << ", \"orphans_without_standby\": " << orphans_without_standby
      << ", \"repairs\": " << repairs << ", \"repair_ms_p50\": " << repair_ms_p50
      << ", \"repair_ms_p99\": " << repair_ms_p99 << ", \"repair_ms_max\": " << repair_ms_max
      << ", \"freeze_repair_ms_p99\": " << freeze_repair_ms_p99
      << ", \"chunks_lost\": " << chunks_lost << ", \"continuity\": " << continuity
      << ", \"stall_ms_total\": " << stall_ms_total << ", \"late_ms_total\": " << late_ms_total
      << ", \"viewers_stalled\": " << viewers_stalled
      << ", \"stall_ms_departed\": " << stall_ms_departed
      << ", \"rebuffer_ratio\": " << rebuffer_ratio
      << ", \"play_latency_ms_p50\": " << play_latency_ms_p50
      << ", \"play_latency_ms_p99\": " << play_latency_ms_p99
      << ", \"standby_promotions\": " << standby_promotions
      << ", \"parents_behind\": " << parents_behind << ", \"parents_held\": " << parents_held
      << ", \"parents_silent\": " << parents_silent << ", \"standbys_silent\": " << standbys_silent
      << ", \"second_standby_promotions\": " << second_standby_promotions
      << ", \"standby_upload_share\": " << standby_upload_share
      << ", \"parent_moves\": " << parent_moves
      << ", \"children_moved_out\": " << children_moved_out
      << ", \"settle_moves\": " << settle_moves
      << ", \"settle_moves_per_peer_per_min_max\": " << settle_moves_per_peer_per_min_max
      << ", \"unreachable_peers\": " << unreachable_peers
      << ", \"unreachable_with_children\": " << unreachable_with_children
      << ", \"reach_checks_failed\": " << reach_checks_failed
      << ", \"connects_to_unreachable\": " << connects_to_unreachable
      << ", \"connects_to_unreachable_by_others\": " << connects_to_unreachable_by_others
      << ", \"children_beyond_uplink\": " << children_beyond_uplink
      << ", \"children_handed_off\": " << children_handed_off
      << ", \"wan_copies_max\": " << wan_copies_max
      << ", \"coordinate_error_p50\": " << coordinate_error_p50
      << ", \"coordinates_settled\": " << coordinates_settled
      << ", \"join_attempts\": " << join_attempts << ", \"join_redirects\": " << join_redirects
      << ", \"gave_up\": " << gave_up << ", \"simulated_s\": " << simulated_s
      << ", \"events\": " << events << ", \"wall_s\": " << wall_s
      << ", \"peak_rss_mb\": " << peak_rss_mb << "}";
  return out.str();
}

}  // namespace treecast::sim
