#include "core/parent_finder.hpp"

#include <algorithm>
#include <utility>

#include "core/capacity_policy.hpp"
#include "core/errors.hpp"
#include "core/silence_rule.hpp"

namespace treecast::core {

parent_finder::parent_finder(node_context& context, link_table& links,
                             const tree_position& position, const children& kids,
                             const chunk_window& window, network_coordinate& coordinate,
                             rendition_subscriptions& renditions)
    : ctx_(context),
      links_(links),
      position_(position),
      children_(kids),
      window_(window),
      coordinate_(coordinate),
      renditions_(renditions),
      timing_(static_cast<bool>(context.config.rendition_for_downlink),
              context.config.max_children > 0),
      sites_(context.config.same_site_rtt),
      scoring_(context.config.depth_penalty,
               capacity_policy::strong(static_cast<std::uint32_t>(context.config.max_children))),
      move_scoring_(context.config.depth_penalty, true),
      moves_(context.config.improve_min_gain, context.config.improve_min_gain_fraction),
      claims_(context.config.stream_id, context.config.verifier),
      backoff_(context.config.reconnect_min) {}

void parent_finder::start() {
  running_ = true;
  if (!ctx_.is_root()) {
    start_join();
  }
}

void parent_finder::stop() {
  running_ = false;
  phase_ = phase::idle;
  deadline_.reset();
  probes_.clear();
}

bool parent_finder::joining() const {
  return !ctx_.is_root() && running_ && !position_.has_parent();
}

// ------------------------------------------------------------------ rounds

void parent_finder::start_query(const wire::endpoint& target) {
  ctx_.log(log_level::debug, "asking " + describe(target) + " for candidates");
  phase_ = phase::querying;
  deadline_.reset();
  links_.open(link_kind::rendezvous, target);
}

void parent_finder::start_join() {
  round_ = round_kind::join;
  redirects_ = 0;
  ctx_.stats.add(counter::join_attempts);
  // The configured rendezvous (the invite link) first; every other attempt
  // the broadcaster itself when we know its address and it differs (the link
  // may name a peer that has gone).
  wire::endpoint target = *ctx_.config.rendezvous;
  if (attempts_ % 2 == 1 && !position_.ancestors().empty()) {
    target = position_.ancestors().front();
  }
  start_query(target);
}

void parent_finder::start_improvement(const wire::endpoint& ancestor, bool site_gathering) {
  round_ = round_kind::improve;
  site_gathering_ = site_gathering;
  redirects_ = 0;
  start_query(ancestor);
}

void parent_finder::start_rise() {
  round_ = round_kind::rise;
  redirects_ = 0;
  // ancestors(): the broadcaster .. our parent. The grandparent first: a
  // rise by strength goes there, and the probes are bounded.
  const auto& ancestors = position_.ancestors();
  std::vector<wire::endpoint> above(ancestors.rbegin() + std::min<std::size_t>(1, ancestors.size()),
                                    ancestors.rend());
  start_probes(above);
}

bool parent_finder::outranks_parent() const {
  const auto parent = position_.parent();
  const link* l = parent ? links_.find(*parent) : nullptr;
  return l && l->peer_hello &&
         capacity_policy::clearly_stronger(children_.slots(), l->peer_hello->max_children);
}

void parent_finder::start_move(const std::vector<wire::endpoint>& targets) {
  close_join_links(std::nullopt);  // an improvement round under way gives way
  round_ = round_kind::move;
  redirects_ = 0;
  move_stage_ = move_stage::named;
  move_target_ = targets.empty() ? wire::endpoint{} : targets.front();
  start_probes(targets);
}

void parent_finder::end_attached_round(const std::string& why) {
  // The parent that asked us to move closes our link soon (move_out_timeout):
  // staying is the last resort, so a move goes on while it still feeds us.
  if (round_ == round_kind::move && move_stage_ == move_stage::named) {
    // None of the peers our parent named took us (a flash crowd filled
    // them): our ancestors and backups.
    move_stage_ = move_stage::ancestors_and_backups;
    ctx_.log(log_level::debug, "moving: " + why + "; probing our ancestors and backups");
    start_probes(position_.repair_targets());
    return;
  }
  if (round_ == round_kind::move && move_stage_ == move_stage::ancestors_and_backups) {
    // Full too: peers with room anywhere, as a join finds them.
    move_stage_ = move_stage::rendezvous;
    ctx_.log(log_level::debug, "moving: " + why + "; asking the rendezvous");
    close_join_links(std::nullopt);
    start_query(*ctx_.config.rendezvous);
    return;
  }
  close_join_links(std::nullopt);
  phase_ = phase::idle;
  round_ = round_kind::join;
  deadline_.reset();
  ctx_.log(log_level::debug, "staying with our parent: " + why);
}

move_policy::option parent_finder::current_option() const {
  probe_result parent;
  parent.rtt = position_.parent_rtt();
  parent.depth = position_.depth() - 1;
  parent.root_delay = position_.parent_root_delay();
  return {scoring_.through(parent), parent_site() == site_match::same, false, position_.depth()};
}

site_match parent_finder::parent_site() const {
  const auto parent = position_.parent();
  if (!parent || !links_.at(*parent).peer_hello) {
    return site_match::unknown;
  }
  const auto rtt = position_.parent_rtt() > duration::zero() ? std::optional(position_.parent_rtt())
                                                             : std::nullopt;
  return sites_.match({ctx_.config.site, coordinate_.current()},
                      {links_.at(*parent).peer_hello->site, std::nullopt}, rtt);
}

std::uint32_t parent_finder::site_entry_hops() const {
  if (!ctx_.config.gathers_sites()) {
    return 0;  // nobody gathers: not worth a byte on the wire
  }
  if (parent_site() == site_match::same) {
    return position_.parent_site_entry_hops() + 1;
  }
  return 0;
}

std::optional<site_entry> parent_finder::our_site_entry() const {
  return entry_on(position_.path(), position_.depth() - site_entry_hops());
}

std::uint32_t parent_finder::site_entry_tag() const {
  if (!ctx_.config.gathers_sites() || parent_site() == site_match::unknown) {
    return 0;
  }
  const auto entry = our_site_entry();
  return entry ? entry->tag() : 0;
}

bool parent_finder::of_my_site(const std::string& site,
                               const std::optional<wire::coordinate>& where,
                               std::optional<duration> rtt) const {
  return sites_.same({ctx_.config.site, coordinate_.current()}, {site, where}, rtt);
}

std::optional<wire::coordinate> parent_finder::where_we_sit() const {
  return coordinate_.samples() > 0 ? std::optional(coordinate_.current()) : std::nullopt;
}

bool parent_finder::is_parent(link_id_t probe) const {
  const auto parent = position_.parent();
  return parent && links_.at(probe).peer_hello->node_id == links_.at(*parent).peer_hello->node_id;
}

bool parent_finder::is_grandparent(const wire::node_id_t& id) const {
  const auto& path = position_.path();  // the broadcaster .. us
  return path.size() >= 3 && path[path.size() - 3] == id;
}

bool parent_finder::is_above_parent(const wire::node_id_t& id) const {
  const auto& path = position_.path();  // the broadcaster .. us
  return path.size() >= 3 && std::find(path.begin(), path.end() - 2, id) != path.end() - 2;
}

void parent_finder::choose_move(const std::vector<probe_result>& results,
                                const std::vector<link_id_t>& ids) {
  const move_policy::option current = current_option();
  const auto our_entry = our_site_entry();
  std::optional<std::size_t> best;
  move_policy::option best_option;
  for (const auto& r : results) {
    const wire::pong& answer = *probes_.at(ids[r.index]).answer;
    const auto their_entry = entry_on(answer.path, answer.depth - answer.site_entry_hops);
    const move_policy::option option{scoring_.through(r), r.same_site,
                                     our_entry && their_entry && *their_entry < *our_entry,
                                     r.depth + 1};
    // The best of those worth moving to: the soonest peer of our site may
    // be below an entry that does not rank before ours, a later one not.
    const bool worth =
        moves_.worth_moving(current, option) ||
        (option.same_site == current.same_site && takes_weaker_place(r, ids[r.index], current));
    if (r.free_slots > 0 && !is_parent(ids[r.index]) && worth &&
        (!best || moves_.better(option, best_option))) {
      best = r.index;
      best_option = option;
    }
  }
  if (!best) {
    end_attached_round("no peer with room is clearly sooner");
    return;
  }
  ctx_.log(log_level::debug, "moving to " + describe(links_.at(ids[*best]).remote) + ": " +
                                 std::to_string(best_option.delay.count() / 1000) +
                                 " ms from the broadcaster, not " +
                                 std::to_string(current.delay.count() / 1000));
  close_join_links(ids[*best]);
  request(ids[*best]);
}

void parent_finder::choose_rise(const std::vector<probe_result>& results,
                                const std::vector<link_id_t>& ids) {
  const move_policy::option current = current_option();
  const bool outranks = outranks_parent();
  std::optional<probe_result> best;
  for (const auto& r : results) {
    const wire::node_id_t& id = links_.at(ids[r.index]).peer_hello->node_id;
    if (r.free_slots == 0 || !is_above_parent(id)) {
      continue;
    }
    const bool adopts = probes_.at(ids[r.index]).answer->free_slots == 0;
    // By strength: the grandparent, whatever the delay, unless we would
    // leave our site's parent for another site's free slot; or any ancestor
    // higher up that gives us a weaker child's place. Else by delay.
    const bool by_strength = (outranks && is_grandparent(id) &&
                              (adopts || r.same_site || parent_site() != site_match::same)) ||
                             takes_weaker_place(r, ids[r.index], current);
    const bool sooner = moves_.worth_moving(current, {scoring_.through(r), r.same_site});
    if ((by_strength || sooner) && (!best || scoring_.through(r) < scoring_.through(*best))) {
      best = r;
    }
  }
  if (!best) {
    end_attached_round("no ancestor above our parent would take us");
    return;
  }
  const link_id_t chosen = ids[best->index];
  ctx_.log(log_level::debug,
           "rising to " + describe(links_.at(chosen).remote) +
               (probes_.at(chosen).answer->free_slots == 0 ? ", in another child's place" : ""));
  close_join_links(chosen);
  request(chosen);
}

void parent_finder::choose_move_below(std::vector<probe_result> results,
                                      const std::vector<link_id_t>& ids) {
  std::erase_if(
      results, [&](const probe_result& r) { return r.free_slots == 0 || is_parent(ids[r.index]); });
  // The least delay through the candidate, whatever our strength; the
  // joiner that took our place (it keeps us a slot, one hop down) unless a
  // peer that answered meanwhile is sooner. A joiner far from us had taken
  // a subtree 60-110 ms later at once, past its viewers' buffer
  // (treecast-sim, 10 000 peers, seed 1: a stall at 16.4 s).
  auto best = move_scoring_.best(results);
  for (const auto& r : results) {
    if (links_.at(ids[r.index]).remote == move_target_ &&
        (!best || move_scoring_.through(r) <= move_scoring_.through(*best))) {
      best = r;
    }
  }
  if (!best) {
    end_attached_round("none of the peers our parent named could take us");
    return;
  }
  close_join_links(ids[best->index]);
  request(ids[best->index]);
}

void parent_finder::start_repair(const std::vector<wire::endpoint>& targets) {
  if (targets.empty()) {
    start_join();
    return;
  }
  round_ = round_kind::repair;
  start_probes(targets);
}

void parent_finder::start_handoff(const std::vector<wire::endpoint>& targets) {
  round_ = round_kind::repair;
  start_probes(targets);
}

void parent_finder::start_promotion(link_id_t standby, std::vector<wire::endpoint> fallback,
                                    standby_source next_standby) {
  close_join_links(std::nullopt);
  round_ = round_kind::promotion;
  fallback_ = std::move(fallback);
  next_standby_ = std::move(next_standby);
  redirects_ = 0;
  request(standby);
}

bool parent_finder::ask_next_standby(const std::string& why) {
  if (round_ != round_kind::promotion || !next_standby_) {
    return false;
  }
  const auto next = next_standby_();
  if (!next) {
    return false;
  }
  ctx_.log(log_level::info, "the standby could not take us (" + why +
                                "); asking the next standby " + describe(links_.at(*next).remote));
  close_join_links(*next);  // the one that could not, if still open
  ctx_.stats.add(counter::second_standby_promotions);
  request(*next);
  return true;
}

void parent_finder::start_probes(const std::vector<wire::endpoint>& targets) {
  close_join_links(std::nullopt);
  racing_ = false;
  std::size_t opened = 0;
  for (const auto& target : targets) {
    if (opened == ctx_.config.probe_fanout) {
      break;
    }
    probes_[links_.open(link_kind::probe, target)] = {};
    ctx_.stats.add(counter::probes_sent);
    ++opened;
  }
  phase_ = phase::probing;
  probes_opened_ = ctx_.now;
  deadline_ = ctx_.now + ctx_.config.probe_timeout;
  ctx_.log(log_level::debug, "probing " + std::to_string(opened) + " candidates");
}

void parent_finder::failed(const std::string& why) {
  fail_round(why, true);
}

void parent_finder::on_turned_away(link_kind kind, const std::string& reason) {
  if (while_attached()) {
    if (kind != link_kind::probe) {
      end_attached_round("turned away (" + reason + ")");
    }
    return;
  }
  if (kind == link_kind::joining) {
    if (ask_spare_instead("chosen parent turned us away (" + reason + ")")) {
      return;
    }
    // Busy is a crowd, not a failure of ours: try again without counting it.
    fail_round("chosen parent turned us away (" + reason + ")", reason.rfind("busy", 0) != 0);
    return;
  }
  if (kind != link_kind::rendezvous) {
    return;  // a probe: the round goes on without it
  }
  if (reason.rfind("refused", 0) == 0) {
    give_up("the rendezvous " + reason);  // our invite: no point trying on
    return;
  }
  fail_round("the rendezvous is " + reason, false);
}

void parent_finder::give_up(const std::string& why) {
  if (!joining()) {
    return;
  }
  close_join_links(std::nullopt);
  ctx_.log(log_level::error, why);
  ctx_.act(give_up_action{why});
  phase_ = phase::given_up;
  deadline_.reset();
}

void parent_finder::fail_round(const std::string& why, bool counts) {
  if (while_attached()) {
    end_attached_round(why);
    return;
  }
  if (!joining()) {
    return;
  }
  if (ask_next_standby(why)) {
    return;
  }
  close_join_links(std::nullopt);
  deadline_.reset();
  if (round_ == round_kind::promotion) {
    ctx_.log(log_level::info, "the standby could not take us (" + why + "); probing the others");
    round_ = round_kind::repair;
    start_repair(std::exchange(fallback_, {}));
    return;
  }
  if (round_ == round_kind::repair) {
    ctx_.log(log_level::info,
             "no ancestor or backup could take us (" + why + "); asking the rendezvous");
    start_join();
    return;
  }
  duration wait = backoff_;
  if (counts) {
    ++attempts_;
    if (ctx_.config.max_join_attempts > 0 && attempts_ >= ctx_.config.max_join_attempts) {
      give_up("cannot join the tree after " + std::to_string(attempts_) +
              " attempts; last: " + why);
      return;
    }
  } else {
    // Spread the retries of a crowd told "busy" at once.
    wait = ctx_.spread(backoff_);
  }
  ctx_.log(counts ? log_level::warn : log_level::info,
           (counts ? "join attempt failed: " : "join attempt deferred: ") + why);
  phase_ = phase::backing_off;
  deadline_ = ctx_.now + wait;
  backoff_ = std::min(backoff_ * 2, ctx_.config.reconnect_max);
}

void parent_finder::on_attached(link_id_t id) {
  avoid_.reset();
  attempts_ = 0;
  redirects_ = 0;
  backoff_ = ctx_.config.reconnect_min;
  phase_ = phase::idle;
  round_ = round_kind::join;
  deadline_.reset();
  racing_ = false;
  probes_.erase(id);
  close_join_links(id);
  if (spare_ && spare_raced_) {
    // Not Pinged: it may be below our new parent, no standby then.
    close_own(*std::exchange(spare_, std::nullopt), node_errc::probe_done);
  }
}

// ----------------------------------------------------------- link events

void parent_finder::on_connected(link_id_t id, link& l) {
  if (l.kind == link_kind::rendezvous) {
    const bool gathering = round_ == round_kind::improve && site_gathering_;
    links_.send(id, wire::candidates_request{ctx_.config.site, window_.last_seq().has_value(),
                                             where_we_sit(), gathering,
                                             static_cast<std::uint32_t>(ctx_.config.probe_fanout)});
  } else if (l.kind == link_kind::probe && racing_ && !banned_.count(l.remote) &&
             trusted(l.remote, {})) {
    on_racer_connected(id, l);
  } else if (l.kind == link_kind::probe) {
    probe& p = probes_[id];
    p.nonce = ctx_.random();
    p.ping_sent = ctx_.now;
    links_.send(id, wire::ping{p.nonce});
  }
}

void parent_finder::on_racer_connected(link_id_t id, link& l) {
  // A connection takes two round trips: the first up is the nearest.
  l.rtt = (ctx_.now - probes_opened_) / 2;
  if (phase_ == phase::probing) {
    // Asked now, not after a Ping and a wait for the others.
    ctx_.log(log_level::debug, describe(l.remote) + " connected first");
    probes_.erase(id);
    request(id);
    return;
  }
  // The second up is the spare, asked at once if the first turns us away
  // with nowhere to send us (its room was a report old); the rest close.
  racing_ = false;
  spare_ = id;
  spare_raced_ = true;
  close_join_links(requested_, id);
}

bool parent_finder::on_candidates(link_id_t id, link& l, wire::candidates&& m) {
  if (l.kind != link_kind::rendezvous) {
    return false;
  }
  const wire::endpoint from = l.remote;
  close_own(id, node_errc::query_done);
  std::vector<wire::endpoint> targets;
  for (const auto& p : m.peers) {
    if (p.node_id != ctx_.id) {
      // An empty host names the peer that answered.
      targets.push_back({p.address.host.empty() ? from.host : p.address.host, p.address.port});
    }
  }
  if (targets.empty()) {
    failed("the rendezvous knows no peer with room");
    return true;
  }
  start_probes(targets);
  return true;
}

bool parent_finder::on_pong(link_id_t id, link& l, wire::pong&& m) {
  if (timing_.on_pong(id, m, ctx_.now)) {
    if (phase_ == phase::probing) {
      maybe_choose();
    }
    return true;
  }
  const auto it = probes_.find(id);
  if (l.kind != link_kind::probe || it == probes_.end() || it->second.answer ||
      m.nonce != it->second.nonce) {
    return false;
  }
  l.rtt = ctx_.now - it->second.ping_sent;
  for (auto& timed : timing_.on_answer(
           id, m, l.rtt, [this] { return ctx_.random(); }, ctx_.now)) {
    links_.send(id, std::move(timed));
  }
  if (m.where) {
    coordinate_.observe(l.rtt, *m.where, ctx_.random);
  }
  it->second.answer = std::move(m);
  // Without a label the first answers are the nearest anyway.
  const bool same_site =
      ctx_.config.site.empty() || (l.peer_hello && l.peer_hello->site == ctx_.config.site);
  // As choose() will see it: one below us or below the parent we leave is
  // no reason to stop waiting for the others (a peer whose parent left
  // stopped after the first answer, a sibling, and failed round after round).
  const bool usable = it->second.answer->attached && it->second.answer->free_slots > 0 &&
                      !excluded(l, *it->second.answer);
  if (round_ == round_kind::move) {
    // The joiner that took our place keeps us a slot: wait for its answer
    // (our parent feeds us meanwhile), not for the first one nearby.
    if (phase_ == phase::probing && usable && l.remote == move_target_) {
      choose();
      return true;
    }
  } else if (phase_ == phase::probing && deadline_ && usable && same_site) {
    // One usable answer (of our site, when we know it): wait only a little
    // longer for nearer ones, not the whole probe timeout for a candidate
    // that may never answer.
    deadline_ = std::min(*deadline_, ctx_.now + 2 * l.rtt + probe_grace);
    if (round_ == round_kind::join || round_ == round_kind::repair) {
      // And not for those too far to be chosen over it (choose(): scoring_).
      const auto& answer = *it->second.answer;
      const probe_result answered{
          0, l.rtt, answer.depth, answer.free_slots, true, duration(answer.root_delay_us)};
      deadline_ =
          std::min(*deadline_, probes_opened_ +
                                   round_trips_to_answer * scoring_.round_trip_to_beat(answered) +
                                   probe_grace);
    }
  }
  maybe_choose();
  return true;
}

bool parent_finder::on_redirect(link_id_t id, link& l, wire::join_redirect&& m) {
  if (l.kind != link_kind::joining) {
    return false;
  }
  const std::string redirected = "redirected by " + describe(l.remote) + " (" + m.reason + ")";
  close_own(id, node_errc::join_refused);
  ctx_.stats.add(counter::join_redirects);
  if (round_ == round_kind::improve || round_ == round_kind::rise) {
    end_attached_round(redirected);
    return true;
  }
  // A spare that connected second in a race is kept for a dead end: the
  // peers the redirect names are where the room is now.
  const bool spare_first = !spare_raced_ || m.candidates.empty();
  if ((spare_first && ask_spare_instead(redirected)) || ask_next_standby(redirected)) {
    return true;
  }
  // Nothing below it takes children: the round's others with room, if any.
  std::vector<wire::endpoint> targets =
      m.candidates.empty() ? std::exchange(room_elsewhere_, {}) : m.candidates;
  if (targets.empty() || ++redirects_ > ctx_.config.max_redirects) {
    failed(redirected + " with nowhere left to go");
    return true;
  }
  ctx_.log(log_level::debug,
           redirected + ", probing " + std::to_string(targets.size()) +
               (m.candidates.empty() ? " peers of our round with room" : " of its children"));
  if (round_ == round_kind::promotion) {
    // The standby is full: the peers it names, then the usual repair targets.
    round_ = round_kind::repair;
    targets.insert(targets.end(), fallback_.begin(), fallback_.end());
    fallback_.clear();
  }
  start_probes(targets);
  // A newcomer sent on to the peers below one that was full (as it last
  // heard, they have room) asks the nearest of them, the first to connect,
  // without a Ping: a Pong would tell it little it needs. It has no
  // subtree (no loop to check for), ranks by round trip (weak: a strong one
  // weighs the delay from the broadcaster, which a Pong tells), and what
  // a peer claims in a Pong could not win it this joiner. A redirect costs
  // a round trip less.
  racing_ = round_ == round_kind::join && !m.candidates.empty() && children_.count() == 0 &&
            !position_.has_parent() && !scoring_.by_delay();
  return true;
}

void parent_finder::on_link_gone(link_id_t id, link_kind kind) {
  probes_.erase(id);
  timing_.on_link_gone(id);
  if (kind == link_kind::probe && phase_ == phase::probing) {
    maybe_choose();
  }
}

void parent_finder::on_link_failed(link_kind kind, const std::error_code& why) {
  if (kind == link_kind::rendezvous && phase_ == phase::querying) {
    failed("rendezvous unreachable (" + why.message() + ")");
  } else if (kind == link_kind::joining) {
    const std::string gone = "chosen parent went away (" + why.message() + ")";
    if (!ask_spare_instead(gone)) {
      failed(gone);
    }
  }
}

// ---------------------------------------------------------------- choosing

void parent_finder::maybe_choose() {
  // Choose as soon as every probe has answered or failed (and our downlink
  // is timed, when that is under way).
  if (timing_.waiting()) {
    return;
  }
  for (const auto& [id, p] : probes_) {
    const link* l = links_.find(id);
    if (l && l->kind == link_kind::probe && !p.answer) {
      return;
    }
  }
  choose();
}

void parent_finder::choose() {
  phase_ = phase::idle;
  deadline_.reset();
  std::vector<probe_result> results;
  std::vector<link_id_t> ids;
  for (const auto& [id, p] : probes_) {
    const link* l = links_.find(id);
    if (!l || l->kind != link_kind::probe || !p.answer || !p.answer->attached || !l->peer_hello) {
      continue;
    }
    if (on_path(p.answer->path, ctx_.id)) {
      ctx_.stats.add(counter::loops_refused);
    }
    if (excluded(*l, *p.answer)) {
      continue;
    }
    if (const auto lie = claims_.check(*p.answer, p.nonce, l->peer_hello->node_id)) {
      ctx_.stats.add(counter::claims_refused);
      ctx_.log(log_level::warn, "not believing " + describe(l->remote) + ": " + *lie);
      distrust(l->remote, l->peer_hello->node_id);
      continue;
    }
    // A full peer that would make room for us counts as one slot.
    const std::uint32_t room = p.answer->free_slots > 0           ? p.answer->free_slots
                               : makes_room_for_us(*l, *p.answer) ? 1
                                                                  : 0;
    results.push_back({ids.size(), l->rtt, p.answer->depth, room,
                       of_my_site(l->peer_hello->site, p.answer->where, l->rtt),
                       duration(p.answer->root_delay_us)});
    ids.push_back(id);
  }
  if (round_ == round_kind::improve) {
    choose_move(results, ids);
    return;
  }
  if (round_ == round_kind::move) {
    choose_move_below(std::move(results), ids);
    return;
  }
  if (round_ == round_kind::rise) {
    choose_rise(results, ids);
    return;
  }
  const auto best = scoring_.best(results);
  if (!best) {
    close_join_links(std::nullopt);
    failed("no probed candidate could take a child");
    return;
  }
  const link_id_t chosen = ids[best->index];
  room_elsewhere_.clear();
  if (results[best->index].free_slots == 0) {
    // Chosen full, for its place (our site): if nothing below it takes
    // children, the others with room are next, not the same choice again.
    for (const auto& r : results) {
      if (r.free_slots > 0) {
        room_elsewhere_.push_back(links_.at(ids[r.index]).remote);
      }
    }
  }
  std::optional<link_id_t> spare;
  if (ctx_.config.warm_standby) {
    if (const auto second = runner_up(results, ids, chosen)) {
      spare = ids[*second];
    }
  }
  close_join_links(chosen, spare);
  spare_ = spare;
  spare_raced_ = false;
  request(chosen);
}

bool parent_finder::ask_spare_instead(const std::string& why) {
  if (!spare_ || while_attached() || !joining()) {
    return false;
  }
  const link_id_t spare = *std::exchange(spare_, std::nullopt);
  const link* l = links_.find(spare);
  if (!l || !l->connected) {
    return false;
  }
  ctx_.log(log_level::debug, why + "; asking the round's runner-up " + describe(l->remote));
  request(spare);
  return true;
}

void parent_finder::request(link_id_t id) {
  requested_ = id;
  links_.at(id).kind = link_kind::joining;
  phase_ = phase::requesting;
  // A round replaced mid-probe (an improvement, when the parent is lost)
  // left its probe timeout: nothing is due while we wait for the answer.
  deadline_.reset();
  wire::join_request request;
  // From the first chunk missing near the newest, if a gap fill ran ahead
  // of the old parent: the chunks after it come twice, the gap is not lost.
  request.resume_from = window_.resume_point(wire::max_fetch_chunks);
  request.can_adopt = can_adopt_from(links_.at(id));
  request.where = where_we_sit();
  request.rtt_us = to_wire_us(links_.at(id).rtt);
  if (const auto measured = timing_.take()) {
    const wire::rendition_set fits =
        ctx_.config.rendition_for_downlink(measured->kbps, measured->rendition_kbps);
    ctx_.log(log_level::info, "downlink carried " +
                                  std::to_string(static_cast<long long>(measured->kbps)) +
                                  " kbit/s before the join");
    renditions_.set_own(fits);
    renditions_.refresh(children_.wanted());
  }
  request.renditions = renditions_.ask(links_.at(id));
  request.downlink_kbps = timing_.narrow_downlink_kbps();
  ctx_.log(log_level::debug, "asking " + describe(links_.at(id).remote) +
                                 " to take us (round trip " +
                                 std::to_string(to_wire_us(links_.at(id).rtt) / 1000) + " ms)");
  links_.send(id, request);
  if (round_ == round_kind::promotion) {
    promoted_ = id;
    deadline_ = std::min(promotion_silence_limit(ctx_.now), promotion_quiet_limit());
  }
}

time_point parent_finder::promotion_silence_limit(time_point since) const {
  const link* l = links_.find(promoted_);
  return l ? std::max(l->last_heard, since) + 2 * l->rtt + promotion_grace : since;
}

time_point parent_finder::promotion_quiet_limit() const {
  const link* l = links_.find(promoted_);
  return l ? l->last_heard + standby_holder_beat(ctx_.config.standby_have_interval, ctx_.config) +
                 promotion_quiet_margin
           : ctx_.now;
}

bool parent_finder::can_adopt_from(const link& l) const {
  if (!l.peer_hello || children_.leaf()) {
    return false;  // a child moved below us could not connect
  }
  if (round_ == round_kind::rise) {
    // The child of our ancestor giving way may be our own ancestor: it comes
    // below us once we have left its subtree for its parent. Full, we shed
    // a child below it (node.cpp).
    // Over our slots already (a standby promoted), we could not keep it one.
    return is_above_parent(l.peer_hello->node_id) && children_.count() <= children_.slots();
  }
  // Attached, we may be below it: the child giving way could be our own
  // ancestor. Our slots are what our uplink carries (link_timing), not the
  // flag: a peer that can feed no child takes no weaker child's place.
  return children_.count() < children_.slots() &&
         !(position_.has_parent() && on_path(position_.path(), l.peer_hello->node_id));
}

bool parent_finder::excluded(const link& l, const wire::pong& answer) const {
  if (!l.peer_hello || on_path(answer.path, ctx_.id)) {  // unknown, or below us: a loop
    return true;
  }
  // Below the parent we are leaving; but every peer is below the
  // broadcaster, which goes on (it asked us to move and closed our link).
  if (avoid_ && on_path(answer.path, *avoid_) && answer.path.front() != *avoid_) {
    return true;
  }
  // It sent us a forged chunk once, or starved us or lied lately.
  return banned_.count(l.remote) || banned_ids_.count(l.peer_hello->node_id) ||
         !trusted(l.remote, l.peer_hello->node_id);
}

bool parent_finder::makes_room_for_us(const link& l, const wire::pong& answer) const {
  const bool stronger =
      answer.room_for_max_children > 0 && children_.slots() >= answer.room_for_max_children;
  const bool nearer = l.rtt > duration{} && l.rtt <= duration(answer.room_within_rtt_us);
  return (stronger || nearer) && can_adopt_from(l);
}

bool parent_finder::takes_weaker_place(const probe_result& r, link_id_t id,
                                       const move_policy::option& current) const {
  const wire::pong& answer = *probes_.at(id).answer;
  return r.free_slots > 0 && answer.free_slots == 0 && answer.room_for_max_children > 0 &&
         children_.slots() >= answer.room_for_max_children && scoring_.through(r) <= current.delay;
}

std::optional<std::size_t> parent_finder::runner_up(const std::vector<probe_result>& results,
                                                    const std::vector<link_id_t>& ids,
                                                    link_id_t chosen) const {
  const wire::node_id_t& chosen_id = links_.at(chosen).peer_hello->node_id;
  std::vector<probe_result> others;
  for (const auto& r : results) {
    const link_id_t id = ids[r.index];
    const auto& answer = *probes_.at(id).answer;
    if (id != chosen && answer.free_slots > 0 && !on_path(answer.path, chosen_id)) {
      others.push_back(r);
    }
  }
  const auto best = scoring_.best(others);
  return best ? std::optional(best->index) : std::nullopt;
}

void parent_finder::close_join_links(std::optional<link_id_t> keep,
                                     std::optional<link_id_t> spare) {
  std::vector<link_id_t> done;
  for (const auto& [id, l] : links_) {
    // A query still open belongs to a round being replaced (an improvement
    // round when the parent is lost): its answer must not start probes. The
    // runner-up kept from the last round is the standby's to be.
    if ((l.kind == link_kind::probe || l.kind == link_kind::joining ||
         l.kind == link_kind::rendezvous) &&
        id != keep && id != spare && id != spare_) {
      done.push_back(id);
    }
  }
  if (spare) {
    probes_.erase(*spare);
  }
  for (link_id_t id : done) {
    ctx_.act(close_action{id, node_errc::probe_done});
    links_.remove(id);
    probes_.erase(id);
  }
}

void parent_finder::close_own(link_id_t id, std::error_code why) {
  links_.close(id, why);
  links_.remove(id);
  probes_.erase(id);
}

// ------------------------------------------------------------- exclusions

void parent_finder::ban(const wire::endpoint& where, const std::optional<wire::node_id_t>& id) {
  banned_.insert(where);
  if (id) {
    banned_ids_.insert(*id);
  }
}

void parent_finder::distrust(const wire::endpoint& where,
                             const std::optional<wire::node_id_t>& id) {
  const time_point until = ctx_.now + ctx_.config.distrust_period;
  auto forget_expired = [this](auto& entries) {
    std::erase_if(entries, [this](const auto& e) { return e.second <= ctx_.now; });
    if (entries.size() >= max_distrusted) {
      entries.erase(entries.begin());  // bounded, whatever a liar does
    }
  };
  forget_expired(distrusted_);
  distrusted_[where] = until;
  if (id) {
    forget_expired(distrusted_ids_);
    distrusted_ids_[*id] = until;
  }
}

bool parent_finder::trusted(const wire::endpoint& where, const wire::node_id_t& id) const {
  const auto at = distrusted_.find(where);
  if (at != distrusted_.end() && at->second > ctx_.now) {
    return false;
  }
  const auto by_id = distrusted_ids_.find(id);
  return by_id == distrusted_ids_.end() || by_id->second <= ctx_.now;
}

// ----------------------------------------------------------------- repairs

void parent_finder::repair_started(const wire::endpoint& lost_parent) {
  repair_started_ = ctx_.now;
  ctx_.emit(repair_started_event{lost_parent});
}

void parent_finder::stream_resumed() {
  if (!repair_started_) {
    return;
  }
  const duration took = ctx_.now - *repair_started_;
  repairs_.push_back(took);
  if (repairs_.size() > max_repairs_kept) {
    repairs_.erase(repairs_.begin());
  }
  ctx_.stats.add(counter::repairs);
  repair_started_.reset();
  ctx_.emit(repair_finished_event{took});
}

// ------------------------------------------------------------------- timer

std::optional<time_point> parent_finder::deadline() const {
  return deadline_;
}

void parent_finder::on_timer() {
  if (phase_ == phase::backing_off && deadline_ && ctx_.now >= *deadline_) {
    start_join();
  }
  if (phase_ == phase::requesting && round_ == round_kind::promotion && deadline_ &&
      ctx_.now >= *deadline_) {
    const time_point quiet = promotion_quiet_limit();
    if (ctx_.now >= quiet) {
      const link* l = links_.find(promoted_);
      const duration silence = l ? ctx_.now - l->last_heard : duration::zero();
      if (ask_next_standby("silent for " + ms_text(silence) + " ms")) {
        return;
      }
    }
    if (const time_point limit = promotion_silence_limit({}); ctx_.now < limit) {
      // Still heard: alive, answering late. Quiet again, the next standby.
      deadline_ = quiet > ctx_.now ? std::min(quiet, limit) : limit;
      return;
    }
    failed("silent since we asked");
    return;
  }
  if (phase_ == phase::probing && deadline_ && ctx_.now >= *deadline_) {
    if (timing_.waiting() && ctx_.now < timing_.until()) {
      deadline_ = timing_.until();  // the timed answers are on their way
      return;
    }
    choose();
  }
}

}  // namespace treecast::core
