#include "core/node.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

#include "core/candidate_sampler.hpp"
#include "core/errors.hpp"
#include "wire/codec.hpp"
#include "wire/errors.hpp"

namespace treecast::core {
namespace {

std::string describe(const wire::endpoint& e) {
  return e.host + ":" + std::to_string(e.port);
}

std::string short_id(const wire::node_id_t& id) {
  char text[9];
  std::snprintf(text, sizeof text, "%02x%02x%02x%02x", id[0], id[1], id[2], id[3]);
  return text;
}

bool contains(const std::vector<wire::node_id_t>& path, const wire::node_id_t& id) {
  return std::find(path.begin(), path.end(), id) != path.end();
}

}  // namespace

node::node(node_config config, wire::node_id_t id, std::uint64_t seed, log_sink log)
    : config_(std::move(config)),
      id_(id),
      random_(seed),
      log_(std::move(log)),
      scoring_(config_.depth_penalty),
      window_(config_.window_span, config_.window_max_bytes),
      join_limiter_(config_.max_joins_per_second, 2 * config_.max_joins_per_second),
      backoff_(config_.reconnect_min) {
  if (is_root()) {
    path_ = {id_};
  }
}

// ---------------------------------------------------------------- lifecycle

void node::start(time_point now) {
  now_ = now;
  running_ = true;
  next_heartbeat_ = now + config_.heartbeat_interval;
  next_report_ = now + config_.report_interval;
  next_backups_ = now + config_.backup_interval;
  if (!is_root()) {
    start_join(now);
  }
}

void node::stop(time_point now) {
  now_ = now;
  running_ = false;
  for (const auto& [id, l] : links_) {
    if (l.connected) {
      send(id, wire::leave{"shutting down", {}});
    }
    outbox_.push_back(close_action{id, node_errc::shutting_down});
  }
  links_.clear();
  child_count_ = 0;
  parent_link_.reset();
  rejoin_at_.reset();
  probe_deadline_.reset();
  next_heartbeat_.reset();
  next_report_.reset();
  next_backups_.reset();
  leave_deadline_.reset();
  leaving_ = false;
  stopped_ = true;
  log(log_level::info, now, "stopped");
}

void node::leave(time_point now) {
  now_ = now;
  if (!running_ || leaving_) {
    return;
  }
  std::vector<wire::endpoint> handoff;
  if (parent_link_) {
    handoff.push_back(links_.at(*parent_link_).remote);
  }
  for (auto it = ancestors_.rbegin(); it != ancestors_.rend() && handoff.size() < 4; ++it) {
    if (std::find(handoff.begin(), handoff.end(), *it) == handoff.end()) {
      handoff.push_back(*it);
    }
  }
  if (child_count_ == 0 || handoff.empty()) {
    stop(now);
    return;
  }
  leaving_ = true;
  leave_deadline_ = now + config_.leave_linger;
  for (const auto& [id, l] : links_) {
    if (l.child) {
      send(id, wire::leave{"leaving; join one of these", handoff});
    }
  }
  log(log_level::info, now,
      "leaving: handing " + std::to_string(child_count_) + " children to my parent");
}

void node::finish_leave(time_point now) {
  if (leaving_) {
    stop(now);
  }
}

bool node::attached() const {
  if (is_root()) {
    return running_;
  }
  return parent_link_.has_value();
}

std::optional<wire::endpoint> node::parent_endpoint() const {
  if (!parent_link_) {
    return std::nullopt;
  }
  return links_.at(*parent_link_).remote;
}

std::size_t node::free_slots() const {
  if (!attached() || leaving_ || child_count_ >= config_.max_children) {
    return 0;
  }
  return config_.max_children - child_count_;
}

std::uint32_t node::subtree_size() const {
  std::uint32_t size = 1;
  for (const auto& [id, l] : links_) {
    if (l.child) {
      size += l.last_report ? l.last_report->subtree_size : 1;
    }
  }
  return size;
}

std::uint32_t node::subtree_count(wire::peer_role role) const {
  std::uint32_t n = config_.role == role ? 1 : 0;
  for (const auto& [id, l] : links_) {
    if (!l.child) {
      continue;
    }
    if (l.last_report) {
      n += role == wire::peer_role::viewer ? l.last_report->viewers : l.last_report->relays;
    } else {
      n += l.peer_hello && l.peer_hello->role == role;  // not reported yet: itself
    }
  }
  return n;
}

std::uint64_t node::subtree_chunks_missed() const {
  std::uint64_t n = counters_.get(counter::chunks_missed);
  for (const auto& [id, l] : links_) {
    if (l.child && l.last_report) {
      n += l.last_report->chunks_missed;
    }
  }
  return n;
}

void node::set_local_health(std::int32_t latency_ms, std::int32_t buffer_ms) {
  local_latency_ms_ = latency_ms;
  local_buffer_ms_ = buffer_ms;
}

std::vector<wire::peer_health> node::subtree_health(std::size_t limit) const {
  std::vector<wire::peer_health> rows;
  if (limit == 0) {
    return rows;
  }
  wire::peer_health self;
  self.node_id = id_;
  if (attached() && !is_root() && path_.size() >= 2) {
    self.parent_id = path_[path_.size() - 2];
  }
  self.address = {"", config_.listen_port};  // the parent fills in our host
  self.depth = attached() ? depth_ : 0;
  self.children = static_cast<std::uint32_t>(child_count_);
  self.max_children = static_cast<std::uint32_t>(config_.max_children);
  if (parent_link_) {
    if (const auto it = links_.find(*parent_link_); it != links_.end()) {
      self.rtt_ms = static_cast<std::uint32_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(it->second.rtt).count());
    }
  }
  self.buffer_ms = local_buffer_ms_;
  self.chunks_missed = counters_.get(counter::chunks_missed);
  self.latency_ms = local_latency_ms_;
  self.site = config_.site;
  self.role = config_.role;
  rows.push_back(std::move(self));
  // Breadth first over the children's lists keeps the nearest peers when
  // the limit cuts: each child's own row first, then the rest in turn.
  std::vector<const std::vector<wire::peer_health>*> lists;
  for (const auto& [id, l] : links_) {
    if (l.child && l.last_report && !l.last_report->health.empty()) {
      lists.push_back(&l.last_report->health);
    }
  }
  for (std::size_t index = 0; rows.size() < limit; ++index) {
    bool any = false;
    for (const auto* list : lists) {
      if (index < list->size() && rows.size() < limit) {
        rows.push_back((*list)[index]);
        any = true;
      }
    }
    if (!any) {
      break;
    }
  }
  return rows;
}

std::uint32_t node::subtree_depth() const {
  std::uint32_t deepest = depth_;
  for (const auto& [id, l] : links_) {
    if (l.child) {
      deepest = std::max(deepest, l.last_report ? l.last_report->subtree_depth : depth_ + 1);
    }
  }
  return deepest;
}

// -------------------------------------------------------------- link inputs

link_id_t node::on_link_accepted(const wire::endpoint& remote, time_point now) {
  now_ = now;
  const link_id_t id = next_link_id_++;
  link& l = links_[id];
  l.kind = link_kind::inbound;
  l.remote = remote;
  l.connected = true;
  l.last_heard = now;
  send(id, my_hello());
  return id;
}

void node::on_link_connected(link_id_t id, time_point now) {
  now_ = now;
  auto it = links_.find(id);
  if (it == links_.end()) {
    return;  // closed meanwhile
  }
  link& l = it->second;
  l.connected = true;
  l.last_heard = now;
  send(id, my_hello());
  if (l.kind == link_kind::rendezvous) {
    send(id, wire::candidates_request{config_.site});
  } else if (l.kind == link_kind::probe) {
    l.nonce = random_();
    l.ping_sent = now;
    send(id, wire::ping{l.nonce});
  }
}

void node::on_link_closed(link_id_t id, std::error_code why, time_point now) {
  now_ = now;
  auto it = links_.find(id);
  if (it == links_.end()) {
    return;
  }
  const link_kind kind = it->second.kind;
  const bool broke_protocol = why.category() == wire::wire_category();  // e.g. truncated frame
  if (broke_protocol) {
    counters_.add(counter::protocol_errors);
  }
  if (broke_protocol || kind == link_kind::parent || it->second.child) {
    log(broke_protocol || kind == link_kind::parent ? log_level::warn : log_level::info, now,
        "link to " + describe(it->second.remote) + " closed: " + why.message());
  } else {
    log(log_level::debug, now,
        "link to " + describe(it->second.remote) + " closed: " + why.message());
  }
  forget(id, now);
  if (kind == link_kind::rendezvous && joining()) {
    join_failed("rendezvous unreachable (" + why.message() + ")", now);
  } else if (kind == link_kind::joining) {
    join_failed("chosen parent went away (" + why.message() + ")", now);
  }
}

void node::on_frame(link_id_t id, const wire::shared_bytes& frame, time_point now) {
  wire::message message;
  if (const std::error_code ec = wire::decode_frame(frame, message)) {
    on_protocol_error(id, ec, now);
    return;
  }
  on_message(id, std::move(message), now);
}

void node::on_protocol_error(link_id_t id, std::error_code why, time_point now) {
  now_ = now;
  counters_.add(counter::protocol_errors);
  const bool was_joining = links_.count(id) && links_.at(id).kind == link_kind::joining;
  close_link(id, why, now);
  if (was_joining) {
    join_failed("chosen parent broke the protocol", now);
  }
}

void node::on_message(link_id_t id, wire::message message, time_point now) {
  now_ = now;
  auto it = links_.find(id);
  if (it == links_.end()) {
    return;
  }
  link& l = it->second;
  l.last_heard = now;
  if (!l.peer_hello && !std::holds_alternative<wire::hello>(message)) {
    on_protocol_error(id, node_errc::hello_expected, now);
    return;
  }
  std::visit([&](auto&& m) { handle(id, l, std::move(m), now); }, std::move(message));
}

// ------------------------------------------------------------------ handlers

void node::handle(link_id_t id, link& l, wire::hello&& m, time_point now) {
  if (l.peer_hello) {
    on_protocol_error(id, node_errc::duplicate_hello, now);
    return;
  }
  if (m.version != wire::protocol_version) {
    on_protocol_error(id, node_errc::version_mismatch, now);
    return;
  }
  if (l.kind == link_kind::inbound && config_.admission) {
    if (const auto refused = config_.admission->check(m.token)) {
      counters_.add(counter::peers_unauthorized);
      log(log_level::warn, now, "refused " + describe(l.remote) + ": " + *refused);
      send(id, wire::leave{"refused: " + *refused, {}});
      close_link(id, node_errc::unauthorized, now);
      return;
    }
  }
  l.peer_hello = std::move(m);
}

bool node::within_join_rate(link_id_t id, time_point now) {
  if (join_limiter_.allow(now)) {
    return true;
  }
  if (counters_.get(counter::joins_rate_limited) % 100 == 0) {
    log(log_level::warn, now,
        "too many joins: refusing some (" +
            std::to_string(counters_.get(counter::joins_rate_limited) + 1) + " so far)");
  }
  counters_.add(counter::joins_rate_limited);
  send(id, wire::leave{"busy: too many joins, try again shortly", {}});
  close_link(id, node_errc::rate_limited, now);
  return false;
}

void node::handle(link_id_t id, link& l, wire::join_request&& m, time_point now) {
  if (l.kind != link_kind::inbound || l.child) {
    on_protocol_error(id, node_errc::unexpected_message, now);
    return;
  }
  if (!within_join_rate(id, now)) {
    return;
  }
  if (free_slots() == 0) {
    wire::join_redirect redirect;
    redirect.reason = config_.max_children == 0 ? "accepts no children"
                      : attached()              ? "full"
                                                : "not attached";
    // Where the joiner fits: peers of our subtree with room first (as our
    // children last reported), then our children themselves.
    const std::string site = l.peer_hello ? l.peer_hello->site : std::string();
    for (const auto& p : known_candidates(site, false, sample_order::room_first)) {
      if (redirect.candidates.size() < wire::max_redirect_candidates) {
        redirect.candidates.push_back(p.address);
      }
    }
    send(id, redirect);
    counters_.add(counter::children_refused);
    log(log_level::debug, now, "redirected joiner " + describe(l.remote) + ": " + redirect.reason);
    outbox_.push_back(close_action{id, node_errc::join_refused});
    links_.erase(id);
    return;
  }
  l.child = true;
  ++child_count_;
  report_soon(now);
  counters_.add(counter::children_accepted);
  send(id, wire::join_accept{depth_, path_, ancestors_, backups_for(id)});
  log(log_level::info, now,
      "child " + short_id(l.peer_hello->node_id) + " at " + describe(l.remote) + " attached");
  serve_backlog(id, m.resume_from);
}

void node::handle(link_id_t id, link& l, wire::join_accept&& m, time_point now) {
  if (l.kind != link_kind::joining) {
    on_protocol_error(id, node_errc::unexpected_message, now);
    return;
  }
  if (contains(m.path, id_)) {
    counters_.add(counter::loops_refused);
    close_link(id, node_errc::loop_detected, now);
    join_failed("the chosen parent is below this node", now);
    return;
  }
  ancestors_ = std::move(m.ancestors);
  ancestors_.push_back(l.remote);
  backups_ = std::move(m.backups);
  attach(id, l, m.depth, std::move(m.path), now);
}

void node::handle(link_id_t id, link& l, wire::join_redirect&& m, time_point now) {
  if (l.kind != link_kind::joining) {
    on_protocol_error(id, node_errc::unexpected_message, now);
    return;
  }
  const std::string from = describe(l.remote);
  close_link(id, node_errc::join_refused, now);
  counters_.add(counter::join_redirects);
  if (m.candidates.empty() || ++redirects_ > config_.max_redirects) {
    join_failed("redirected by " + from + " (" + m.reason + ") with nowhere left to go", now);
    return;
  }
  log(log_level::debug, now,
      "redirected by " + from + " (" + m.reason + "), probing " +
          std::to_string(m.candidates.size()) + " of its children");
  start_probes(m.candidates, now);
}

void node::handle(link_id_t id, link& l, wire::chunk&& m, time_point now) {
  if (l.kind != link_kind::parent && leaving_parent_ != id) {
    on_protocol_error(id, node_errc::chunk_not_from_parent, now);
    return;
  }
  const bool right_stream = config_.stream_id.empty() || m.stream_id == config_.stream_id;
  if (!right_stream || (config_.verifier && !config_.verifier->verify(m.body, m.signature))) {
    // Forged or altered on the way: drop it, drop the peer, never go back.
    counters_.add(counter::chunks_forged);
    banned_.insert(l.remote);
    if (l.peer_hello) {
      banned_ids_.insert(l.peer_hello->node_id);
    }
    log(log_level::warn, now,
        "chunk " + std::to_string(m.seq) + " from " + describe(l.remote) +
            (right_stream ? " fails the broadcaster's signature" : " is of another stream") +
            "; dropping and banning that peer");
    close_link(id, node_errc::bad_signature, now);
    return;
  }
  accept_chunk(std::make_shared<const wire::chunk>(std::move(m)));
}

void node::handle(link_id_t, link&, wire::heartbeat&&, time_point) {
  // last_heard is already updated.
}

void node::handle(link_id_t id, link& l, wire::leave&& m, time_point now) {
  log(l.kind == link_kind::inbound ? log_level::info : log_level::warn, now,
      describe(l.remote) + " left: " + m.reason);
  if (l.kind == link_kind::parent && !m.handoff.empty() && running_ && !leaving_) {
    // Make-before-break: keep taking chunks from the leaving parent while we
    // join one of the peers it handed us; its link closes once we are in.
    leaving_parent_ = id;
    if (l.peer_hello) {
      avoid_ = l.peer_hello->node_id;
    }
    parent_link_.reset();
    repair_started_ = now;
    counters_.add(counter::parent_losses);
    std::vector<wire::endpoint> targets = m.handoff;
    targets.insert(targets.end(), backups_.begin(), backups_.end());
    repair_round_ = true;
    start_probes(targets, now);
    return;
  }
  const link_kind kind = l.kind;
  outbox_.push_back(close_action{id, node_errc::shutting_down});
  forget(id, now);
  if (kind == link_kind::joining) {
    join_failed("chosen parent left", now);
  }
}

void node::handle(link_id_t id, link&, wire::ping&& m, time_point) {
  wire::pong answer;
  answer.nonce = m.nonce;
  answer.attached = attached();
  answer.depth = depth_;
  answer.free_slots = static_cast<std::uint32_t>(free_slots());
  answer.path = path_;
  send(id, answer);
}

void node::handle(link_id_t id, link& l, wire::pong&& m, time_point now) {
  if (l.kind != link_kind::probe || l.answer || m.nonce != l.nonce) {
    on_protocol_error(id, node_errc::unexpected_message, now);
    return;
  }
  l.rtt = now - l.ping_sent;
  l.answer = std::move(m);
  maybe_choose(now);
}

void node::handle(link_id_t id, link& l, wire::path_update&& m, time_point now) {
  if (leaving_parent_ == id) {
    return;  // we are moving away from it
  }
  if (l.kind != link_kind::parent) {
    on_protocol_error(id, node_errc::unexpected_message, now);
    return;
  }
  if (contains(m.path, id_)) {
    // Our parent now hangs below us: leave it and join again.
    counters_.add(counter::loops_refused);
    close_link(id, node_errc::loop_detected, now);
    return;
  }
  ancestors_ = std::move(m.ancestors);
  ancestors_.push_back(l.remote);
  backups_ = std::move(m.backups);
  std::vector<wire::node_id_t> path = std::move(m.path);
  path.push_back(id_);
  if (path != path_) {
    depth_ = m.depth + 1;
    path_ = std::move(path);
    send_path_updates();
  }
}

void node::handle(link_id_t id, link& l, wire::report&& m, time_point now) {
  if (!l.child) {
    on_protocol_error(id, node_errc::unexpected_message, now);
    return;
  }
  auto same_room = [](const wire::report& a, const wire::report& b) {
    return a.free_slots == b.free_slots &&
           std::equal(a.candidates.begin(), a.candidates.end(), b.candidates.begin(),
                      b.candidates.end(), [](const auto& x, const auto& y) {
                        return x.node_id == y.node_id && x.free_slots == y.free_slots;
                      });
  };
  const bool room_changed = !l.last_report || !same_room(*l.last_report, m);
  if (!m.health.empty() &&
      m.health.front().node_id == (l.peer_hello ? l.peer_hello->node_id : wire::node_id_t{})) {
    m.health.front().address.host = l.remote.host;  // the child's own row
  }
  l.last_report = std::move(m);
  if (room_changed) {
    report_soon(now);
  }
}

void node::handle(link_id_t id, link& l, wire::candidates_request&& m, time_point now) {
  if (l.kind != link_kind::inbound) {
    on_protocol_error(id, node_errc::unexpected_message, now);
    return;
  }
  if (!within_join_rate(id, now)) {
    return;
  }
  // Any attached peer can answer; the broadcaster's view covers the tree.
  send(id, wire::candidates{known_candidates(m.site, true, sample_order::seeds_first)});
}

void node::handle(link_id_t id, link& l, wire::candidates&& m, time_point now) {
  if (l.kind != link_kind::rendezvous) {
    on_protocol_error(id, node_errc::unexpected_message, now);
    return;
  }
  const wire::endpoint from = l.remote;
  close_link(id, node_errc::query_done, now);
  std::vector<wire::endpoint> targets;
  for (const auto& p : m.peers) {
    if (p.node_id != id_) {
      // An empty host names the peer that answered.
      targets.push_back({p.address.host.empty() ? from.host : p.address.host, p.address.port});
    }
  }
  if (targets.empty()) {
    join_failed("the rendezvous knows no peer with room", now);
    return;
  }
  start_probes(targets, now);
}

// ------------------------------------------------------------------- joining

bool node::joining() const {
  return !is_root() && running_ && !parent_link_;
}

void node::start_join(time_point now) {
  rejoin_at_.reset();
  redirects_ = 0;
  counters_.add(counter::join_attempts);
  // The configured rendezvous (the invite link) first; every other attempt
  // the broadcaster itself when we know its address and it differs (the link
  // may name a peer that has gone).
  wire::endpoint target = *config_.rendezvous;
  if (join_attempts_ % 2 == 1 && !ancestors_.empty()) {
    target = ancestors_.front();
  }
  open_link(link_kind::rendezvous, target, now);
}

void node::start_probes(const std::vector<wire::endpoint>& targets, time_point now) {
  close_join_links(std::nullopt);
  std::size_t opened = 0;
  for (const auto& target : targets) {
    if (opened == config_.probe_fanout) {
      break;
    }
    open_link(link_kind::probe, target, now);
    counters_.add(counter::probes_sent);
    ++opened;
  }
  probe_deadline_ = now + config_.probe_timeout;
}

void node::maybe_choose(time_point now) {
  // Choose as soon as every probe has answered or failed.
  for (const auto& [id, l] : links_) {
    if (l.kind == link_kind::probe && !l.answer) {
      return;
    }
  }
  choose_parent(now);
}

void node::choose_parent(time_point now) {
  probe_deadline_.reset();
  std::vector<probe_result> results;
  std::vector<link_id_t> ids;
  for (const auto& [id, l] : links_) {
    if (l.kind != link_kind::probe || !l.answer || !l.answer->attached || !l.peer_hello) {
      continue;
    }
    if (contains(l.answer->path, id_)) {
      counters_.add(counter::loops_refused);
      continue;  // below us: attaching there would close a loop
    }
    if (avoid_ && contains(l.answer->path, *avoid_)) {
      continue;  // below the parent we are leaving: that subtree is going away
    }
    if (banned_.count(l.remote) || banned_ids_.count(l.peer_hello->node_id)) {
      continue;  // it sent us a forged chunk once
    }
    results.push_back(
        {ids.size(), l.rtt, l.answer->depth, l.answer->free_slots, l.peer_hello->site});
    ids.push_back(id);
  }
  const auto best = scoring_.best(results, config_.site);
  if (!best) {
    close_join_links(std::nullopt);
    join_failed("no probed candidate could take a child", now);
    return;
  }
  const link_id_t chosen = ids[best->index];
  close_join_links(chosen);
  link& l = links_.at(chosen);
  l.kind = link_kind::joining;
  wire::join_request request;
  if (auto last = window_.last_seq()) {
    request.resume_from = *last + 1;
  }
  send(chosen, request);
}

void node::join_failed(const std::string& why, time_point now) {
  if (!joining()) {
    return;
  }
  close_join_links(std::nullopt);
  probe_deadline_.reset();
  if (repair_round_) {
    repair_round_ = false;
    log(log_level::info, now,
        "no ancestor or backup could take us (" + why + "); asking the rendezvous");
    start_join(now);
    return;
  }
  ++join_attempts_;
  if (config_.max_join_attempts > 0 && join_attempts_ >= config_.max_join_attempts) {
    const std::string reason =
        "cannot join the tree after " + std::to_string(join_attempts_) + " attempts; last: " + why;
    log(log_level::error, now, reason);
    outbox_.push_back(give_up_action{reason});
    rejoin_at_.reset();
    return;
  }
  log(log_level::warn, now, "join attempt failed: " + why);
  rejoin_at_ = now + backoff_;
  backoff_ = std::min(backoff_ * 2, config_.reconnect_max);
}

void node::attach(link_id_t id, link& l, std::uint32_t parent_depth,
                  std::vector<wire::node_id_t> parent_path, time_point now) {
  l.kind = link_kind::parent;
  parent_link_ = id;
  avoid_.reset();
  depth_ = parent_depth + 1;
  path_ = std::move(parent_path);
  path_.push_back(id_);
  join_attempts_ = 0;
  redirects_ = 0;
  backoff_ = config_.reconnect_min;
  probe_deadline_.reset();
  close_join_links(id);
  report_soon(now);
  counters_.add(counter::parent_attaches);
  repair_round_ = false;
  log(log_level::info, now,
      "attached to " + describe(l.remote) + " at depth " + std::to_string(depth_));
  if (leaving_parent_) {
    // Make-before-break complete: the new parent serves from our next
    // missing chunk, so the old one can go.
    const link_id_t old = *leaving_parent_;
    leaving_parent_.reset();
    close_link(old, node_errc::parent_replaced, now);
  }
  send_path_updates();
}

void node::send_path_updates() {
  for (const auto& [child_id, child] : links_) {
    if (child.child) {
      send(child_id, wire::path_update{depth_, path_, ancestors_, backups_for(child_id)});
    }
  }
}

std::vector<wire::endpoint> node::backups_for(link_id_t child) {
  // Peers with room outside `child`'s subtree: our other children and what
  // they reported. Not ourselves: we are what the child would be replacing.
  std::set<wire::node_id_t> below_child;
  if (const auto it = links_.find(child); it != links_.end()) {
    if (it->second.peer_hello) {
      below_child.insert(it->second.peer_hello->node_id);
    }
    if (it->second.last_report) {
      for (const auto& c : it->second.last_report->candidates) {
        below_child.insert(c.node_id);
      }
    }
  }
  std::vector<wire::endpoint> out;
  for (const auto& p : known_candidates("", false, sample_order::room_first)) {
    if (out.size() == max_backups) {
      break;
    }
    if (!below_child.count(p.node_id) && p.free_slots > 0) {
      out.push_back(p.address);
    }
  }
  return out;
}

void node::detach(time_point now) {
  parent_link_.reset();
  counters_.add(counter::parent_losses);
  if (!running_ || leaving_) {
    return;
  }
  repair_started_ = now;
  // Grandparent first, then the other ancestors, then the backups our parent
  // gave us, probed in parallel; the rendezvous only if none of them can
  // take us (so repair works while the rendezvous is down).
  std::vector<wire::endpoint> targets;
  if (!ancestors_.empty()) {
    for (auto it = ancestors_.rbegin() + 1; it != ancestors_.rend(); ++it) {
      targets.push_back(*it);
    }
  }
  targets.insert(targets.end(), backups_.begin(), backups_.end());
  if (targets.empty()) {
    start_join(now);
    return;
  }
  repair_round_ = true;
  start_probes(targets, now);
}

void node::close_join_links(std::optional<link_id_t> keep) {
  std::vector<link_id_t> done;
  for (const auto& [id, l] : links_) {
    if ((l.kind == link_kind::probe || l.kind == link_kind::joining) && id != keep) {
      done.push_back(id);
    }
  }
  for (link_id_t id : done) {
    outbox_.push_back(close_action{id, node_errc::probe_done});
    links_.erase(id);
  }
}

// ------------------------------------------------------------------- serving

void node::on_source_chunk(wire::chunk c, time_point now) {
  now_ = now;
  if (!is_root() || !running_) {
    return;
  }
  accept_chunk(std::make_shared<const wire::chunk>(std::move(c)));
}

void node::accept_chunk(shared_chunk c) {
  switch (window_.insert(c)) {
    case chunk_window::insert_result::duplicate:
      counters_.add(counter::chunks_duplicate);
      return;
    case chunk_window::insert_result::too_old:
      counters_.add(counter::chunks_too_old);
      return;
    case chunk_window::insert_result::inserted:
      break;
  }
  counters_.add(counter::chunks_received);
  counters_.add(counter::chunk_bytes_received, c->frame->size());
  if (highest_seq_ && c->seq > *highest_seq_ + 1) {
    counters_.add(counter::chunks_missed, c->seq - *highest_seq_ - 1);
  }
  if (!highest_seq_ || c->seq > *highest_seq_) {
    highest_seq_ = c->seq;
  }
  last_chunk_at_ = now_;
  if (repair_started_ && parent_link_) {
    repairs_.push_back(now_ - *repair_started_);
    if (repairs_.size() > max_repairs_kept) {
      repairs_.erase(repairs_.begin());
    }
    counters_.add(counter::repairs);
    repair_started_.reset();
  }
  for (auto& [id, l] : links_) {
    if (l.child) {
      send_chunk(id, l, *c);
    }
  }
  outbox_.push_back(deliver_action{std::move(c)});
}

void node::serve_backlog(link_id_t child, std::optional<wire::seq_t> resume_from) {
  std::optional<wire::seq_t> start;
  const auto first = window_.first_seq();
  const auto last = window_.last_seq();
  if (resume_from && first && *resume_from >= *first && *resume_from <= *last + 1) {
    start = resume_from;
  } else {
    start = window_.newest_keyframe();
  }
  if (!start) {
    return;
  }
  link& l = links_.at(child);
  for (const shared_chunk& c : window_.from(*start)) {
    send_chunk(child, l, *c);
  }
}

void node::send_chunk(link_id_t id, link& l, const wire::chunk& c) {
  // The per-chunk path: the shared frame as received, no lookup, no copy.
  l.last_sent = now_;
  outbox_.push_back(send_action{id, c.frame});
  counters_.add(counter::chunks_sent);
  counters_.add(counter::chunk_bytes_sent, c.frame->size());
}

std::vector<wire::peer_summary> node::known_candidates(const std::string& site, bool include_self,
                                                       sample_order order) {
  std::vector<known_peer> pool;
  if (include_self && free_slots() > 0) {
    // Its host is left empty: the joiner knows it already, as the address it
    // asked.
    wire::peer_summary self;
    self.node_id = id_;
    self.address = {"", config_.listen_port};
    self.depth = depth_;
    self.free_slots = static_cast<std::uint32_t>(free_slots());
    self.site = config_.site;
    self.role = config_.role;
    pool.push_back({self, true});
  }
  for (const auto& [id, l] : links_) {
    if (!l.child || !l.peer_hello || l.peer_hello->listen_port == 0) {
      continue;
    }
    wire::peer_summary child;
    child.node_id = l.peer_hello->node_id;
    child.address = {l.remote.host, l.peer_hello->listen_port};
    child.depth = depth_ + 1;
    child.free_slots = l.last_report ? l.last_report->free_slots : 0;
    child.site = l.peer_hello->site;
    child.role = l.peer_hello->role;
    pool.push_back({std::move(child), true});
    if (l.last_report) {
      for (const auto& deeper : l.last_report->candidates) {
        pool.push_back({deeper, false});
      }
    }
  }
  return sample_candidates(std::move(pool), site, config_.candidate_sample, order, random_);
}

wire::report node::make_report() {
  wire::report r;
  r.subtree_size = subtree_size();
  r.subtree_depth = subtree_depth();
  r.free_slots = static_cast<std::uint32_t>(free_slots());
  r.viewers = subtree_viewers();
  r.relays = subtree_relays();
  r.chunks_missed = subtree_chunks_missed();
  r.health = subtree_health(config_.max_health_entries);
  // Our children and their samples; the parent adds us itself.
  r.candidates = known_candidates("", false, sample_order::seeds_first);
  return r;
}

void node::send_reports(time_point now) {
  next_report_ = now + config_.report_interval;
  if (parent_link_) {
    last_report_sent_ = now;
    send(*parent_link_, make_report());
  }
}

void node::report_soon(time_point now) {
  // The subtree changed: tell the parent within report_min_interval rather
  // than at the next regular report, so the rendezvous stays fresh.
  const time_point soonest = std::max(now, last_report_sent_ + config_.report_min_interval);
  if (next_report_ && soonest < *next_report_) {
    next_report_ = soonest;
  }
}

void node::send_heartbeats(time_point now) {
  next_heartbeat_ = now + config_.heartbeat_interval;
  const duration silence_limit = config_.heartbeat_interval * config_.heartbeat_misses;
  std::vector<link_id_t> silent;
  for (const auto& [id, l] : links_) {
    if (!l.connected) {
      continue;  // the driver bounds connection attempts itself
    }
    if (now - l.last_heard > silence_limit) {
      silent.push_back(id);
    } else if (l.peer_hello && now - l.last_sent >= config_.heartbeat_interval) {
      // Only idle links need one: chunks and reports prove liveness too.
      send(id, wire::heartbeat{static_cast<std::uint64_t>(now.time_since_epoch().count())});
    }
  }
  for (link_id_t id : silent) {
    counters_.add(counter::heartbeat_timeouts);
    const bool was_joining = links_.at(id).kind == link_kind::joining;
    close_link(id, node_errc::heartbeat_timeout, now);
    if (was_joining) {
      join_failed("chosen parent went silent", now);
    }
  }
}

// ---------------------------------------------------------------- the timer

void node::on_timer(time_point now) {
  now_ = now;
  if (!running_) {
    return;
  }
  if (rejoin_at_ && now >= *rejoin_at_) {
    start_join(now);
  }
  if (probe_deadline_ && now >= *probe_deadline_) {
    choose_parent(now);
  }
  if (next_report_ && now >= *next_report_) {
    send_reports(now);
  }
  if (next_heartbeat_ && now >= *next_heartbeat_) {
    send_heartbeats(now);
  }
  if (next_backups_ && now >= *next_backups_) {
    next_backups_ = now + config_.backup_interval;
    send_path_updates();
  }
  if (parent_link_ && last_chunk_at_ && now - *last_chunk_at_ > config_.starvation_timeout) {
    // The parent answers heartbeats but sends no stream: find another.
    last_chunk_at_.reset();
    close_link(*parent_link_, node_errc::starved, now);
  }
  if (leaving_ && leave_deadline_ && now >= *leave_deadline_) {
    finish_leave(now);
  }
}

std::optional<time_point> node::next_deadline() const {
  std::optional<time_point> next;
  std::optional<time_point> starving;
  if (parent_link_ && last_chunk_at_) {
    starving = *last_chunk_at_ + config_.starvation_timeout + std::chrono::milliseconds(1);
  }
  for (const auto& t : {next_heartbeat_, next_report_, rejoin_at_, probe_deadline_, next_backups_,
                        leave_deadline_, starving}) {
    if (t && (!next || *t < *next)) {
      next = t;
    }
  }
  return next;
}

std::vector<action> node::take_actions() {
  std::vector<action> out;
  out.swap(outbox_);
  return out;
}

// --------------------------------------------------------------------- links

link_id_t node::open_link(link_kind kind, const wire::endpoint& to, time_point now) {
  const link_id_t id = next_link_id_++;
  link& l = links_[id];
  l.kind = kind;
  l.remote = to;
  l.last_heard = now;
  outbox_.push_back(connect_action{id, to});
  return id;
}

void node::close_link(link_id_t id, std::error_code why, time_point now) {
  auto it = links_.find(id);
  if (it == links_.end()) {
    return;
  }
  if (why.category() != node_category() || why == node_errc::loop_detected ||
      why == node_errc::heartbeat_timeout || why == node_errc::hello_expected ||
      why == node_errc::unexpected_message || why == node_errc::chunk_not_from_parent) {
    log(log_level::warn, now,
        "closing link to " + describe(it->second.remote) + ": " + why.message());
  }
  outbox_.push_back(close_action{id, why});
  forget(id, now);
}

void node::forget(link_id_t id, time_point now) {
  auto it = links_.find(id);
  if (it == links_.end()) {
    return;
  }
  if (it->second.child) {
    --child_count_;
    report_soon(now);
  }
  const bool was_probe = it->second.kind == link_kind::probe;
  if (parent_link_ == id && it->second.peer_hello) {
    avoid_ = it->second.peer_hello->node_id;  // its subtree is no home for us now
  }
  links_.erase(it);
  if (parent_link_ == id) {
    detach(now);
  } else if (leaving_parent_ == id) {
    leaving_parent_.reset();  // the handoff round goes on; chunks resume once attached
  } else if (was_probe && probe_deadline_) {
    maybe_choose(now);
  }
  if (leaving_ && child_count_ == 0) {
    finish_leave(now);
  }
}

void node::send(link_id_t id, const wire::message& m) {
  send_frame(id, wire::encode_frame(m));
}

void node::send_frame(link_id_t id, const wire::shared_bytes& frame) {
  if (auto it = links_.find(id); it != links_.end()) {
    it->second.last_sent = now_;
  }
  outbox_.push_back(send_action{id, frame});
}

wire::hello node::my_hello() const {
  wire::hello h;
  h.node_id = id_;
  h.listen_port = config_.listen_port;
  h.role = config_.role;
  h.site = config_.site;
  h.token = config_.token;
  return h;
}

void node::log(log_level level, time_point now, const std::string& text) const {
  if (log_) {
    log_(level, now, text);
  }
}

}  // namespace treecast::core
