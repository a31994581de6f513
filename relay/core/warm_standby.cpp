#include "core/warm_standby.hpp"

#include <algorithm>
#include <utility>

#include "core/errors.hpp"

namespace treecast::core {
namespace {

// Whether a peer whose path is `path` would fail with `peer` (it hangs below
// it). The broadcaster is on every path and excepted.
bool hangs_below(const std::vector<wire::node_id_t>& path,
                 const std::optional<wire::node_id_t>& peer) {
  return peer && !path.empty() && *peer != path.front() && on_path(path, *peer);
}

}  // namespace

std::optional<link_id_t> warm_standby::held() const {
  return state_ == state::held ? link_ : std::nullopt;
}

std::optional<wire::node_id_t> warm_standby::parent_id() const {
  return position_.has_parent() ? position_.latest_parent_id() : std::nullopt;
}

void warm_standby::adopt(link_id_t id) {
  link* l = links_.find(id);
  if (!l || link_) {
    if (l) {  // one standby is enough
      links_.close(id, node_errc::probe_done);
      links_.remove(id);
    }
    return;
  }
  l->kind = link_kind::standby;
  link_ = id;
  state_ = state::asking;
  if (position_.has_parent()) {
    request(id, asked_);  // else once attached: the request carries our path
  }
}

void warm_standby::request(link_id_t id, bool& asked) {
  // Our path, so that a holder that refuses names no peer below our parent.
  link& l = links_.at(id);
  links_.send(id, wire::standby_request{position_.path(), renditions_.ask(l),
                                        timing_.narrow_downlink_kbps()});
  asked = true;
  if (l.rtt == duration{}) {
    l.asked_at = ctx_.now;  // its offer times the round trip (our root delay, if it takes us)
  }
}

void warm_standby::on_attached() {
  if (!ctx_.config.warm_standby) {
    return;
  }
  // A new place in the tree: a sooner standby may be there to find, and
  // the new parent's lag behind the standby is not the old one's.
  fruitless_challenges_ = 0;
  hold_.reset();
  lead_.forget_leads();
  if (challenger_) {
    challenger_->lead.forget_leads();
  }
  if (challenger_ && challenger_->held && !usable(challenger_->path)) {
    end_challenge(node_errc::standby_declined);
  }
  if (state_ == state::held && !usable(path_)) {
    drop(node_errc::standby_declined);
    return;
  }
  if (!link_) {
    next_round_ = ctx_.now;  // look for one now
  } else if (state_ == state::asking && !asked_ && links_.at(*link_).connected) {
    request(*link_, asked_);  // the runner-up, adopted before the parent accepted us
  }
}

bool warm_standby::can_replace(const std::optional<wire::node_id_t>& lost) const {
  return state_ == state::held && !hangs_below(path_, lost);
}

std::optional<link_id_t> warm_standby::take_for(const std::optional<wire::node_id_t>& lost) {
  if (!can_replace(lost)) {
    return std::nullopt;
  }
  const link_id_t id = *link_;
  reset();
  if (challenger_) {
    take_challenger();  // the next standby, if the new parent allows
  }
  ctx_.stats.add(counter::standby_promotions);
  return id;
}

bool warm_standby::usable(const std::vector<wire::node_id_t>& path) const {
  return !hangs_below(path, parent_id()) && !on_path(path, ctx_.id);
}

bool warm_standby::on_offer(link_id_t id, link& l, wire::standby_offer&& m) {
  if (l.kind != link_kind::standby) {
    return false;
  }
  if (const auto asked = std::exchange(l.asked_at, std::nullopt)) {
    l.rtt = ctx_.now - *asked;
  }
  if (challenger_ && challenger_->link == id) {
    on_challenger_offer(l, std::move(m));
    return true;
  }
  if (link_ != id) {
    return false;
  }
  // A holder that filled up since keeps us while we fit in its headroom
  // (else it sends us on with a JoinRedirect): a new offer without room
  // ends only an ask.
  const bool no_room = m.free_slots == 0 && state_ != state::held;
  if (no_room || !usable(m.path)) {
    ctx_.log(log_level::debug, "standby " + describe(l.remote) + " declined: " +
                                   (no_room ? "no room" : "below us or our parent"));
    drop(node_errc::standby_declined);
    return true;
  }
  if (state_ != state::held) {
    ctx_.log(log_level::info,
             "warm standby: " + describe(l.remote) + " at depth " + std::to_string(m.depth + 1));
  }
  state_ = state::held;
  path_ = std::move(m.path);
  tries_ = 0;
  targets_.clear();
  return true;
}

bool warm_standby::on_have(link_id_t id, const wire::have& m) {
  standby_lead* lead = nullptr;
  if (link_ == id && state_ == state::held) {
    lead = &lead_;
  } else if (challenger_ && challenger_->link == id && challenger_->held) {
    lead = &challenger_->lead;
  } else {
    return false;
  }
  const auto sent = arrivals_.find(m.seq);
  // A chunk fetched from the standby before its Have came still counts
  // against the parent, which has not sent it.
  const bool stale = window_.contains(m.seq) && !fetched(id, m.seq);
  lead->on_have(m.seq, ctx_.now,
                sent != arrivals_.end() ? std::optional(sent->second) : std::nullopt, stale);
  weigh_standbys();
  return true;
}

bool warm_standby::on_redirect(link_id_t id, const wire::join_redirect& m) {
  if (challenger_ && challenger_->link == id) {
    for (auto it = m.candidates.rbegin(); it != m.candidates.rend(); ++it) {
      challenge_targets_.push_front(*it);
    }
    end_challenge(node_errc::standby_declined);
    challenge_next();
    return true;
  }
  if (link_ != id) {
    return false;
  }
  // Peers with room the holder knows: asked next, before the rest.
  for (auto it = m.candidates.rbegin(); it != m.candidates.rend(); ++it) {
    targets_.push_front(*it);
  }
  drop(node_errc::standby_declined);
  return true;
}

void warm_standby::on_connected(link_id_t id) {
  if (!position_.has_parent()) {
    return;
  }
  if (link_ == id && state_ == state::asking) {
    request(id, asked_);
  } else if (challenger_ && challenger_->link == id) {
    request(id, challenger_->asked);
  }
}

void warm_standby::on_link_gone(link_id_t id) {
  if (challenger_ && challenger_->link == id) {
    challenger_.reset();
    challenge_next();
    return;
  }
  if (link_ != id) {
    return;
  }
  ctx_.log(log_level::debug, "warm standby gone; looking for another");
  forget_link();
  if (challenger_) {
    take_challenger();
    return;
  }
  ask_next();
}

void warm_standby::on_parent_chunk(const wire::chunk& c) {
  pace_.on_chunk(c.seq, c.capture_time_us, ctx_.now);  // known before a standby is held
  const wire::seq_t seq = c.seq;
  if (state_ != state::held) {
    return;
  }
  if (fetched_unsent_ && fetched_unsent_->first <= seq) {
    fetched_unsent_.reset();  // the parent caught up
  }
  arrivals_[seq] = ctx_.now;
  while (arrivals_.size() > arrivals_kept) {
    arrivals_.erase(arrivals_.begin());
  }
  lead_.on_parent_chunk(seq, ctx_.now);
  if (challenger_ && challenger_->held) {
    challenger_->lead.on_parent_chunk(seq, ctx_.now);
  }
  weigh_standbys();
}

void warm_standby::weigh_standbys() {
  if (challenger_ && challenger_->held) {
    settle_challenge();
  }
  challenge_if_slow_to_take_over();
}

duration warm_standby::usual_lag() const {
  // Until it is known, assume it is long: a parent whose uplink is slower
  // than the standby's is no failed one.
  return lead_.usual(unknown_lag);
}

std::optional<time_point> warm_standby::late_by(duration tolerance, time_point parent_heard) const {
  const auto& haves = lead_.pending();
  if (!position_.has_parent() || !can_replace(parent_id()) || haves.empty()) {
    return std::nullopt;
  }
  // The parent's copy of the oldest announced chunk it has not sent was due
  // a usual lag after the Have.
  const time_point announced = haves.begin()->second;
  return late_after(announced, announced + usual_lag(), tolerance, parent_heard);
}

time_point warm_standby::late_after(time_point proof, time_point expected, duration tolerance,
                                    time_point parent_heard) const {
  // Late once `tolerance` has passed since the parent's copy was expected
  // and since it last sent anything at all (a long chunk still arriving is
  // no silence), and never before the standby showed it has the chunk.
  const duration wait = std::min(tolerance, ctx_.config.starvation_timeout);
  return std::max({proof, expected + wait, parent_heard + wait});
}

bool warm_standby::parent_behind(time_point parent_heard) {
  const auto announced = late_by(lag_tolerance(), parent_heard);
  const auto fetched = late_with_fetched(lag_tolerance(), parent_heard);
  const bool behind = (announced && ctx_.now >= *announced) || (fetched && ctx_.now >= *fetched);
  if (!behind || !hold_.holds(ctx_.now)) {
    return behind;
  }
  if (const auto episode = hold_.episode_since(ctx_.now); held_episode_ != episode) {
    held_episode_ = episode;  // counted once an episode
    ctx_.stats.add(counter::parents_held);
  }
  return false;
}

std::optional<time_point> warm_standby::after_hold(std::optional<time_point> due) const {
  const auto until = hold_.until(ctx_.now);
  return due && until ? std::optional(std::max(*due, *until)) : due;
}

std::optional<time_point> warm_standby::parent_overdue_at(time_point parent_heard) const {
  const auto due = pace_.next_due();
  if (!due || !position_.has_parent()) {
    return std::nullopt;
  }
  // Half way to the switch, and as long quiet: a parent only slow (a
  // flash crowd's backlogs, a long chunk) is seldom that late, and its
  // children are then not kept from their own standbys.
  const duration wait = lag_tolerance() / 2;
  return std::max(*due + wait, parent_heard + wait);
}

std::optional<time_point> warm_standby::late_with_fetched(duration tolerance,
                                                          time_point parent_heard) const {
  const auto due = pace_.next_due();
  if (!fetched_unsent_ || !due || !position_.has_parent() || !can_replace(parent_id())) {
    return std::nullopt;
  }
  return late_after(fetched_unsent_->second, *due, tolerance, parent_heard);
}

void warm_standby::on_fetched_chunk(wire::seq_t seq) {
  const auto newest = pace_.last_seq();
  if (state_ != state::held || (newest && seq <= *newest) || fetched_unsent_) {
    return;  // the parent sent it already, or an older one is the proof
  }
  fetched_unsent_.emplace(seq, ctx_.now);
}

// A long chunk takes long on every hop's uplink (a parent sends it to its
// other children too, and a joiner's backlog), so its arrival varies with
// its length: the tolerances grow with the parent's chunk interval, and
// 200 ms chunks are not taken for a failure where 33 ms ones would be.
duration warm_standby::at_least_share_of_pace(duration floor, int num, int den) const {
  const auto pace = pace_.interval();
  return pace ? std::max(floor, *pace * num / den) : floor;
}

duration warm_standby::lag_tolerance() const {
  return at_least_share_of_pace(ctx_.config.parent_lag_tolerance, 3, 4);
}

duration warm_standby::pace_tolerance() const {
  return at_least_share_of_pace(ctx_.config.pace_fetch_tolerance, 1, 5);
}

std::optional<wire::seq_t> warm_standby::first_to_fetch() const {
  const auto& haves = lead_.pending();
  if (haves.empty()) {
    return std::nullopt;
  }
  // The first chunk we lack up to the newest announced, from the gap after
  // our newest chunk (the standby holds the ones before its first Have
  // too), never one fetched before on this link. Oldest first (they play
  // first), a Fetch's most at a time: a gap wider than that is fetched in
  // turn, not skipped, unless it reaches back beyond fetch_reach.
  const wire::seq_t last = haves.rbegin()->first;
  const auto ours = window_.last_seq();
  wire::seq_t from = std::min(haves.begin()->first, ours ? *ours + 1 : last);
  from = std::max<wire::seq_t>(from, last >= fetch_reach ? last - fetch_reach + 1 : 0);
  if (fetch_ && fetch_->link == link_) {
    from = std::max(from, fetch_->end);
  }
  return from <= last ? window_.first_missing(from, last) : std::nullopt;
}

void warm_standby::fill_gap(time_point parent_heard) {
  fetch_by_pace(parent_heard);
  const auto due = late_by(ctx_.config.gap_fill_tolerance, parent_heard);
  const auto from = first_to_fetch();
  if (!due || ctx_.now < *due || !from) {
    return;
  }
  // Every chunk announced since, each once: they come on the standby link
  // in one go.
  const wire::seq_t last = lead_.pending().rbegin()->first;
  send_fetch(*from, static_cast<std::uint32_t>(
                        std::min<wire::seq_t>(last - *from + 1, wire::max_fetch_chunks)));
}

std::optional<time_point> warm_standby::paced_fetch_due(time_point parent_heard) const {
  const auto due = pace_.next_due();
  if (!due || state_ != state::held || !position_.has_parent() || !can_replace(parent_id()) ||
      paced_after_ == pace_.last_seq()) {
    return std::nullopt;
  }
  // A long chunk still arriving is no silence.
  const duration wait = pace_tolerance();
  return std::max(*due + wait, parent_heard + wait);
}

void warm_standby::fetch_by_pace(time_point parent_heard) {
  const auto due = paced_fetch_due(parent_heard);
  if (!due || ctx_.now < *due) {
    return;
  }
  paced_after_ = pace_.last_seq();
  wire::seq_t from = window_.last_seq() ? *window_.last_seq() + 1 : *pace_.last_seq() + 1;
  if (fetch_ && fetch_->link == *link_) {
    from = std::max(from, fetch_->end);
  }
  // The chunks until the switch would come (lag_tolerance()), at the
  // stream's pace (never under a millisecond: parent_pace ignores bursts);
  // the standby sends those it lacks yet as they come.
  const duration pace = *pace_.interval();
  const auto until_switch = (lag_tolerance() + pace - duration(1)) / pace + 1;
  ctx_.stats.add(counter::paced_fetches);
  ctx_.log(log_level::debug, "parent late by its pace; fetching from chunk " +
                                 std::to_string(from) + " from the standby");
  send_fetch(from, static_cast<std::uint32_t>(std::min<std::int64_t>(
                       until_switch, static_cast<std::int64_t>(wire::max_fetch_chunks))));
}

void warm_standby::send_fetch(wire::seq_t from, std::uint32_t count) {
  // Fetches on one link only move forward: the record covers them all, as
  // an earlier one's chunks may still be on the way.
  const bool same_link = fetch_ && fetch_->link == *link_;
  fetch_ = fetch_record{*link_, same_link ? fetch_->from : from, from + count};
  ctx_.stats.add(counter::gap_fills);
  links_.send(*link_, wire::fetch{from, count});
}

bool warm_standby::fetched(link_id_t id, wire::seq_t seq) const {
  // Also once the link is promoted: what it sent before our JoinRequest.
  return fetch_ && fetch_->link == id && seq >= fetch_->from && seq < fetch_->end;
}

duration warm_standby::parent_lag() const {
  const auto& haves = lead_.pending();
  if (!haves.empty()) {
    return ctx_.now - haves.begin()->second;
  }
  const auto due = pace_.next_due();
  return fetched_unsent_ && due && ctx_.now > *due ? ctx_.now - *due : duration::zero();
}

void warm_standby::stop() {
  end_challenge(node_errc::shutting_down);
  reset();
  next_round_.reset();
}

void warm_standby::reset() {
  forget_link();
  targets_.clear();
  tries_ = 0;
}

void warm_standby::drop(std::error_code why) {
  if (!link_) {
    return;
  }
  ctx_.log(log_level::debug, "warm standby dropped (" + why.message() + "); looking for another");
  const link_id_t id = *link_;
  links_.close(id, why);
  links_.remove(id);
  forget_link();
  ask_next();
}

void warm_standby::forget_link() {
  link_.reset();
  state_ = state::none;
  asked_ = false;
  path_.clear();
  lead_.clear();
  arrivals_.clear();
  fetched_unsent_.reset();
}

void warm_standby::ask_next() {
  if (!position_.has_parent() || link_) {
    return;
  }
  if (targets_.empty() && tries_ == 0) {
    fill_targets();  // a declined runner-up: the ancestors next
  }
  if (targets_.empty() || tries_ >= ctx_.config.max_standby_tries) {
    targets_.clear();
    tries_ = 0;
    next_round_ = ctx_.now + ctx_.config.standby_retry;
    return;
  }
  const wire::endpoint target = targets_.front();
  targets_.pop_front();
  ++tries_;
  link_ = links_.open(link_kind::standby, target);
  state_ = state::asking;
}

std::optional<time_point> warm_standby::deadline(std::optional<time_point> parent_heard) const {
  std::optional<time_point> next = link_ || !position_.has_parent() ? std::nullopt : next_round_;
  if (parent_heard) {
    // The gap fill comes first (its tolerance is the smaller), but only
    // while a chunk is left to fetch: its time stays past once done.
    const bool to_fetch = first_to_fetch().has_value();
    const duration tolerance = to_fetch ? ctx_.config.gap_fill_tolerance : lag_tolerance();
    const auto announced = late_by(tolerance, *parent_heard);
    for (const auto& due :
         {to_fetch ? announced : after_hold(announced), paced_fetch_due(*parent_heard),
          after_hold(late_with_fetched(lag_tolerance(), *parent_heard))}) {
      if (due && (!next || *due < *next)) {
        next = due;
      }
    }
  }
  return next;
}

void warm_standby::on_timer() {
  if (link_ || !next_round_ || ctx_.now < *next_round_ || !position_.has_parent()) {
    return;
  }
  next_round_.reset();
  targets_.clear();
  tries_ = 0;
  ask_next();
}

void warm_standby::fill_targets() {
  ancestors_to_ask(targets_);
}

void warm_standby::ancestors_to_ask(std::deque<wire::endpoint>& targets) const {
  // The ancestors above the parent, nearest first (the parent is the last):
  // a full one names peers with room outside our branch. Nearest first: a
  // standby near us in the tree is near in delay too (asking the highest
  // first, for standbys that fail with fewer of our ancestors, gave 2-5
  // times the stall time in the simulator).
  const auto& ancestors = position_.ancestors();
  for (std::size_t i = ancestors.size(); i-- > 1;) {
    targets.push_back(ancestors[i - 1]);
  }
}

// ------------------------------------------------------------- challenges

std::optional<duration> warm_standby::switch_gap(const standby_lead& lead, link_id_t id) const {
  const auto typical = lead.typical();
  if (!typical) {
    return std::nullopt;
  }
  return std::max(links_.at(id).rtt, -*typical);
}

void warm_standby::challenge_if_slow_to_take_over() {
  const auto lead = lead_.typical();
  if (challenger_ || state_ != state::held || !lead ||
      (next_challenge_ && ctx_.now < *next_challenge_)) {
    return;
  }
  // The stream would come later through the standby than it does now, or
  // stop for a long round trip when it takes over: a switch to it would
  // cost the viewers below that much of their buffer. Look for a nearer
  // one, keeping this one until it is found.
  const duration trail = -*lead;
  const duration rtt = links_.at(*link_).rtt;
  if (trail > ctx_.config.standby_max_trail) {
    ctx_.log(log_level::debug, "warm standby trails the parent by " + ms_text(trail) +
                                   " ms; looking for a sooner one");
  } else if (rtt > ctx_.config.standby_max_rtt) {
    ctx_.log(log_level::debug,
             "warm standby is " + ms_text(rtt) + " ms away (round trip); looking for a nearer one");
  } else {
    return;
  }
  challenge_tries_ = 0;
  challenge_targets_.clear();
  // Counted fruitless until it replaces the standby (settle_challenge).
  next_challenge_ = ctx_.now + ctx_.config.standby_challenge_pause * (1 << fruitless_challenges_);
  fruitless_challenges_ = std::min(fruitless_challenges_ + 1, max_challenge_backoff);
  challenge_next();
}

void warm_standby::challenge_next() {
  if (challenge_targets_.empty() && challenge_tries_ == 0) {
    ancestors_to_ask(challenge_targets_);
  }
  const std::optional<wire::endpoint> current =
      link_ ? std::optional(links_.at(*link_).remote) : std::nullopt;
  while (!challenge_targets_.empty() && challenge_tries_ < ctx_.config.max_standby_tries) {
    const wire::endpoint target = challenge_targets_.front();
    challenge_targets_.pop_front();
    const bool outrun = std::any_of(outrun_.begin(), outrun_.end(), [&](const auto& o) {
      return o.first == target && ctx_.now < o.second;
    });
    if (target == current || outrun) {
      continue;  // the one we have, or one measured no sooner lately
    }
    ++challenge_tries_;
    challenger next;
    next.link = links_.open(link_kind::standby, target);
    challenger_ = std::move(next);
    return;
  }
  challenge_targets_.clear();
}

void warm_standby::on_challenger_offer(const link& l, wire::standby_offer&& m) {
  if ((m.free_slots == 0 && !challenger_->held) || !usable(m.path)) {
    end_challenge(node_errc::standby_declined);
    challenge_next();
    return;
  }
  if (!challenger_->held) {
    ctx_.log(log_level::debug, "standby challenger " + describe(l.remote) + " at depth " +
                                   std::to_string(m.depth + 1) + ": measuring its lead");
  }
  challenger_->held = true;
  challenger_->path = std::move(m.path);
}

void warm_standby::settle_challenge() {
  const auto theirs = switch_gap(challenger_->lead, challenger_->link);
  if (!theirs) {
    return;
  }
  // Unknown for the one we hold: any known challenger is better.
  const duration ours = (state_ == state::held && link_ ? switch_gap(lead_, *link_) : std::nullopt)
                            .value_or(duration::max());
  if (ours != duration::max() && *theirs + challenge_margin >= ours) {
    // A switch to it would stop the stream no shorter than one to the
    // standby we hold: not asked again for a while.
    outrun_.emplace_back(links_.at(challenger_->link).remote, ctx_.now + outrun_memory);
    if (outrun_.size() > outrun_kept) {
      outrun_.pop_front();
    }
    end_challenge(node_errc::standby_declined);
    challenge_next();
    return;
  }
  ctx_.log(log_level::info, "warm standby: " + describe(links_.at(challenger_->link).remote) +
                                " at depth " + std::to_string(challenger_->path.size()) +
                                ", a switch to it stops the stream " + ms_text(*theirs) +
                                " ms, not " +
                                (ours != duration::max() ? ms_text(ours) : std::string("?")));
  if (link_) {
    const link_id_t old = *link_;
    links_.close(old, node_errc::standby_replaced);
    links_.remove(old);
  }
  take_challenger();
  challenge_targets_.clear();
  fruitless_challenges_ = 0;
}

void warm_standby::take_challenger() {
  challenger c = std::move(*challenger_);
  challenger_.reset();
  link_ = c.link;
  state_ = c.held ? state::held : state::asking;
  asked_ = c.asked;
  path_ = std::move(c.path);
  lead_ = std::move(c.lead);
  tries_ = 0;
  targets_.clear();
  if (state_ == state::held && !usable(path_)) {
    drop(node_errc::standby_declined);
  }
}

void warm_standby::end_challenge(std::error_code why) {
  if (!challenger_) {
    return;
  }
  links_.close(challenger_->link, why);
  links_.remove(challenger_->link);
  challenger_.reset();
}

}  // namespace treecast::core
