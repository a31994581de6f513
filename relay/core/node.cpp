#include "core/node.hpp"

#include "core/child_pacing.hpp"
#include "core/errors.hpp"
#include "core/report_change.hpp"
#include "core/silence_rule.hpp"
#include "wire/codec.hpp"
#include "wire/errors.hpp"

namespace treecast::core {
namespace {

// How many times longer a parent may stay silent to a peer whose player
// found its downlink narrow (node::parent_silence_deadline): as long as
// any link may (heartbeat_misses), its own queue and TCP's backoff on it
// making silences of most of a second.
constexpr int narrow_downlink_patience = 2;

// A would-be or held standby child whose siblings already take the room we
// could give them when their parent fails.
constexpr char siblings_fit_refusal[] = "holds as many of your siblings as fit";

}  // namespace

node::node(node_config config, wire::node_id_t id, std::uint64_t seed, log_sink log)
    : ctx_(std::move(config), id, seed, std::move(log)),
      links_(ctx_),
      capacity_(site_inference(ctx_.config.same_site_rtt)),
      position_(ctx_.id, ctx_.is_root()),
      renditions_(ctx_, links_),
      children_(ctx_, links_, renditions_),
      reach_(ctx_, links_, children_),
      uploads_(ctx_, children_),
      subtree_(ctx_, links_, children_, position_, coordinate_),
      forwarder_(ctx_),
      finder_(ctx_, links_, position_, children_, forwarder_.window(), coordinate_, renditions_),
      joins_(ctx_.config),
      standby_(ctx_, links_, position_, forwarder_.window(), renditions_, finder_.timing()),
      standby_children_(ctx_, links_, renditions_, children_),
      improver_(ctx_, position_) {}

// ---------------------------------------------------------------- lifecycle

void node::start(time_point now) {
  begin_input(now);
  running_ = true;
  next_heartbeat_ = now + sweep_interval();
  uploads_.start();
  subtree_.start();
  next_backups_ = now + ctx_.config.backup_interval;
  finder_.start();
  end_input();
}

void node::stop(time_point now) {
  begin_input(now);
  running_ = false;
  for (const auto& [id, l] : links_) {
    if (l.connected) {
      links_.send(id, wire::leave{"shutting down", {}});
    }
    ctx_.act(close_action{id, node_errc::shutting_down});
  }
  links_.clear();
  children_.clear();
  reach_.clear();
  uploads_.stop();
  standby_.stop();
  standby_children_.clear();
  position_.lose_parent();
  finder_.stop();
  improver_.stop();
  subtree_.stop();
  next_heartbeat_.reset();
  next_backups_.reset();
  leave_deadline_.reset();
  leaving_ = false;
  stopped_ = true;
  ctx_.log(log_level::info, "stopped");
}

void node::leave(time_point now) {
  begin_input(now);
  if (!running_ || leaving_) {
    return;
  }
  const std::vector<wire::endpoint> handoff = position_.handoff_targets(parent_endpoint(), 4);
  if (children_.count() == 0 || handoff.empty()) {
    stop(now);
    return;
  }
  leaving_ = true;
  leave_deadline_ = now + ctx_.config.leave_linger;
  for (const auto& [id, c] : children_) {
    links_.send(id, wire::leave{"leaving; join one of these", handoff});
  }
  ctx_.log(log_level::info,
           "leaving: handing " + std::to_string(children_.count()) + " children to my parent");
  end_input();
}

void node::finish_leave() {
  if (leaving_) {
    stop(ctx_.now);
  }
}

void node::end_input() {
  if (const auto spare = finder_.take_spare()) {
    standby_.adopt(*spare);  // the join round's runner-up: our standby-to-be
  }
  // A peer whose queue passed the bound stopped reading: drop it now, at
  // once (its queued frames would never be read), as if its link had failed.
  for (const link_id_t id : links_.take_overflowed()) {
    drop(id, node_errc::send_queue_full);
  }
  ask_for_renditions();
}

void node::ask_for_renditions() {
  renditions_.refresh(children_.wanted() | standby_children_.wanted());
  if (const auto parent = position_.parent()) {
    renditions_.tell(*parent);
  }
  if (const auto standby = standby_.held()) {
    renditions_.tell(*standby);
  }
}

void node::want_renditions(wire::rendition_set set, bool narrow, time_point now) {
  begin_input(now);
  renditions_.set_own(set);
  // Children wanting the full rendition would only make a narrow downlink worse.
  if (narrow != children_.narrow_downlink()) {
    children_.set_narrow_downlink(narrow);
    subtree_.report_soon();
    ctx_.log(log_level::info, narrow ? "playing below the full rendition: taking no children"
                                     : "playing the full rendition again: taking children");
    shed_children_of_narrow_downlink();
  }
  end_input();
}

// ------------------------------------------------------------------- views

bool node::attached() const {
  return is_root() ? running_ : position_.has_parent();
}

std::optional<wire::endpoint> node::parent_endpoint() const {
  const auto parent = position_.parent();
  if (!parent) {
    return std::nullopt;
  }
  return links_.at(*parent).remote;
}

std::size_t node::free_slots() const {
  return children_.free_slots(attached() && !leaving_);
}

// -------------------------------------------------------------- link inputs

void node::on_wall_clock(std::int64_t unix_us, time_point now) {
  begin_input(now);
  ctx_.set_wall_clock(unix_us);
}

link_id_t node::on_link_accepted(const wire::endpoint& remote, time_point now) {
  begin_input(now);
  const bool full = links_.inbound_links() - children_.count() >= ctx_.config.max_links ||
                    links_.unadmitted_links() >= ctx_.config.max_unadmitted_links;
  const link_id_t id = links_.accept(remote);
  links_.send(id, links_.my_hello());
  if (full) {
    // Told why, so an honest joiner comes back later.
    ctx_.count_and_log(counter::links_refused, 1000, "too many links: turning new peers away");
    turn_away(id, "busy: too many links, try again shortly", node_errc::too_many_links);
  }
  end_input();
  return id;
}

void node::on_link_connected(link_id_t id, time_point now) {
  begin_input(now);
  if (link* l = links_.find(id)) {  // else closed meanwhile
    l->connected = true;
    l->last_heard = now;
    l->last_stream_heard = now;
    links_.send(id, links_.my_hello());
    finder_.on_connected(id, *l);
    standby_.on_connected(id);
  }
  end_input();
}

void node::on_link_closed(link_id_t id, std::error_code why, time_point now) {
  begin_input(now);
  const link* l = links_.find(id);
  if (!l) {
    return;
  }
  const link_kind kind = l->kind;
  const bool broke_protocol = why.category() == wire::wire_category();  // e.g. truncated frame
  if (broke_protocol) {
    ctx_.stats.add(counter::protocol_errors);
  }
  const bool parent = kind == link_kind::parent;
  if (broke_protocol || parent || children_.contains(id)) {
    ctx_.log(broke_protocol || parent ? log_level::warn : log_level::info,
             "link to " + describe(l->remote) + " closed: " + why.message());
  } else {
    ctx_.log(log_level::debug, "link to " + describe(l->remote) + " closed: " + why.message());
  }
  forget(id);
  finder_.on_link_failed(kind, why);
  end_input();
}

bool node::on_link_written(link_id_t id, std::size_t bytes, time_point now) {
  begin_input(now);
  links_.on_written(id, bytes);
  return children_.on_written(id);
}

void node::on_link_heard(link_id_t id, time_point now) {
  begin_input(now);
  if (link* l = links_.find(id)) {
    l->last_heard = now;
    l->last_stream_heard = now;
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
  begin_input(now);
  protocol_error(id, why);
  end_input();
}

void node::on_message(link_id_t id, wire::message message, time_point now) {
  begin_input(now);
  link* l = links_.find(id);
  if (!l) {
    return;
  }
  l->last_heard = now;
  if (!std::holds_alternative<wire::heartbeat>(message)) {
    l->last_stream_heard = now;
  }
  if (!l->peer_hello && !std::holds_alternative<wire::hello>(message)) {
    protocol_error(id, node_errc::hello_expected);
  } else if (!std::holds_alternative<wire::chunk>(message) && !links_.within_message_rate(*l)) {
    protocol_error(id, node_errc::flooding);
  } else {
    std::visit([&](auto&& m) { handle(id, *l, std::move(m)); }, std::move(message));
  }
  end_input();
}

void node::protocol_error(link_id_t id, std::error_code why) {
  ctx_.stats.add(counter::protocol_errors);
  drop(id, why);
}

void node::drop(link_id_t id, std::error_code why) {
  const link* l = links_.find(id);
  if (!l) {
    return;  // gone already, by an earlier consequence
  }
  const link_kind kind = l->kind;
  close_link(id, why);
  finder_.on_link_failed(kind, why);  // a round that relied on it fails
}

void node::turn_away(link_id_t id, const std::string& reason, node_errc why) {
  links_.send(id, wire::leave{reason, {}});
  close_link(id, why);
}

// ------------------------------------------------------------------ handlers

void node::handle(link_id_t id, link& l, wire::hello&& m) {
  std::string refusal;
  const std::error_code ec = links_.admit(l, std::move(m), refusal);
  if (!ec) {
    // Our check of a child, answered: the next report offers it (sooner
    // cost every report up the path again, ~15% more control bytes in a
    // settled tree of 1 000 in treecast-sim, for no clear gain in joins).
    reach_.on_hello(id);
    return;
  }
  if (ec != node_errc::unauthorized) {
    protocol_error(id, ec);
    return;
  }
  const link_kind kind = l.kind;
  const std::string where = describe(l.remote);
  refuse(id, l, refusal);
  if (kind == link_kind::rendezvous) {
    // The address in our link is no peer of this stream: trying again will
    // not change that.
    finder_.give_up("the rendezvous at " + where + " is not a peer of this stream (" + refusal +
                    "): check the link");
  }
}

void node::refuse(link_id_t id, const link& l, const std::string& why) {
  ctx_.stats.add(counter::peers_unauthorized);
  ctx_.log(log_level::warn, "refused " + describe(l.remote) + ": " + why);
  turn_away(id, "refused: " + why, node_errc::unauthorized);
}

bool node::within_join_rate(link_id_t id, bool query) {
  const std::string& host = links_.at(id).remote.host;
  if (query ? joins_.allow_query(host, ctx_.now) : joins_.allow_join(host, ctx_.now)) {
    return true;
  }
  ctx_.count_and_log(counter::joins_rate_limited, 100, "too many joins: refusing some");
  turn_away(id, "busy: too many joins, try again shortly", node_errc::rate_limited);
  return false;
}

void node::handle(link_id_t id, link& l, wire::join_request&& m) {
  if (l.kind != link_kind::inbound || children_.contains(id)) {
    protocol_error(id, node_errc::unexpected_message);
    return;
  }
  if (!within_join_rate(id, false)) {
    return;
  }
  if (!m.resume_from) {
    // A newcomer (nothing to resume): its invite must still be valid.
    if (const auto refused = links_.newcomer_refusal(l)) {
      refuse(id, l, *refused);
      return;
    }
  }
  const bool address_full =
      ctx_.config.max_children_per_address > 0 &&
      children_.from_host(l.remote.host) >= ctx_.config.max_children_per_address;
  const bool adoptee = slot_kept_for(l);
  const bool promised =
      (standby_children_.contains(id) && children_.room_for_promotion(attached() && !leaving_)) ||
      adoptee;
  const bool full = free_slots() == 0 && !promised;
  std::optional<link_id_t> gives_way;
  if (full && !address_full) {
    gives_way = child_giving_way(l, m);
  }
  if ((full && !gives_way) || address_full) {
    const wire::join_redirect redirect =
        redirect_for(l,
                     address_full && free_slots() > 0 ? "enough children from your address"
                                                      : children_.refusal(attached()),
                     m.where);
    ctx_.stats.add(counter::children_refused);
    ctx_.log(log_level::debug, "redirected joiner " + describe(l.remote) + ": " + redirect.reason);
    ctx_.emit(child_refused_event{l.remote, redirect.reason});
    send_away(id, redirect);
    return;
  }
  children_.add(id, l, duration(m.rtt_us));
  l.wants = m.renditions;
  l.downlink_kbps = m.downlink_kbps;
  pace_child(id, l);
  standby_children_.remove(id);  // a standby child promoting itself
  release_standby_children_beyond_room();
  subtree_.report_soon();
  ctx_.stats.add(counter::children_accepted);
  const wire::path_update& told = children_.find(id)->told.emplace(lineage_for(id));
  wire::join_accept accept;
  accept.depth = told.depth;
  accept.path = told.path;
  accept.ancestors = told.ancestors;
  accept.backups = told.backups;
  accept.root_delay_us = told.root_delay_us;
  accept.site_entry_hops = told.site_entry_hops;
  if (gives_way) {
    accept.adoptee = links_.at(*gives_way).peer_hello->node_id;
  }
  links_.send(id, accept);
  ctx_.log(log_level::info,
           "child " + short_id(l.peer_hello->node_id) + " at " + describe(l.remote) + " attached");
  reach_.start(id);
  if (gives_way) {
    move_out(*gives_way, l);  // before the joiner's backlog: the child learns at once
  }
  if (adoptee && children_.count() > ctx_.config.max_children && !children_.moving_out()) {
    // We rose full, in its place: one of the others goes below it.
    if (const auto shed = capacity_.to_shed(children_.capacities(), id,
                                            {0, {l.peer_hello->site, m.where}, here()})) {
      move_out(*shed, l);
    }
  }
  children_.serve_backlog(id, forwarder_.window(), m.resume_from);
}

std::optional<link_id_t> node::child_giving_way(const link& l, const wire::join_request& m) const {
  // A standby child that switched to us holds the headroom slot: one child
  // over our slots is the most, so none gives way then either. (Pongs and
  // reports still offer the place meanwhile, as may_give_place says.)
  if (!m.can_adopt || !may_give_place() || children_.count() > ctx_.config.max_children ||
      l.peer_hello->listen_port == 0) {
    return std::nullopt;
  }
  return capacity_.gives_way(
      children_.capacities(),
      {l.peer_hello->max_children, {l.peer_hello->site, m.where}, here(), duration(m.rtt_us)});
}

bool node::may_give_place() const {
  // One child over our slots at most: none gives way while one moves out or
  // while a slot is kept for one moving in.
  return free_slots() == 0 && attached() && !leaving_ && !children_.moving_out() &&
         !children_.keeping_slot() && !children_.leaf();
}

std::uint32_t node::room_for_strong() const {
  return may_give_place() ? capacity_.room_for(children_.capacities(), {0, {}, here()}) : 0;
}

bool node::may_rise() const {
  // Clearly stronger than our parent implies strong (capacity_policy); a
  // peer nobody can reach is strong for no one.
  return !children_.leaf() &&
         capacity_policy::strong(static_cast<std::uint32_t>(ctx_.config.max_children));
}

bool node::slot_kept_for(const link& l) const {
  return attached() && !leaving_ && children_.reserved_for(l.peer_hello->node_id);
}

void node::move_out(link_id_t child, const link& joiner) {
  // The joiner first; the child's backups in case the joiner cannot take it.
  std::vector<wire::endpoint> targets{{joiner.remote.host, joiner.peer_hello->listen_port}};
  for (auto& backup : subtree_.backups_for(child, self())) {
    if (targets.size() < wire::max_redirect_candidates) {
      targets.push_back(std::move(backup));
    }
  }
  links_.send(child, wire::move{std::move(targets)});
  children_.start_move_out(child, ctx_.now + ctx_.config.move_out_timeout);
  ctx_.stats.add(counter::children_moved_out);
  ctx_.log(log_level::info, "full: " + describe(joiner.remote) + " takes a child's place; asked " +
                                describe(links_.at(child).remote) + " to move below it");
}

void node::shed_children_of_narrow_downlink() {
  if (children_.narrow_downlink() && children_.count() > 0) {
    hand_off_child(children_.begin()->first, "our downlink does not carry the full rendition");
  }
}

void node::hand_off_slow_child(link_id_t child) {
  const link& l = links_.at(child);
  const auto queued_ms =
      static_cast<long long>(1000.0 * static_cast<double>(l.queued_bytes + l.held_bytes) /
                             uploads_.stream_bytes_per_second());
  hand_off_child(child, "child at " + describe(l.remote) + " does not keep up (" +
                            std::to_string(queued_ms) + " ms of stream queued to it)");
}

void node::hand_off_child(link_id_t child, const std::string& why) {
  if (children_.moving_out()) {
    return;  // one at a time
  }
  std::vector<wire::endpoint> targets = subtree_.backups_for(child, self());
  if (targets.empty()) {
    return;  // nowhere to go: it stays (dropped if its queue reaches the bound)
  }
  links_.send(child, wire::move{std::move(targets)});
  children_.start_move_out(child, ctx_.now + ctx_.config.move_out_timeout);
  ctx_.stats.add(counter::children_handed_off);
  ctx_.log(log_level::info, why + ": asked a child to move to a peer with room");
}

namespace {

// Who asks on `l`, sitting at `where`, for a sample of candidates.
place requester_on(const link& l, const std::optional<wire::coordinate>& where) {
  return {l.peer_hello ? l.peer_hello->site : std::string(), where};
}

wire::join_redirect redirect_among(std::string reason,
                                   const std::vector<wire::peer_summary>& peers) {
  wire::join_redirect redirect;
  redirect.reason = std::move(reason);
  for (const auto& p : peers) {
    if (redirect.candidates.size() < wire::max_redirect_candidates) {
      redirect.candidates.push_back(p.address);
    }
  }
  return redirect;
}

}  // namespace

wire::join_redirect node::redirect_for(const link& l, std::string reason,
                                       const std::optional<wire::coordinate>& where) {
  // Where the joiner fits: peers of our subtree with room first (as our
  // children last reported), then our children themselves.
  // Not counted in handout_ledger: a repair's orphans, redirected at once,
  // stalled longer when the next ones were handed farther peers.
  return redirect_among(
      std::move(reason),
      subtree_.candidates(requester_on(l, where), false, sample_order::room_first, self(), {},
                          peer_id(l), l.peer_hello ? l.peer_hello->max_children : 0));
}

wire::join_redirect node::standby_redirect_for(const link& l, std::string reason,
                                               std::span<const wire::node_id_t> path) {
  auto peers = subtree_.candidates(requester_on(l, std::nullopt), false, sample_order::room_first,
                                   self(), path, peer_id(l), 0);
  // A standby child switches to its holder's free slot: a peer without one
  // (a leaf nobody can reach among them) would cost it a connection for
  // nothing.
  std::erase_if(peers, [](const wire::peer_summary& p) { return p.free_slots == 0; });
  return redirect_among(std::move(reason), peers);
}

void node::handle(link_id_t id, link& l, wire::standby_request&& m) {
  if (standby_children_.contains(id)) {
    // Held already: it became the asker's first standby, or its second.
    standby_children_.set_have_interval(id, m.have_interval_ms);
    return;
  }
  // Its path runs from the broadcaster through its parent to itself.
  if (l.kind != link_kind::inbound || children_.contains(id) || m.path.size() < 2) {
    protocol_error(id, node_errc::unexpected_message);
    return;
  }
  if (!within_join_rate(id, true)) {
    return;
  }
  const wire::node_id_t& its_parent = m.path[m.path.size() - 2];
  const bool room = attached() && free_slots() > 0;
  const bool siblings_fit =
      standby_children_.of_parent(its_parent) < children_.promotion_room(attached() && !leaving_);
  if (room && standby_children_.has_room() && siblings_fit) {
    l.wants = m.renditions;
    l.downlink_kbps = m.downlink_kbps;
    pace_child(id, l);
    standby_children_.add(id, std::move(m.path), standby_offer(), m.have_interval_ms);
    return;
  }
  // Peers with room outside the asker's parent's subtree (they would fail
  // with the parent) and its own.
  const std::string why = !room                           ? children_.refusal(attached())
                          : !standby_children_.has_room() ? "no room for another standby"
                                                          : siblings_fit_refusal;
  send_away(id, standby_redirect_for(l, why, m.path));
}

void node::send_away(link_id_t id, const wire::join_redirect& redirect) {
  links_.send(id, redirect);
  ctx_.act(close_action{id, node_errc::join_refused});
  // A standby child switching to us when its place is gone is no longer
  // held either (else it would count among its siblings, and be announced to).
  standby_children_.remove(id);
  links_.remove(id);
}

void node::handle(link_id_t id, link& l, wire::standby_offer&& m) {
  if (l.kind == link_kind::joining || l.kind == link_kind::parent) {
    return;  // sent before it heard our JoinRequest: it is our parent now
  }
  if (!standby_.on_offer(id, l, std::move(m))) {
    protocol_error(id, node_errc::unexpected_message);
    return;
  }
  promote_late_standby();
}

void node::promote_late_standby() {
  // Asked while we had a parent, it offered after we lost it: one
  // JoinRequest on a link already up beats the round under way (a connect,
  // a handshake and a probe to each target, then the JoinRequest). Not
  // once we asked a chosen parent: its answer is nearer.
  if (!running_ || leaving_ || !finder_.seeking_candidates()) {
    return;
  }
  const auto lost = position_.latest_parent_id();
  if (const auto standby = standby_.take_for(lost)) {
    ctx_.log(log_level::info, "the warm standby offered while we looked for a parent; joining it");
    promote(*standby, lost, position_.repair_targets());
  }
}

void node::handle(link_id_t id, link& l, wire::have&& m) {
  if (l.kind == link_kind::joining || l.kind == link_kind::parent) {
    return;  // sent before it heard our JoinRequest: it is our parent now
  }
  if (!standby_.on_have(id, m)) {
    protocol_error(id, node_errc::unexpected_message);
    return;
  }
  check_parent_pace();  // the parent may be late already
}

void node::handle(link_id_t id, link& l, wire::move&& m) {
  if (position_.feeder() == id) {
    return;  // already moving off it
  }
  if (l.kind != link_kind::parent) {
    protocol_error(id, node_errc::unexpected_message);
    return;
  }
  if (!running_ || leaving_) {
    return;
  }
  ctx_.log(log_level::info,
           "parent " + describe(l.remote) + " gave our slot to a stronger peer; moving below it");
  finder_.start_move(m.targets);
}

void node::handle(link_id_t id, link& l, wire::fetch&& m) {
  if (!standby_children_.contains(id)) {
    protocol_error(id, node_errc::unexpected_message);
    return;
  }
  if (!standby_children_.serve_fetch(id, m, forwarder_.window())) {
    ctx_.log(log_level::warn, describe(l.remote) + " fetched chunk " + std::to_string(m.from_seq) +
                                  " again; dropping it as a flood");
    protocol_error(id, node_errc::flooding);
  }
}

void node::handle(link_id_t id, link& l, wire::subscribe&& m) {
  if (!children_.contains(id) && !standby_children_.contains(id)) {
    protocol_error(id, node_errc::unexpected_message);
    return;
  }
  l.wants = m.renditions;  // from the next chunk on; end_input asks our parent for it
  pace_child(id, l);
}

void node::pace_child(link_id_t id, const link& l) {
  if (l.downlink_kbps > 0) {
    const double stream = stream_bytes_per_second(forwarder_.window(), l.wants);
    ctx_.act(pace_action{id, static_cast<std::uint64_t>(child_pace(l.downlink_kbps, stream))});
  }
}

void node::handle(link_id_t, link& l, wire::reachability&& m) {
  if (l.kind != link_kind::parent) {
    // A parent we have just left may have checked us: its word no longer
    // matters (the new one checks again).
    ctx_.log(log_level::debug, "reachability from " + describe(l.remote) + ", not our parent");
    return;
  }
  const bool was_unreachable = children_.unreachable();
  if (!children_.set_reachable(m.reachable)) {
    return;
  }
  ctx_.emit(reachability_event{m.reachable, m.seen_as});
  subtree_.report_soon();
  if (m.reachable) {
    ctx_.log(was_unreachable ? log_level::info : log_level::debug,
             "reachable at " + describe(m.seen_as) + ": taking children");
  } else {
    ctx_.log(log_level::warn, "our parent cannot reach us at " + describe(m.seen_as) +
                                  " (a firewall or NAT?): taking no children, watching as a leaf");
  }
}

wire::standby_offer node::standby_offer() {
  return {position_.depth(), position_.path(), static_cast<std::uint32_t>(free_slots())};
}

void node::handle(link_id_t id, link& l, wire::join_accept&& m) {
  if (l.kind != link_kind::joining) {
    protocol_error(id, node_errc::unexpected_message);
    return;
  }
  if (on_path(m.path, ctx_.id)) {
    ctx_.stats.add(counter::loops_refused);
    close_link(id, node_errc::loop_detected);
    finder_.failed("the chosen parent is below this node");
    return;
  }
  if (const auto old = position_.parent()) {
    // An improvement move: the old parent fed us until now; attach() closes it.
    position_.set_feeder(*old);
    position_.lose_parent();
    ctx_.stats.add(counter::parent_moves);
  }
  if (m.adoptee) {
    // Our parent's child that gave way to us comes below us: keep it a slot.
    children_.reserve_for(*m.adoptee, ctx_.now + ctx_.config.move_out_timeout);
  }
  position_.set_lineage(std::move(m.ancestors), l.remote, std::move(m.backups));
  attach(id, l, m.depth, std::move(m.path), duration(m.root_delay_us), m.site_entry_hops);
}

void node::handle(link_id_t id, link& l, wire::join_redirect&& m) {
  if (l.kind == link_kind::standby) {
    standby_.on_redirect(id, m);  // the peer asked to be our standby refused
    return;
  }
  if (!finder_.on_redirect(id, l, std::move(m))) {
    protocol_error(id, node_errc::unexpected_message);
  }
}

void node::handle(link_id_t id, link& l, wire::chunk&& m) {
  const bool from_parent = l.kind == link_kind::parent || position_.feeder() == id;
  if (!from_parent && !standby_.fetched(id, m.seq)) {
    protocol_error(id, node_errc::chunk_not_from_parent);
    return;
  }
  const forwarder::verdict verdict = forwarder_.check(m);
  if (verdict == forwarder::verdict::stale) {
    // Signed, but not live: a replayed recording (or this machine's clock is
    // off). Leave that peer for a while; the stream is elsewhere.
    ctx_.stats.add(counter::chunks_stale);
    finder_.distrust(l.remote, peer_id(l));
    const auto age_s = (ctx_.unix_us() - static_cast<std::int64_t>(m.capture_time_us)) / 1'000'000;
    ctx_.log(log_level::warn, "chunk " + std::to_string(m.seq) + " from " + describe(l.remote) +
                                  " was captured " + std::to_string(age_s) +
                                  " s from this machine's clock: a replay, or this clock is "
                                  "wrong; dropping that peer");
    close_link(id, node_errc::stale_chunk);
    return;
  }
  if (verdict != forwarder::verdict::good) {
    // Forged or altered on the way: drop it, drop the peer, never go back.
    ctx_.stats.add(counter::chunks_forged);
    finder_.ban(l.remote, peer_id(l));
    ctx_.log(log_level::warn, "chunk " + std::to_string(m.seq) + " from " + describe(l.remote) +
                                  (verdict == forwarder::verdict::other_stream
                                       ? " is of another stream"
                                       : " fails the broadcaster's signature") +
                                  "; dropping and banning that peer");
    close_link(id, node_errc::bad_signature);
    return;
  }
  if (!from_parent) {
    standby_.on_fetched_chunk(m.seq);
  }
  accept_chunk(std::make_shared<const wire::chunk>(std::move(m)), from_parent);
  if (!from_parent) {
    check_parent_pace();  // the parent may be late already
  }
}

void node::handle(link_id_t id, link&, wire::heartbeat&& m) {
  // last_heard is already updated.
  if (m.upstream_late && position_.parent() == id) {
    standby_.on_upstream_late();
  }
}

bool node::may_tell_children() const {
  return !is_root() && running_ && !leaving_ && children_.count() > 0;
}

std::optional<time_point> node::upstream_late_from() const {
  if (!may_tell_children()) {
    return std::nullopt;
  }
  // Only while we are back soon: our standby, which has the stream, is to
  // replace our parent (or its JoinRequest is out). A repair round may take
  // many round trips, and children held meanwhile stalled in the simulator
  // where they would have switched to their own standbys.
  const auto parent = position_.parent();
  if (!parent) {
    // A leaving parent feeds us meanwhile.
    return finder_.promoting() && !position_.feeder() ? std::optional(ctx_.now) : std::nullopt;
  }
  return standby_.standby_ahead() ? standby_.parent_overdue_at(links_.at(*parent).last_stream_heard)
                                  : std::nullopt;
}

bool node::upstream_late() const {
  const auto from = upstream_late_from();
  return from && ctx_.now >= *from;
}

std::optional<time_point> node::upstream_late_deadline() const {
  if (const auto next = upstream_notice_.next(); next && may_tell_children()) {
    return next;
  }
  return upstream_late_from();
}

void node::tell_children_if_upstream_late() {
  if (!upstream_notice_.due(upstream_late(), ctx_.now)) {
    return;
  }
  ctx_.stats.add(counter::upstream_late_notices);
  const wire::shared_bytes frame = wire::encode_frame(wire::heartbeat{true});
  for (const auto& [id, c] : children_) {
    links_.send_frame(id, frame);
  }
}

void node::handle(link_id_t id, link& l, wire::leave&& m) {
  ctx_.log(l.kind == link_kind::inbound ? log_level::info : log_level::warn,
           describe(l.remote) + " left: " + m.reason);
  if (position_.feeder() == id) {
    return;  // already moving off it: that round goes on; it feeds us until then
  }
  if (l.kind == link_kind::parent && !m.handoff.empty() && running_ && !leaving_) {
    // It feeds us until we are in elsewhere. The warm standby first (one
    // JoinRequest on a link already up), then the peers it handed us: under
    // churn some of those had died, and probing them cost up to 1.7 s.
    const auto lost_id = peer_id(l);
    move_off_parent(id, l);
    std::vector<wire::endpoint> targets = m.handoff;
    targets.insert(targets.end(), position_.backups().begin(), position_.backups().end());
    if (const auto standby = standby_.take_for(lost_id)) {
      promote(*standby, lost_id, std::move(targets));
      return;
    }
    finder_.start_handoff(targets);
    return;
  }
  const link_kind kind = l.kind;
  ctx_.act(close_action{id, node_errc::shutting_down});
  forget(id);
  finder_.on_turned_away(kind, m.reason);
}

void node::handle(link_id_t id, link& l, wire::ping&& m) {
  wire::pong answer;
  answer.nonce = m.nonce;
  answer.attached = attached();
  answer.depth = position_.depth();
  // The slot kept for a child moving below us counts for it alone.
  answer.free_slots = static_cast<std::uint32_t>(free_slots() + (slot_kept_for(l) ? 1 : 0));
  answer.path = position_.path();
  answer.root_delay_us = to_wire_us(position_.root_delay());
  answer.site_entry_hops = attached() ? finder_.site_entry_hops() : 0;
  if (answer.free_slots == 0 && may_give_place()) {
    // Its coordinate is not known yet (its JoinRequest will tell).
    const auto kids = children_.capacities();
    const capacity_policy::joiner_view prober{
        l.peer_hello->max_children, {l.peer_hello->site, {}}, here()};
    answer.room_for_max_children = capacity_.room_for(kids, prober);
    answer.room_within_rtt_us = to_wire_us(capacity_.room_within(kids, prober));
  }
  answer.where = coordinate_.current();
  answer.rendition_kbps = forwarder_.window().rendition_rates();
  if (m.pad_bytes > 0 && !l.padded) {
    l.padded = true;  // once: no amplifier for a peer that pings in a loop
    answer.padding.assign(std::min(m.pad_bytes, wire::max_ping_padding), '\0');
  }
  if (is_root() && ctx_.config.root_signer) {
    answer.root_signature = sign_root_proof(*ctx_.config.root_signer, m.nonce, ctx_.id);
  }
  links_.send(id, answer);
}

void node::handle(link_id_t id, link& l, wire::pong&& m) {
  if (!finder_.on_pong(id, l, std::move(m))) {
    protocol_error(id, node_errc::unexpected_message);
    return;
  }
  bound_slots_by_uplink();
}

void node::bound_slots_by_uplink() {
  // Before the join's answer: no report offers a slot the uplink cannot feed.
  const auto kbps = finder_.uplink_kbps();
  const auto& rates = finder_.rates_seen();
  if (kbps && !rates.empty() &&
      uploads_.bound_by_uplink(*kbps, rates.front(), finder_.uplink_hidden())) {
    children_.set_slot_limit(uploads_.slot_limit());
    subtree_.report_soon();
  }
}

void node::handle(link_id_t id, link& l, wire::path_update&& m) {
  if (position_.feeder() == id) {
    return;  // we are moving away from it
  }
  if (l.kind != link_kind::parent) {
    protocol_error(id, node_errc::unexpected_message);
    return;
  }
  if (on_path(m.path, ctx_.id)) {
    // Our parent now hangs below us: leave it and join again.
    ctx_.stats.add(counter::loops_refused);
    close_link(id, node_errc::loop_detected);
    return;
  }
  position_.set_lineage(std::move(m.ancestors), l.remote, std::move(m.backups));
  const std::uint32_t entry = finder_.site_entry_hops();
  const bool moved = position_.update_path(m.depth, std::move(m.path), duration(m.root_delay_us));
  position_.set_parent_site_entry_hops(m.site_entry_hops);
  if (moved || finder_.site_entry_hops() != entry) {
    send_path_updates();
  }
}

void node::handle(link_id_t id, link&, wire::report&& m) {
  child* c = children_.find(id);
  if (!c) {
    protocol_error(id, node_errc::unexpected_message);
    return;
  }
  if (subtree_.on_report(id, *c, std::move(m))) {
    subtree_.report_soon();
  }
}

void node::handle(link_id_t id, link& l, wire::candidates_request&& m) {
  if (l.kind != link_kind::inbound) {
    protocol_error(id, node_errc::unexpected_message);
    return;
  }
  if (!within_join_rate(id, true)) {
    return;
  }
  if (!m.member) {
    // A newcomer: its invite must still be valid (told now, not after a join).
    if (const auto refused = links_.newcomer_refusal(l)) {
      refuse(id, l, *refused);
      return;
    }
  }
  // Any attached peer can answer; the broadcaster's view covers the tree.
  const sample_order order =
      m.gathering ? sample_order::site_entry_first : sample_order::seeds_first;
  // The sample's best first: the asker probes no more than it asks for.
  const std::size_t limit = m.max_peers > 0 ? m.max_peers : wire::max_peer_summaries;
  links_.send(id, wire::candidates{
                      subtree_.hand_out({m.site, m.where}, true, order, self(), peer_id(l),
                                        l.peer_hello ? l.peer_hello->max_children : 0, limit)});
}

void node::handle(link_id_t id, link& l, wire::candidates&& m) {
  if (!finder_.on_candidates(id, l, std::move(m))) {
    protocol_error(id, node_errc::unexpected_message);
  }
}

// --------------------------------------------------------- tree position

void node::attach(link_id_t id, link& l, std::uint32_t parent_depth,
                  std::vector<wire::node_id_t> parent_path, duration parent_root_delay,
                  std::uint32_t parent_site_entry_hops) {
  l.kind = link_kind::parent;
  position_.attach(id, l.rtt, parent_depth, std::move(parent_path), parent_root_delay);
  position_.set_parent_site_entry_hops(parent_site_entry_hops);
  finder_.on_attached(id);
  standby_.on_attached();
  improver_.on_attached(may_rise(), finder_.parent_site() == site_match::other);
  forwarder_.expect_stream();
  subtree_.report_soon();
  ctx_.stats.add(counter::parent_attaches);
  ctx_.log(log_level::info,
           "attached to " + describe(l.remote) + " at depth " + std::to_string(position_.depth()));
  ctx_.emit(parent_changed_event{l.remote, position_.depth()});
  if (const auto old = position_.feeder()) {
    // Make-before-break complete: the new parent serves from our next
    // missing chunk, so the old one can go.
    position_.clear_feeder();
    close_link(*old, node_errc::parent_replaced);
  }
  send_path_updates();
}

void node::detach(const wire::endpoint& lost, const std::optional<wire::node_id_t>& lost_id) {
  position_.lose_parent();
  ctx_.stats.add(counter::parent_losses);
  if (!running_ || leaving_) {
    return;
  }
  finder_.repair_started(lost);
  // The warm standby first: one JoinRequest on a link already up. Else (or
  // if it cannot take us) grandparent first, then the other ancestors, then
  // the backups our parent gave us, probed in parallel; the rendezvous only
  // if none of them can take us (so repair works while the rendezvous is
  // down).
  if (const auto standby = standby_.take_for(lost_id)) {
    promote(*standby, lost_id, position_.repair_targets());
    return;
  }
  finder_.start_repair(position_.repair_targets());
}

void node::check_parent_pace() {
  const auto parent = position_.parent();
  if (!parent || !running_) {
    return;
  }
  // Late: the chunks the standby has, from it. Later still: the standby.
  // Silent (and no standby that could tell): another parent. Not on a
  // downlink our player found narrow: our parent's chunks wait in our own
  // link there, while the standby's few bytes pass; fetching or moving only
  // adds to that link (each move a backlog), so silence alone counts.
  const time_point heard = links_.at(*parent).last_stream_heard;
  if (!children_.narrow_downlink()) {
    standby_.fill_gap(heard);
    if (standby_.parent_behind(heard)) {
      leave_lagging_parent();
      return;
    }
  }
  if (const auto silent = parent_silence_deadline(); silent && ctx_.now >= *silent) {
    leave_silent_parent();
  }
}

std::optional<time_point> node::parent_silence_deadline() const {
  const auto parent = position_.parent();
  if (!parent || !running_ || leaving_) {
    return std::nullopt;
  }
  return silent_after(links_.at(*parent), standby_.parent_chunk_interval(), silence_misses(),
                      ctx_.config);
}

int node::silence_misses() const {
  return ctx_.config.parent_silence_misses *
         (children_.narrow_downlink() ? narrow_downlink_patience : 1);
}

std::optional<time_point> node::next_child_heartbeat() const {
  std::optional<time_point> next;
  for_each_downstream_link([&](link_id_t, const link& l, duration beat) {
    const time_point due = l.last_sent + beat;
    next = next ? std::min(*next, due) : due;
  });
  return next;
}

void node::heartbeat_idle_children() {
  std::optional<wire::shared_bytes> frame;
  for_each_downstream_link([&](link_id_t id, const link& l, duration beat) {
    if (ctx_.now >= l.last_sent + beat) {
      if (!frame) {
        frame = wire::encode_frame(wire::heartbeat{});
      }
      links_.send_frame(id, *frame);
    }
  });
}

void node::leave_silent_parent() {
  const link_id_t parent = *position_.parent();
  const link& l = links_.at(parent);
  const auto lost_id = peer_id(l);
  const time_point parent_heard = l.last_heard;
  const duration silence = ctx_.now - parent_heard;
  ctx_.stats.add(counter::parents_silent);
  ctx_.log(log_level::warn, "parent " + describe(l.remote) + " silent for " + ms_text(silence) +
                                " ms; looking for another while it may yet come back");
  finder_.distrust(l.remote, lost_id);
  move_off_parent(parent, l);
  // A standby only if it still speaks: silent as well, it froze with the
  // parent (or the link between us broke), and a JoinRequest would wait for
  // its heartbeat timeout.
  if (const auto standby = standby_.take_for(lost_id, parent_heard)) {
    promote(*standby, lost_id, position_.repair_targets(), parent_heard);
    return;
  }
  finder_.start_repair(position_.repair_targets());
}

void node::leave_lagging_parent() {
  const link_id_t parent = *position_.parent();
  const link& l = links_.at(parent);
  const auto lost_id = peer_id(l);
  const duration lag = standby_.parent_lag();
  const auto standby = standby_.take_for(lost_id);
  if (!standby) {
    return;
  }
  ctx_.stats.add(counter::parents_behind);
  ctx_.log(log_level::warn, "parent " + describe(l.remote) + " is " + ms_text(lag) +
                                " ms behind the standby and silent; switching to the standby");
  ctx_.emit(chunk_late_event{lag});
  // Frozen or starving us, it is not chosen again for a while.
  finder_.distrust(l.remote, lost_id);
  move_off_parent(parent, l);
  promote(*standby, lost_id, position_.repair_targets());
}

void node::promote(link_id_t standby, std::optional<wire::node_id_t> lost,
                   std::vector<wire::endpoint> fallback, std::optional<time_point> heard_since) {
  finder_.start_promotion(standby, std::move(fallback), [this, lost, heard_since] {
    return standby_.take_for(lost, heard_since);  // the second, promoted to first
  });
}

void node::move_off_parent(link_id_t id, const link& l) {
  position_.set_feeder(id);
  if (const auto lost_id = peer_id(l)) {
    finder_.avoid(*lost_id);
  }
  position_.lose_parent();
  finder_.repair_started(l.remote);
  ctx_.stats.add(counter::parent_losses);
}

wire::path_update node::lineage_for(link_id_t child) {
  return {position_.depth(),
          position_.path(),
          position_.ancestors(),
          subtree_.backups_for(child, self()),
          to_wire_us(position_.root_delay()),
          finder_.site_entry_hops()};
}

void node::release_standby_children_beyond_room() {
  const std::size_t fit = children_.promotion_room(attached() && !leaving_);
  for (const auto& [id, path] : standby_children_.beyond(fit)) {
    send_away(id, standby_redirect_for(links_.at(id), siblings_fit_refusal, path));
  }
}

void node::send_path_updates() {
  release_standby_children_beyond_room();
  for (auto& [id, c] : children_) {
    wire::path_update update = lineage_for(id);
    if (c.told && !says_something_new(*c.told, update)) {
      continue;  // the child knows all this already
    }
    links_.send(id, update);
    c.told = std::move(update);
  }
  standby_children_.offer_all(standby_offer());
}

// ------------------------------------------------------------------ stream

void node::on_source_chunk(wire::chunk c, time_point now) {
  begin_input(now);
  if (is_root() && running_) {
    accept_chunk(std::make_shared<const wire::chunk>(std::move(c)), true);
  }
  end_input();
}

void node::accept_chunk(shared_chunk c, bool from_parent) {
  const bool parent_sent = from_parent && position_.has_parent();
  if (parent_sent) {
    standby_.on_parent_chunk(*c);  // alive, even when the standby filled this one in
  }
  if (!forwarder_.accept(c)) {
    return;
  }
  // A repair is over when the stream flows again: the first new chunk from
  // anyone (the new parent, the standby's fetch during the switch, or the
  // old parent still feeding us make-before-break).
  finder_.stream_resumed();
  children_.forward(c);
  standby_children_.send_fetched(*c);
  standby_children_.announce(c->seq, free_slots());
  ctx_.act(deliver_action{std::move(c)});
}

// ------------------------------------------------------------------- timer

void node::on_timer(time_point now) {
  begin_input(now);
  if (!running_) {
    return;
  }
  finder_.on_timer();
  standby_.on_timer();
  standby_.drop_if_silent(silence_misses());
  reach_.on_timer();
  if (const auto slow = uploads_.on_timer()) {
    hand_off_slow_child(*slow);
  }
  shed_children_of_narrow_downlink();
  if (uploads_.slot_limit() != children_.slots()) {
    children_.set_slot_limit(uploads_.slot_limit());
    subtree_.report_soon();  // our parent hands out our slots by our reports
  }
  // self() weighs our children (room_for_strong): only when a report is due.
  if (subtree_.report_due()) {
    subtree_.on_timer(self());
  }
  if (next_heartbeat_ && now >= *next_heartbeat_) {
    next_heartbeat_ = now + sweep_interval();
    for (const link_id_t id : links_.sweep()) {
      if (links_.contains(id)) {  // else closed by an earlier one's consequences
        ctx_.stats.add(counter::heartbeat_timeouts);
        drop(id, node_errc::heartbeat_timeout);
      }
    }
    for (const link_id_t id : links_.idle_inbound([this](link_id_t link) {
           return children_.contains(link) || standby_children_.contains(link);
         })) {
      close_link(id, node_errc::never_joined);
    }
  }
  if (const auto overdue = children_.take_overdue_move_out()) {
    close_link(*overdue, node_errc::moved_out);
  }
  if (next_backups_ && now >= *next_backups_) {
    next_backups_ = now + ctx_.config.backup_interval;
    send_path_updates();
  }
  parent_improver::situation situation;
  situation.idle = finder_.idle() && !position_.feeder() && !leaving_;
  situation.site_entry = finder_.parent_site() == site_match::other;
  situation.may_rise = may_rise();
  situation.narrow_downlink = children_.narrow_downlink();
  if (const auto round = improver_.take_round(situation)) {
    if (round->kind == parent_improver::kind::rise) {
      finder_.start_rise();
    } else {
      finder_.start_improvement(round->ask, round->kind == parent_improver::kind::gather);
    }
  }
  check_parent_pace();
  tell_children_if_upstream_late();
  heartbeat_idle_children();
  if (forwarder_.starving(position_.has_parent())) {
    // The parent answers heartbeats but sends no stream (never did, or
    // stopped): find another, and do not go back to it for a while.
    const link& parent = links_.at(*position_.parent());
    ctx_.log(log_level::warn, "parent " + describe(parent.remote) + " sent no chunk for " +
                                  ms_text(forwarder_.silent_for()) + " ms; leaving it");
    ctx_.emit(chunk_late_event{forwarder_.silent_for()});
    finder_.distrust(parent.remote, peer_id(parent));
    forwarder_.forget_last_chunk();
    close_link(*position_.parent(), node_errc::starved);
  }
  if (leaving_ && leave_deadline_ && now >= *leave_deadline_) {
    finish_leave();
  }
  end_input();
}

std::optional<time_point> node::next_deadline() const {
  std::optional<time_point> next;
  const auto parent = position_.parent();
  const auto parent_heard =
      parent ? std::optional(links_.at(*parent).last_stream_heard) : std::nullopt;
  for (const auto& t :
       {next_heartbeat_, next_child_heartbeat(), subtree_.deadline(), finder_.deadline(),
        next_backups_, leave_deadline_, improver_.deadline(), children_.move_out_deadline(),
        forwarder_.starvation_deadline(position_.has_parent()), standby_.deadline(parent_heard),
        standby_.silent_at(silence_misses()), parent_silence_deadline(), reach_.deadline(),
        uploads_.deadline(), upstream_late_deadline()}) {
    if (t && (!next || *t < *next)) {
      next = t;
    }
  }
  return next;
}

// ------------------------------------------------------------------- links

void node::close_link(link_id_t id, std::error_code why) {
  if (!links_.contains(id)) {
    return;
  }
  links_.close(id, why);
  forget(id);
}

void node::forget(link_id_t id) {
  const link* l = links_.find(id);
  if (!l) {
    return;
  }
  if (children_.remove(id)) {
    subtree_.report_soon();
  }
  reach_.on_link_gone(id);  // a check link, or a child whose check ends
  standby_children_.remove(id);
  const link_kind kind = l->kind;
  const bool was_parent = position_.parent() == id;
  if (was_parent && l->peer_hello) {
    finder_.avoid(l->peer_hello->node_id);  // its subtree is no home for us now
  }
  const std::optional<link> gone = links_.remove(id);
  if (was_parent) {
    detach(gone->remote, peer_id(*gone));
  } else if (position_.feeder() == id) {
    position_.clear_feeder();  // the handoff round goes on; chunks resume once attached
  } else if (kind == link_kind::standby) {
    standby_.on_link_gone(id);
  } else if (kind != link_kind::reach_check) {
    finder_.on_link_gone(id, kind);
  }
  if (leaving_ && children_.count() == 0) {
    finish_leave();
  }
}

}  // namespace treecast::core
