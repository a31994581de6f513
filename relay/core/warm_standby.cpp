#include "core/warm_standby.hpp"

#include <algorithm>

#include "core/errors.hpp"

namespace treecast::core {

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
  request(id);
}

void warm_standby::request(link_id_t id) {
  // Our path, so that a holder that refuses names no peer below our parent.
  links_.send(id, wire::standby_request{position_.path()});
}

void warm_standby::on_attached() {
  if (!ctx_.config.warm_standby) {
    return;
  }
  if (state_ == state::held) {
    const auto parent = parent_id();
    const bool below_parent =
        parent && !path_.empty() && *parent != path_.front() && on_path(path_, *parent);
    if (below_parent || on_path(path_, ctx_.id)) {
      drop(node_errc::standby_declined);
      return;
    }
  }
  if (!link_) {
    next_round_ = ctx_.now;  // look for one now
  }
}

bool warm_standby::can_replace(const std::optional<wire::node_id_t>& lost) const {
  // The broadcaster is on every path; any other lost peer must not be on
  // the standby's.
  return state_ == state::held &&
         !(lost && !path_.empty() && *lost != path_.front() && on_path(path_, *lost));
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
  const auto parent = parent_id();
  const bool below_parent =
      parent && !m.path.empty() && *parent != m.path.front() && on_path(m.path, *parent);
  if (m.free_slots == 0 || below_parent || on_path(m.path, ctx_.id)) {
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
  const auto last = window_.last_seq();
  if (last && m.seq <= *last) {
    if (window_.contains(m.seq)) {
      lags_.push_back(duration::zero());  // the parent was first
      if (lags_.size() > lags_kept) {
        lags_.pop_front();
      }
    }
    return true;
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
  if (link_ == id && state_ == state::asking) {
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
  if (haves_.empty()) {
    return;
  }
  if (const auto it = haves_.find(seq); it != haves_.end()) {
    lags_.push_back(ctx_.now - it->second);
    if (lags_.size() > lags_kept) {
      lags_.pop_front();
    }
  }
  haves_.erase(haves_.begin(), haves_.upper_bound(seq));
}

duration warm_standby::tolerance() const {
  // Until the parent's usual lag is known, assume it is long: a parent
  // whose uplink is slower than the standby's is no failed one.
  duration usual = lags_.size() < lags_needed ? unknown_lag : duration{};
  for (const duration lag : lags_) {
    usual = std::max(usual, lag);
  }
  return std::min(ctx_.config.parent_lag_tolerance + usual, ctx_.config.starvation_timeout);
}

std::optional<time_point> warm_standby::oldest_unmatched_have() const {
  const auto last = window_.last_seq();
  for (const auto& [seq, at] : haves_) {
    if (!last || seq > *last) {
      return at;
    }
  }
  return std::nullopt;
}

bool warm_standby::parent_behind(time_point parent_heard) const {
  const auto due = suspicion_due(parent_heard);
  return due && ctx_.now >= *due;
}

std::optional<time_point> warm_standby::suspicion_due(time_point parent_heard) const {
  if (!position_.has_parent() || !can_replace(parent_id())) {
    return std::nullopt;
  }
  const auto announced = oldest_unmatched_have();
  if (!announced) {
    return std::nullopt;
  }
  return std::max(*announced, parent_heard) + tolerance();
}

duration warm_standby::parent_lag() const {
  const auto announced = oldest_unmatched_have();
  return announced ? ctx_.now - *announced : duration::zero();
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
  path_.clear();
  haves_.clear();
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
    if (const auto due = suspicion_due(*parent_heard); due && (!next || *due < *next)) {
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
