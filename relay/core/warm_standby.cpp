#include "core/warm_standby.hpp"

#include <algorithm>

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
  const auto& path = position_.path();
  if (!position_.has_parent() || path.size() < 2) {
    return std::nullopt;
  }
  return path[path.size() - 2];
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
    request(id);  // else once attached: the request carries our path
  }
}

void warm_standby::request(link_id_t id) {
  // Our path, so that a holder that refuses names no peer below our parent.
  links_.send(id, wire::standby_request{position_.path()});
  asked_ = true;
}

void warm_standby::on_attached() {
  if (!ctx_.config.warm_standby) {
    return;
  }
  if (state_ == state::held) {
    if (hangs_below(path_, parent_id()) || on_path(path_, ctx_.id)) {
      drop(node_errc::standby_declined);
      return;
    }
  }
  if (!link_) {
    next_round_ = ctx_.now;  // look for one now
  } else if (state_ == state::asking && !asked_ && links_.at(*link_).connected) {
    request(*link_);  // the runner-up, adopted before the parent accepted us
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
  ctx_.stats.add(counter::standby_promotions);
  return id;
}

bool warm_standby::on_offer(link_id_t id, link& l, wire::standby_offer&& m) {
  if (l.kind != link_kind::standby || link_ != id) {
    return false;
  }
  if (m.free_slots == 0 || hangs_below(m.path, parent_id()) || on_path(m.path, ctx_.id)) {
    ctx_.log(log_level::debug, "standby " + describe(l.remote) + " declined: " +
                                   (m.free_slots == 0 ? "no room" : "below us or our parent"));
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
  if (link_ != id || state_ != state::held) {
    return false;
  }
  if (const auto sent = arrivals_.find(m.seq); sent != arrivals_.end()) {
    record_lag(sent->second - ctx_.now);  // the parent was first
    return true;
  }
  if (window_.contains(m.seq)) {
    return true;  // older than what we remember of the parent
  }
  haves_.try_emplace(m.seq, ctx_.now);
  while (haves_.size() > haves_kept) {
    haves_.erase(haves_.begin());
  }
  return true;
}

bool warm_standby::on_redirect(link_id_t id, const wire::join_redirect& m) {
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
  if (link_ == id && state_ == state::asking && position_.has_parent()) {
    request(id);
  }
}

void warm_standby::on_link_gone(link_id_t id) {
  if (link_ != id) {
    return;
  }
  forget_link();
  ask_next();
}

void warm_standby::on_parent_chunk(wire::seq_t seq) {
  if (state_ != state::held) {
    return;
  }
  arrivals_[seq] = ctx_.now;
  while (arrivals_.size() > arrivals_kept) {
    arrivals_.erase(arrivals_.begin());
  }
  if (const auto it = haves_.find(seq); it != haves_.end()) {
    record_lag(ctx_.now - it->second);
  }
  haves_.erase(haves_.begin(), haves_.upper_bound(seq));
}

void warm_standby::record_lag(duration lag) {
  lags_.push_back(lag);
  if (lags_.size() > lags_kept) {
    lags_.pop_front();
  }
}

duration warm_standby::usual_lag() const {
  // Until it is known, assume it is long: a parent whose uplink is slower
  // than the standby's is no failed one.
  if (lags_.size() < lags_needed) {
    return unknown_lag;
  }
  return *std::max_element(lags_.begin(), lags_.end());
}

std::optional<time_point> warm_standby::late_by(duration tolerance, time_point parent_heard) const {
  if (!position_.has_parent() || !can_replace(parent_id()) || haves_.empty()) {
    return std::nullopt;
  }
  // The parent's copy of the oldest announced chunk it has not sent was due
  // at `expected`; it is late once `tolerance` has passed since then and
  // since it last sent anything at all (a long chunk still arriving is no
  // silence).
  const time_point announced = haves_.begin()->second;
  const time_point expected = announced + usual_lag();
  const duration wait = std::min(tolerance, ctx_.config.starvation_timeout);
  return std::max({announced, expected + wait, parent_heard + wait});
}

bool warm_standby::parent_behind(time_point parent_heard) const {
  const auto due = late_by(ctx_.config.parent_lag_tolerance, parent_heard);
  return due && ctx_.now >= *due;
}

std::optional<wire::seq_t> warm_standby::first_to_fetch() const {
  if (haves_.empty()) {
    return std::nullopt;
  }
  // The first chunk we lack up to the newest announced, from the gap after
  // our newest chunk (the standby holds the ones before its first Have
  // too), never one fetched before on this link.
  const wire::seq_t last = haves_.rbegin()->first;
  const auto ours = window_.last_seq();
  wire::seq_t from = std::min(haves_.begin()->first, ours ? *ours + 1 : last);
  from = std::max<wire::seq_t>(
      from, last >= wire::max_fetch_chunks ? last - wire::max_fetch_chunks + 1 : 0);
  if (fetch_ && fetch_->link == link_) {
    from = std::max(from, fetch_->end);
  }
  return from <= last ? window_.first_missing(from, last) : std::nullopt;
}

void warm_standby::fill_gap(time_point parent_heard) {
  const auto due = late_by(ctx_.config.gap_fill_tolerance, parent_heard);
  const auto from = first_to_fetch();
  if (!due || ctx_.now < *due || !from) {
    return;
  }
  // Every chunk announced since, each once: they come on the standby link
  // in one go.
  const wire::seq_t last = haves_.rbegin()->first;
  const auto count =
      static_cast<std::uint32_t>(std::min<wire::seq_t>(last - *from + 1, wire::max_fetch_chunks));
  // Fetches on one link only move forward: the record covers them all, as
  // an earlier one's chunks may still be on the way.
  const bool same_link = fetch_ && fetch_->link == *link_;
  fetch_ = fetch_record{*link_, same_link ? fetch_->from : *from, *from + count};
  ctx_.stats.add(counter::gap_fills);
  links_.send(*link_, wire::fetch{*from, count});
}

bool warm_standby::fetched(link_id_t id, wire::seq_t seq) const {
  // Also once the link is promoted: what it sent before our JoinRequest.
  return fetch_ && fetch_->link == id && seq >= fetch_->from && seq < fetch_->end;
}

duration warm_standby::parent_lag() const {
  return haves_.empty() ? duration::zero() : ctx_.now - haves_.begin()->second;
}

void warm_standby::stop() {
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
  ask_next();
}

void warm_standby::forget_link() {
  link_.reset();
  state_ = state::none;
  asked_ = false;
  path_.clear();
  haves_.clear();
  arrivals_.clear();
  lags_.clear();
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
    const duration tolerance =
        first_to_fetch() ? ctx_.config.gap_fill_tolerance : ctx_.config.parent_lag_tolerance;
    if (const auto due = late_by(tolerance, *parent_heard); due && (!next || *due < *next)) {
      next = due;
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
  // The ancestors above the parent, nearest first (the parent is the last).
  const auto& ancestors = position_.ancestors();
  for (std::size_t i = ancestors.size(); i-- > 1;) {
    targets_.push_back(ancestors[i - 1]);
  }
}

}  // namespace treecast::core
