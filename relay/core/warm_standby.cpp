#include "core/warm_standby.hpp"

#include <algorithm>
#include <utility>

#include "core/errors.hpp"
#include "core/silence_rule.hpp"

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
    request(id, asked_, answer_due_);  // else once attached: the request carries our path
  }
}

void warm_standby::request(link_id_t id, bool& asked, std::optional<time_point>& due, bool second) {
  // Our path, so that a holder that refuses names no peer below our parent.
  link& l = links_.at(id);
  send_request(id, second);
  asked = true;
  due = answer_due();
  if (l.rtt == duration{}) {
    l.asked_at = ctx_.now;  // its offer times the round trip (our root delay, if it takes us)
  }
}

void warm_standby::send_request(link_id_t id, bool second) {
  const auto interval = second ? std::chrono::duration_cast<std::chrono::milliseconds>(
                                     ctx_.config.second_standby_have_interval)
                               : std::chrono::milliseconds::zero();
  links_.send(id, wire::standby_request{position_.path(), renditions_.ask(links_.at(id)),
                                        timing_.narrow_downlink_kbps(),
                                        static_cast<std::uint32_t>(interval.count())});
}

void warm_standby::on_attached() {
  if (!ctx_.config.warm_standby) {
    return;
  }
  // A new place in the tree: a sooner standby may be there to find, and
  // the new parent's lag behind the standby is not the old one's.
  fruitless_searches_ = 0;
  next_second_search_.reset();
  hold_.reset();
  lead_.forget_leads();
  if (second_) {
    second_->lead.forget_leads();
    if (!second_->asked && links_.at(second_->link).connected) {
      // Its link came up while we had no parent (a second looked for as the
      // switch began): no path to tell it then.
      request(second_->link, second_->asked, second_->answer_due, true);
    }
  }
  if (second_ && second_->held && !usable(second_->path)) {
    drop_second(node_errc::standby_declined);
  }
  if (state_ == state::held && !usable(path_)) {
    drop(node_errc::standby_declined);  // the second, if usable, takes its place
    return;
  }
  if (!link_) {
    next_round_ = ctx_.now;  // look for one now
  } else if (state_ == state::asking && !asked_ && links_.at(*link_).connected) {
    request(*link_, asked_, answer_due_);  // the runner-up, adopted before the parent accepted us
  }
}

bool warm_standby::can_replace(const std::optional<wire::node_id_t>& lost) const {
  return state_ == state::held && !hangs_below(path_, lost);
}

bool warm_standby::second_can_replace(const std::optional<wire::node_id_t>& lost) const {
  return second_ && second_->held && !hangs_below(second_->path, lost);
}

bool warm_standby::covers_parent() const {
  return can_replace(parent_id()) || second_can_replace(parent_id());
}

std::optional<link_id_t> warm_standby::take_for(const std::optional<wire::node_id_t>& lost,
                                                std::optional<time_point> heard_since) {
  const auto heard = [&](link_id_t id) {
    return !heard_since || links_.at(id).last_heard > *heard_since;
  };
  if (can_replace(lost) && heard(*link_)) {
    const link_id_t id = *link_;
    reset();
    if (second_) {
      promote_second();  // the next standby, if the new parent allows
    }
    ctx_.stats.add(counter::standby_promotions);
    return id;
  }
  if (second_can_replace(lost) && heard(second_->link)) {
    // The first fails with the parent (below it, or silent too): the second
    // has the stream. The first stays, if the new parent allows.
    const link_id_t id = second_->link;
    ctx_.log(log_level::info, "the first warm standby cannot take over; the second does");
    second_.reset();
    ctx_.stats.add(counter::standby_promotions);
    ctx_.stats.add(counter::second_standby_promotions);
    return id;
  }
  return std::nullopt;
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
  if (second_ && second_->link == id) {
    on_second_offer(l, std::move(m));
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
  answer_due_.reset();
  path_ = std::move(m.path);
  tries_ = 0;
  targets_.clear();
  look_for_second();
  return true;
}

bool warm_standby::on_have(link_id_t id, const wire::have& m) {
  standby_lead* lead = nullptr;
  if (link_ == id && state_ == state::held) {
    lead = &lead_;
  } else if (second_ && second_->link == id && second_->held) {
    lead = &second_->lead;
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
  if (second_ && second_->link == id) {
    for (auto it = m.candidates.rbegin(); it != m.candidates.rend(); ++it) {
      second_targets_.push_front(*it);
    }
    drop_second(node_errc::standby_declined);
    ask_next_second();
    return true;
  }
  if (link_ != id) {
    return false;
  }
  // Peers with room the holder knows: asked next, before the rest.
  for (auto it = m.candidates.rbegin(); it != m.candidates.rend(); ++it) {
    targets_.push_front(*it);
  }
  ctx_.log(log_level::debug, "standby " + describe(links_.at(id).remote) + " sent us on (" +
                                 m.reason + "), naming " + std::to_string(m.candidates.size()));
  drop(node_errc::standby_declined);
  return true;
}

void warm_standby::on_connected(link_id_t id) {
  if (!position_.has_parent()) {
    // Asked once attached (the request carries our path): no answer is due
    // till then.
    if (link_ == id) {
      answer_due_.reset();
    } else if (second_ && second_->link == id) {
      second_->answer_due.reset();
    }
    return;
  }
  if (link_ == id && state_ == state::asking) {
    request(id, asked_, answer_due_);
  } else if (second_ && second_->link == id) {
    request(id, second_->asked, second_->answer_due, true);
  }
}

void warm_standby::on_link_gone(link_id_t id) {
  if (second_ && second_->link == id) {
    const bool was_held = second_->held;
    second_.reset();
    if (was_held) {
      second_tries_ = 0;  // a new search, from the nearest ancestor
    }
    ask_next_second();
    return;
  }
  if (link_ != id) {
    return;
  }
  ctx_.log(log_level::debug, "warm standby gone; looking for another");
  forget_link();
  if (second_) {
    promote_second();
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
  if (second_ && second_->held) {
    second_->lead.on_parent_chunk(seq, ctx_.now);
  }
  weigh_standbys();
}

void warm_standby::weigh_standbys() {
  if (second_ && second_->held) {
    weigh_second();
  }
  look_for_second();
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
  drop_second(node_errc::shutting_down);
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
  const link_id_t id = *link_;
  links_.close(id, why);
  links_.remove(id);
  forget_link();
  if (second_) {
    ctx_.log(log_level::debug,
             "warm standby dropped (" + why.message() + "); the second replaces it");
    promote_second();
    return;
  }
  ctx_.log(log_level::debug, "warm standby dropped (" + why.message() + "); looking for another");
  ask_next();
}

void warm_standby::pass_over(const wire::endpoint& peer, bool silent) {
  passed_over_.push_back({peer, ctx_.now + pass_over_memory, silent});
  if (passed_over_.size() > passed_over_kept) {
    passed_over_.pop_front();
  }
}

bool warm_standby::passed_over(const wire::endpoint& peer, bool for_sooner) const {
  return std::any_of(passed_over_.begin(), passed_over_.end(), [&](const passed& p) {
    return p.peer == peer && ctx_.now < p.until && (p.silent || for_sooner);
  });
}

std::optional<time_point> warm_standby::silent_at(int misses) const {
  std::optional<time_point> first;
  if (state_ == state::held) {
    first = silent_time(*link_, misses);
  }
  if (second_ && second_->held) {
    const time_point second = silent_time(second_->link, misses);
    first = first ? std::min(*first, second) : second;
  }
  return first;
}

time_point warm_standby::silent_time(link_id_t id, int misses) const {
  return silent_after(links_.at(id), beat_of(id), misses, ctx_.config);
}

std::optional<duration> warm_standby::beat_of(link_id_t id) const {
  if (second_ && second_->link == id) {
    // Its holder sends a Have or heartbeat only this often.
    return std::max(pace_.interval().value_or(duration::zero()),
                    ctx_.config.second_standby_have_interval);
  }
  return pace_.interval();
}

bool warm_standby::silent(link_id_t id, int misses) {
  if (ctx_.now < silent_time(id, misses)) {
    return false;
  }
  const link& l = links_.at(id);
  ctx_.log(log_level::info, "warm standby " + describe(l.remote) + " silent for " +
                                ms_text(ctx_.now - l.last_heard) + " ms");
  ctx_.stats.add(counter::standbys_silent);
  pass_over(l.remote, true);
  return true;
}

void warm_standby::drop_if_unanswered() {
  const auto unanswered = [&](link_id_t id, const std::optional<time_point>& due) {
    if (!due || ctx_.now < *due) {
      return false;
    }
    const link& l = links_.at(id);
    ctx_.log(log_level::debug, "standby " + describe(l.remote) + " did not answer within " +
                                   ms_text(ctx_.config.probe_timeout) + " ms; asking the next");
    pass_over(l.remote, true);
    return true;
  };
  // An answer is due only while a standby is asked, never once it is held.
  if (second_ && unanswered(second_->link, second_->answer_due)) {
    drop_second(node_errc::standby_silent);
    ask_next_second();
  }
  if (link_ && unanswered(*link_, answer_due_)) {
    drop(node_errc::standby_silent);
  }
}

void warm_standby::drop_if_silent(int misses) {
  if (second_ && second_->held && silent(second_->link, misses)) {
    drop_second(node_errc::standby_silent);
    second_tries_ = 0;
    ask_next_second();
  }
  if (state_ == state::held && silent(*link_, misses)) {
    drop(node_errc::standby_silent);
  }
}

void warm_standby::forget_link() {
  link_.reset();
  state_ = state::none;
  asked_ = false;
  answer_due_.reset();
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
  while (!targets_.empty() && passed_over(targets_.front(), false)) {
    targets_.pop_front();
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
  answer_due_ = answer_due();  // connected, TLS and answered by then
}

std::optional<time_point> warm_standby::deadline(std::optional<time_point> parent_heard) const {
  std::optional<time_point> next = link_ || !position_.has_parent() ? std::nullopt : next_round_;
  for (const auto& due :
       {answer_due_, second_ ? second_->answer_due : std::nullopt, second_search_due()}) {
    if (due && (!next || *due < *next)) {
      next = due;
    }
  }
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

std::optional<time_point> warm_standby::second_search_due() const {
  // look_for_second acts after the pause when no second is held, or when
  // the one held is to be replaced (outrun by a first slow to take over).
  const bool replacing = second_ && second_->held && second_->outrun && slow_to_take_over();
  if (state_ != state::held || (second_ && !replacing)) {
    return std::nullopt;
  }
  return next_second_search_;
}

void warm_standby::on_timer() {
  drop_if_unanswered();
  look_for_second();
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

// ------------------------------------------------------- the second standby

std::optional<duration> warm_standby::switch_gap(const standby_lead& lead, link_id_t id) const {
  const auto typical = lead.typical();
  if (!typical) {
    return std::nullopt;
  }
  return std::max(links_.at(id).rtt, -*typical);
}

bool warm_standby::slow_to_take_over() const {
  // The stream would come later through the standby than it does now, or
  // stop for a long round trip when it takes over: a switch to it would
  // cost the viewers below that much of their buffer. (On every chunk: no
  // text built here.)
  const auto lead = lead_.typical();
  return state_ == state::held && lead &&
         (-*lead > ctx_.config.standby_max_trail ||
          links_.at(*link_).rtt > ctx_.config.standby_max_rtt);
}

std::string warm_standby::why_slow() const {
  const duration trail = -lead_.typical().value_or(duration::zero());
  if (trail > ctx_.config.standby_max_trail) {
    return "trails the parent by " + ms_text(trail) + " ms; looking for a sooner one";
  }
  return "is " + ms_text(links_.at(*link_).rtt) + " ms away (round trip); looking for a nearer one";
}

void warm_standby::look_for_second() {
  if (!ctx_.config.second_standby || state_ != state::held || (second_ && !second_->held) ||
      (next_second_search_ && ctx_.now < *next_second_search_)) {
    return;  // no standby yet, a search under way, or paused
  }
  const bool slow = slow_to_take_over();
  if (second_) {
    // Kept, unless it was measured no sooner than a first that is slow to
    // take over (else weigh_second swapped them): then, after the pause,
    // the next peer is asked in its place.
    if (!second_->outrun || !slow) {
      return;
    }
    drop_second(node_errc::standby_replaced);
  }
  if (slow) {
    ctx_.log(log_level::debug, "warm standby " + why_slow());
  }
  sooner_wanted_ = slow;
  second_tries_ = 0;
  second_targets_.clear();
  ask_next_second();
}

void warm_standby::ask_next_second() {
  if (second_targets_.empty() && second_tries_ == 0) {
    ancestors_to_ask(second_targets_);
  }
  const std::optional<wire::endpoint> first =
      link_ ? std::optional(links_.at(*link_).remote) : std::nullopt;
  while (!second_targets_.empty() && second_tries_ < ctx_.config.max_standby_tries) {
    const wire::endpoint target = second_targets_.front();
    second_targets_.pop_front();
    if (target == first || passed_over(target, sooner_wanted_)) {
      continue;  // the one we have, or one silent (or, for a sooner one, no sooner) lately
    }
    ++second_tries_;
    second_.emplace(links_.open(link_kind::standby, target));
    second_->answer_due = answer_due();  // connected, TLS and answered by then
    return;
  }
  second_targets_.clear();
  end_search();
}

void warm_standby::end_search() {
  sooner_wanted_ = false;
  second_tries_ = 0;
  if (!second_) {
    next_second_search_ = ctx_.now + ctx_.config.standby_retry;  // as for the first
  }
}

bool warm_standby::fails_with_first(const std::vector<wire::node_id_t>& path) const {
  return state_ == state::held && !path_.empty() && hangs_below(path, path_.back());
}

void warm_standby::on_second_offer(const link& l, wire::standby_offer&& m) {
  if ((m.free_slots == 0 && !second_->held) || !usable(m.path) || fails_with_first(m.path)) {
    drop_second(node_errc::standby_declined);
    ask_next_second();
    return;
  }
  if (!second_->held) {
    ctx_.log(log_level::debug, "second warm standby " + describe(l.remote) + " at depth " +
                                   std::to_string(m.depth + 1));
  }
  second_->held = true;
  second_->answer_due.reset();
  second_->path = std::move(m.path);
  end_search();  // whether it is sooner, weigh_second tells once its lead is known
}

void warm_standby::weigh_second() {
  const auto theirs = switch_gap(second_->lead, second_->link);
  const auto ours = state_ == state::held && link_ ? switch_gap(lead_, *link_) : std::nullopt;
  if (!theirs || !ours) {
    return;
  }
  if (*theirs + swap_margin >= *ours) {
    if (!second_->outrun && slow_to_take_over()) {
      // No sooner than a first that is slow to take over: kept until the
      // next is asked in its place, after a pause that doubles each time
      // (where no sooner standby exists, asking often was the largest
      // control cost of a settled tree).
      second_->outrun = true;
      pass_over(links_.at(second_->link).remote, false);
      next_second_search_ =
          ctx_.now + ctx_.config.standby_challenge_pause * (1 << fruitless_searches_);
      fruitless_searches_ = std::min(fruitless_searches_ + 1, max_search_backoff);
    }
    return;
  }
  ctx_.log(log_level::info, "warm standby: " + describe(links_.at(second_->link).remote) +
                                " at depth " + std::to_string(second_->path.size()) +
                                ", a switch to it stops the stream " + ms_text(*theirs) +
                                " ms, not " + ms_text(*ours));
  swap_with_second();
  fruitless_searches_ = 0;
  next_second_search_.reset();
}

void warm_standby::swap_with_second() {
  second_standby first(*link_);
  first.asked = asked_;
  first.held = true;
  first.path = std::move(path_);
  first.lead = std::move(lead_);
  become_first(std::move(*second_));
  second_ = std::move(first);
  send_request(*link_, false);  // each holder: Haves as the role needs them
  send_request(second_->link, true);
}

void warm_standby::become_first(second_standby&& next) {
  link_ = next.link;
  state_ = next.held ? state::held : state::asking;
  asked_ = next.asked;
  answer_due_ = next.answer_due;
  path_ = std::move(next.path);
  lead_ = std::move(next.lead);
  fetched_unsent_.reset();  // proof the other link gave
  // Not asked for what a late parent owes us yet: a paced fetch goes to it
  // at once (seed 8: the first, fetched from, was dropped as it moved below
  // the frozen parent; its successor was not asked until the switch).
  paced_after_.reset();
}

void warm_standby::promote_second() {
  second_standby next = std::move(*second_);
  second_.reset();
  become_first(std::move(next));
  tries_ = 0;
  targets_.clear();
  next_second_search_.reset();  // the next second is looked for at once
  if (asked_) {
    send_request(*link_, false);  // a Have each chunk from now on
  }
  if (state_ == state::held && !usable(path_)) {
    drop(node_errc::standby_declined);
    return;
  }
  look_for_second();
}

void warm_standby::drop_second(std::error_code why) {
  if (!second_) {
    return;
  }
  links_.close(second_->link, why);
  links_.remove(second_->link);
  second_.reset();
}

}  // namespace treecast::core
