#include "core/subtree_view.hpp"

#include <algorithm>
#include <limits>
#include <set>
#include <tuple>
#include <type_traits>

#include "core/report_change.hpp"

namespace treecast::core {

namespace {

constexpr std::uint64_t max_count = std::numeric_limits<std::uint32_t>::max();

// A report's browsers are believed up to this many per peer of its subtree.
constexpr std::uint64_t max_browsers_per_peer = 5000;

std::uint32_t saturate(std::uint64_t n) {
  return static_cast<std::uint32_t>(std::min(n, max_count));
}

// A child's report of its subtree, made plausible: counts that contradict
// each other or jump beyond what the subtree could do since its last report
// are clamped. True when the report tells a lie: a contradiction, or misses
// and stall time beyond what its claimed peers could have had. Growth past
// the bound is clamped without calling it a lie: an honest subtree gains a
// whole subtree at once when a peer with its own moves in below it (a rise,
// a handoff, a move; reports then come ~100 ms apart), and its counts are
// believed as they grow toward what it keeps claiming. (Calling that a lie
// logged honest peers as liars ~170 times in a 3 000-peer flash crowd.)
bool clamp_report(wire::report& r, const std::optional<wire::report>& before, duration since,
                  std::uint32_t child_depth) {
  bool lie = false;
  auto at_most = [&](auto& value, auto bound) {
    if (value > bound) {
      value = static_cast<std::remove_reference_t<decltype(value)>>(bound);
      lie = true;
    }
  };
  if (r.subtree_size == 0) {
    r.subtree_size = 1;
    lie = true;
  }
  at_most(r.viewers, r.subtree_size);
  at_most(r.relays, r.subtree_size - r.viewers);
  at_most(r.peers_stalled, r.viewers);
  at_most(r.subtree_depth, child_depth + wire::max_path_length);
  // Shallower than the child itself: our own depth changed since the child
  // last heard it (a move above us races its report), so raised, not a lie.
  r.subtree_depth = std::max(r.subtree_depth, child_depth);
  at_most(r.free_slots, 10000u);
  // A subtree at most doubles (or grows by 64) per second, flash crowd
  // included; a child's first report counts as a second's growth.
  const double seconds =
      before ? std::min(60.0, std::chrono::duration<double>(since).count()) : 1.0;
  auto grown = [seconds](std::uint64_t from) {
    return saturate(from + static_cast<std::uint64_t>(
                               seconds * static_cast<double>(std::max<std::uint64_t>(64, from))));
  };
  const std::uint32_t claimed = r.subtree_size;
  // Misses grow by at most 100 per peer between two reports, stall time by
  // the time since the last report per peer.
  const std::uint64_t missed_before = before ? before->chunks_missed : 0;
  const std::uint64_t stall_before = before ? before->stall_ms : 0;
  const auto stall_per_peer = static_cast<std::uint64_t>(seconds * 1000.0 + 1000.0);
  if (before && (r.chunks_missed > missed_before + 100 * std::uint64_t{claimed} ||
                 r.stall_ms > stall_before + stall_per_peer * claimed)) {
    lie = true;
  }
  r.subtree_size = std::min(r.subtree_size, grown(before ? before->subtree_size : 1));
  r.viewers = std::min(r.viewers, r.subtree_size);
  r.relays = std::min(r.relays, r.subtree_size - r.viewers);
  r.peers_stalled = std::min(r.peers_stalled, r.viewers);
  // A gateway serves at most a few thousand browsers.
  r.browsers =
      std::min(r.browsers, saturate(std::uint64_t{r.subtree_size} * max_browsers_per_peer));
  r.chunks_missed =
      std::min<std::uint64_t>(r.chunks_missed, missed_before + 100 * std::uint64_t{r.subtree_size});
  r.stall_ms = std::min<std::uint64_t>(r.stall_ms, stall_before + stall_per_peer * r.subtree_size);
  return lie;
}

}  // namespace

std::uint32_t subtree_view::size() const {
  std::uint64_t size = 1;
  for (const auto& [id, c] : children_) {
    size += c.last_report ? c.last_report->subtree_size : 1;
  }
  return saturate(size);
}

std::uint32_t subtree_view::deepest() const {
  const std::uint32_t depth = position_.depth();
  std::uint32_t deepest = depth;
  for (const auto& [id, c] : children_) {
    deepest = std::max(deepest, c.last_report ? c.last_report->subtree_depth : depth + 1);
  }
  return deepest;
}

std::uint32_t subtree_view::count(wire::peer_role role) const {
  std::uint64_t n = ctx_.config.role == role ? 1 : 0;
  for (const auto& [id, c] : children_) {
    if (c.last_report) {
      n += role == wire::peer_role::viewer ? c.last_report->viewers : c.last_report->relays;
    } else {
      n += c.l->peer_hello && c.l->peer_hello->role == role;  // not reported yet: itself
    }
  }
  return saturate(n);
}

template <typename Field>
std::uint64_t subtree_view::sum_reports(Field field) const {
  std::uint64_t n = 0;
  for (const auto& [id, c] : children_) {
    if (c.last_report) {
      n += (*c.last_report).*field;
    }
  }
  return n;
}

std::uint64_t subtree_view::chunks_missed() const {
  return ctx_.stats.get(counter::chunks_missed) + sum_reports(&wire::report::chunks_missed);
}

std::uint64_t subtree_view::stall_ms() const {
  return local_.stall_ms + sum_reports(&wire::report::stall_ms);
}

std::uint32_t subtree_view::peers_stalled() const {
  return saturate((local_.stalls > 0 ? 1 : 0) + sum_reports(&wire::report::peers_stalled));
}

std::uint32_t subtree_view::browsers() const {
  return saturate(std::uint64_t{local_.browsers} + sum_reports(&wire::report::browsers));
}

std::vector<wire::peer_health> subtree_view::health(std::size_t limit,
                                                    const self_view& self_state) const {
  std::vector<wire::peer_health> rows;
  if (limit == 0) {
    return rows;
  }
  const auto& path = position_.path();
  wire::peer_health self;
  self.node_id = ctx_.id;
  if (self_state.attached && !ctx_.is_root() && path.size() >= 2) {
    self.parent_id = path[path.size() - 2];
  }
  self.address = {"", ctx_.config.listen_port};  // the parent fills in our host
  self.depth = self_state.attached ? position_.depth() : 0;
  self.children = static_cast<std::uint32_t>(children_.count());
  self.max_children = static_cast<std::uint32_t>(ctx_.config.max_children);
  if (position_.has_parent()) {
    self.rtt_ms = static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(position_.parent_rtt()).count());
  }
  self.buffer_ms = local_.buffer_ms;
  self.chunks_missed = ctx_.stats.get(counter::chunks_missed);
  self.latency_ms = local_.latency_ms;
  self.stalls = local_.stalls;
  self.stall_ms = local_.stall_ms;
  self.browsers = local_.browsers;
  self.playing = local_.playing;
  self.site = ctx_.config.site;
  self.role = ctx_.config.role;
  rows.push_back(std::move(self));
  // The nearest peers first when the limit cuts: by depth, then child by
  // child (the order a breadth-first walk of the subtree would meet them).
  struct ranked {
    std::uint32_t depth;
    std::size_t child_index;
    const wire::peer_health* row;
  };
  std::vector<ranked> below;
  std::size_t child_index = 0;
  for (const auto& [id, c] : children_) {
    for (const auto& [peer, row] : c.health.rows()) {
      below.push_back({row.depth, child_index, &row});
    }
    ++child_index;
  }
  const std::size_t kept = std::min(below.size(), limit - rows.size());
  std::partial_sort(below.begin(), below.begin() + static_cast<std::ptrdiff_t>(kept), below.end(),
                    [](const ranked& a, const ranked& b) {
                      return std::tie(a.depth, a.child_index, a.row->node_id) <
                             std::tie(b.depth, b.child_index, b.row->node_id);
                    });
  for (std::size_t i = 0; i < kept; ++i) {
    rows.push_back(*below[i].row);
  }
  return rows;
}

std::vector<wire::peer_summary> subtree_view::candidates(
    const place& requester, bool include_self, sample_order order, const self_view& self_state,
    std::span<const wire::node_id_t> avoid, const std::optional<wire::node_id_t>& asker,
    std::uint32_t asker_max_children) {
  return sample(known_peers(include_self, self_state, avoid), requester, order, asker,
                asker_max_children);
}

std::vector<wire::peer_summary> subtree_view::hand_out(const place& requester, bool include_self,
                                                       sample_order order,
                                                       const self_view& self_state,
                                                       const std::optional<wire::node_id_t>& asker,
                                                       std::uint32_t asker_max_children,
                                                       std::size_t limit) {
  std::vector<known_peer> pool = known_peers(include_self, self_state, {});
  for (auto& p : pool) {
    p.summary.free_slots = handouts_.free_slots(p.summary, ctx_.now);
  }
  std::vector<wire::peer_summary> handed =
      sample(std::move(pool), requester, order, asker, asker_max_children);
  handed.resize(std::min(handed.size(), limit));
  handouts_.record(handed, ctx_.now);
  return handed;
}

std::vector<wire::peer_summary> subtree_view::sample(std::vector<known_peer> pool,
                                                     const place& requester, sample_order order,
                                                     const std::optional<wire::node_id_t>& asker,
                                                     std::uint32_t asker_max_children) {
  for (auto& p : pool) {
    const std::uint32_t needed = p.summary.room_for_max_children;
    if (p.summary.free_slots == 0 && needed > 0 && asker_max_children >= needed) {
      p.summary.free_slots = 1;  // the place a weaker child gives up
    }
  }
  if (asker) {
    const std::uint32_t below_asker = site_entry::tag_of(*asker);
    std::erase_if(pool, [&](const known_peer& p) {
      return p.summary.site_entry_hops > 0 && p.summary.site_entry_tag == below_asker;
    });
  }
  return sample_candidates(std::move(pool), requester, ctx_.config.candidate_sample, order, sites_,
                           ctx_.random);
}

std::vector<known_peer> subtree_view::known_peers(bool include_self, const self_view& self_state,
                                                  std::span<const wire::node_id_t> avoid) const {
  std::vector<known_peer> pool;
  if (include_self && (self_state.free_slots > 0 || self_state.room_for_max_children > 0)) {
    // Its host is left empty: the joiner knows it already, as the address it
    // asked.
    wire::peer_summary self;
    self.node_id = ctx_.id;
    self.address = {"", ctx_.config.listen_port};
    self.depth = position_.depth();
    self.free_slots = static_cast<std::uint32_t>(self_state.free_slots);
    self.site = ctx_.config.site;
    self.role = ctx_.config.role;
    self.where = coordinate_.current();
    self.root_delay_us = to_wire_us(position_.root_delay());
    self.site_entry_hops = self_state.site_entry_hops;
    self.site_entry_tag = self_state.site_entry_tag;
    self.room_for_max_children = self_state.room_for_max_children;
    // Full, we are kept only for an asker we would give a child's place
    // (sample()); else the sampler leaves us out as any full deeper peer.
    pool.push_back({self, self_state.free_slots > 0});
  }
  for (const auto& [id, c] : children_) {
    const link& l = *c.l;
    if (!l.peer_hello || l.peer_hello->listen_port == 0 || on_path(avoid, l.peer_hello->node_id)) {
      continue;
    }
    // Handed out only once known reachable; the peers below it were checked
    // by it and may be handed out either way. A full child with nothing
    // below it and no place to give (a leaf: a narrow downlink, consume
    // only) could only turn a joiner away: in a flash crowd its site's
    // joiners chose it for its place and failed round after round (the 30
    // viewers' lab: 5 rounds, 6 s to the first frame).
    if (c.reach == reach_state::reachable && !turns_everyone_away(c)) {
      pool.push_back({summary_of(l, c), true});
    }
    if (c.last_report) {
      for (const auto& deeper : c.last_report->candidates) {
        pool.push_back({deeper, false});
      }
    }
  }
  return pool;
}

bool subtree_view::turns_everyone_away(const child& c) {
  return c.last_report && c.last_report->free_slots == 0 &&
         c.last_report->room_for_max_children == 0 && c.last_report->candidates.empty();
}

wire::peer_summary subtree_view::summary_of(const link& l, const child& c) const {
  wire::peer_summary summary;
  summary.node_id = l.peer_hello->node_id;
  summary.address = {l.remote.host, l.peer_hello->listen_port};
  summary.depth = position_.depth() + 1;
  summary.free_slots = c.last_report ? c.last_report->free_slots : 0;
  summary.site = l.peer_hello->site;
  summary.role = l.peer_hello->role;
  if (c.last_report) {
    summary.where = c.last_report->where;
    summary.root_delay_us = c.last_report->root_delay_us;
    summary.site_entry_hops = std::min(c.last_report->site_entry_hops, summary.depth);
    summary.site_entry_tag = c.last_report->site_entry_tag;
    summary.room_for_max_children = c.last_report->room_for_max_children;
  }
  return summary;
}

std::vector<wire::endpoint> subtree_view::backups_for(link_id_t child_link, const self_view& self) {
  std::set<wire::node_id_t> below_child;
  if (const child* c = children_.find(child_link)) {
    if (c->l->peer_hello) {
      below_child.insert(c->l->peer_hello->node_id);
    }
    if (c->last_report) {
      for (const auto& deeper : c->last_report->candidates) {
        below_child.insert(deeper.node_id);
      }
    }
  }
  // Ties broken at random each time, so a child's backups change now and
  // then even in a settled subtree (a PathUpdate then goes out). Breaking
  // them the same way every time saved ~9 bytes per peer per second but
  // doubled the stall time of graceful leaves and crashes in treecast-sim
  // (1000 peers, 20% churn, seeds 1-12: leave 11.4 -> 22.2 s, crash 49 ->
  // 119 s), for reasons not yet understood.
  std::vector<wire::endpoint> out;
  for (const auto& p : candidates({}, false, sample_order::room_first, self)) {
    if (out.size() == max_backups) {
      break;
    }
    if (!below_child.count(p.node_id) && p.free_slots > 0) {
      out.push_back(p.address);
    }
  }
  return out;
}

bool subtree_view::on_report(link_id_t, child& c, wire::report&& r) {
  auto same_room = [](const wire::report& a, const wire::report& b) {
    return a.free_slots == b.free_slots && a.room_for_max_children == b.room_for_max_children &&
           std::equal(a.candidates.begin(), a.candidates.end(), b.candidates.begin(),
                      b.candidates.end(), [](const auto& x, const auto& y) {
                        return x.node_id == y.node_id && x.free_slots == y.free_slots &&
                               x.room_for_max_children == y.room_for_max_children;
                      });
  };
  if (clamp_report(r, c.last_report, ctx_.now - c.reported_at, position_.depth() + 1)) {
    ctx_.count_and_log(counter::reports_clamped, 100,
                       "implausible report from " + describe(c.l->remote) + " clamped");
  }
  const bool room_changed = !c.last_report || !same_room(*c.last_report, r);
  if (!r.health_delta) {
    c.health.clear();
  }
  if (!c.health.apply(std::move(r.health), r.health_gone, wire::max_health_entries)) {
    ctx_.count_and_log(counter::reports_clamped, 100,
                       "health rows past the limit from " + describe(c.l->remote) + " dropped");
  }
  r.health.clear();
  r.health_gone.clear();
  if (c.l->peer_hello) {
    if (wire::peer_health* own = c.health.find(c.l->peer_hello->node_id)) {
      own->address.host = c.l->remote.host;  // the child's own row: we know its address
    }
  }
  c.last_report = std::move(r);
  c.reported_at = ctx_.now;
  return room_changed;
}

void subtree_view::start() {
  next_report_ = ctx_.now + ctx_.config.report_interval;
}

void subtree_view::report_soon() {
  // The subtree changed: tell the parent within report_min_interval rather
  // than at the next regular report, so the rendezvous stays fresh.
  const time_point soonest =
      std::max(ctx_.now, last_report_sent_ + ctx_.config.report_min_interval);
  if (next_report_ && soonest < *next_report_) {
    next_report_ = soonest;
  }
}

void subtree_view::on_timer(const self_view& self) {
  if (!report_due()) {
    return;
  }
  next_report_ = ctx_.now + ctx_.config.report_interval;
  const auto parent = position_.parent();
  if (!parent) {
    return;
  }
  wire::report report = make_report(self);
  const bool same_parent = last_sent_ && last_sent_->first == *parent;
  if (!same_parent) {
    parent_health_.clear();  // a new link starts from the whole table
  }
  const bool refresh_due = ctx_.now - last_report_sent_ >= ctx_.config.report_refresh;
  const bool news = !same_parent || refresh_due || says_something_new(last_sent_->second, report);
  health_delta rows = parent_health_.advance_to(health(ctx_.config.max_health_entries, self));
  if (!news && rows.empty()) {
    return;  // the parent knows all this already
  }
  report.health = std::move(rows.changed);
  report.health_gone = std::move(rows.gone);
  report.health_delta = same_parent;
  last_report_sent_ = ctx_.now;
  links_.send(*parent, report);
  report.health.clear();
  report.health_gone.clear();
  last_sent_.emplace(*parent, std::move(report));
}

wire::report subtree_view::make_report(const self_view& self) {
  wire::report r;
  r.subtree_size = size();
  r.subtree_depth = deepest();
  r.free_slots = static_cast<std::uint32_t>(self.free_slots);
  r.viewers = count(wire::peer_role::viewer);
  r.relays = count(wire::peer_role::relay);
  r.chunks_missed = chunks_missed();
  r.stall_ms = stall_ms();
  r.peers_stalled = peers_stalled();
  r.browsers = browsers();
  // Peers of our subtree with room, every site represented (more of them
  // to the broadcaster: node_config's seed_candidate_sample); the parent
  // adds us itself. Ties broken the same way every time: the same subtree gives
  // the same list, so a report with nothing new is not sent
  // (report_change.hpp); the parent's own sample for a joiner spreads them.
  // A quarter of the rows, at most, name full peers that would give a
  // strong joiner a weaker child's place: the relays that the flash crowd
  // put below viewers find those places near the top.
  std::mt19937_64 same_ties(report_ties_seed);
  std::vector<known_peer> pool = known_peers(false, self, {});
  const std::size_t limit =
      position_.depth() == 1 ? ctx_.config.seed_candidate_sample : ctx_.config.candidate_sample;
  std::vector<wire::peer_summary> for_strong = places_for_strong(pool, limit / 4);
  r.candidates = sample_candidates(std::move(pool), {}, limit - for_strong.size(),
                                   sample_order::room_first, sites_, same_ties);
  for (auto& p : for_strong) {
    if (std::none_of(r.candidates.begin(), r.candidates.end(),
                     [&](const wire::peer_summary& c) { return c.node_id == p.node_id; })) {
      r.candidates.push_back(std::move(p));
    }
  }
  r.where = coordinate_.current();
  r.root_delay_us = to_wire_us(position_.root_delay());
  r.site_entry_hops = self.site_entry_hops;
  r.site_entry_tag = self.site_entry_tag;
  r.room_for_max_children = self.room_for_max_children;
  return r;
}

std::vector<wire::peer_summary> subtree_view::places_for_strong(const std::vector<known_peer>& pool,
                                                                std::size_t limit) {
  std::vector<const wire::peer_summary*> full;
  for (const auto& p : pool) {
    if (p.summary.free_slots == 0 && p.summary.room_for_max_children > 0) {
      full.push_back(&p.summary);
    }
  }
  const std::size_t kept = std::min(full.size(), limit);
  std::partial_sort(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(kept), full.end(),
                    [](const wire::peer_summary* a, const wire::peer_summary* b) {
                      return std::tie(a->depth, a->room_for_max_children, a->node_id) <
                             std::tie(b->depth, b->room_for_max_children, b->node_id);
                    });
  std::vector<wire::peer_summary> out;
  for (std::size_t i = 0; i < kept; ++i) {
    out.push_back(*full[i]);
  }
  return out;
}

}  // namespace treecast::core
