#include "core/parent_improver.hpp"

#include <algorithm>
#include <random>

namespace treecast::core {

void parent_improver::on_attached(bool may_rise, bool site_entry) {
  quiet_rounds_ = 0;
  if (site_entry && ctx_.config.gathers_sites()) {
    next_round_ = ctx_.now + ctx_.spread(ctx_.config.site_gather_interval / 5);
  } else {
    schedule();
  }
  refused_rises_ = 0;
  next_rise_.reset();
  if (may_rise && ctx_.config.rise_interval > duration{}) {
    next_rise_ = ctx_.now + ctx_.spread(ctx_.config.rise_interval);
  }
}

std::optional<time_point> parent_improver::deadline() const {
  if (!next_round_ || !next_rise_) {
    return next_round_ ? next_round_ : next_rise_;
  }
  return std::min(*next_round_, *next_rise_);
}

duration parent_improver::interval() const {
  const duration improve = ctx_.config.improve_interval;
  const duration gather =
      ctx_.config.gathers_sites() ? ctx_.config.site_gather_interval : duration{};
  if (improve <= duration{} || gather <= duration{}) {
    return std::max(improve, gather);  // the one that is on, or 0: both off
  }
  return std::min(improve, gather);
}

void parent_improver::schedule() {
  if (interval() <= duration{}) {
    next_round_.reset();  // the loop is off
    return;
  }
  const auto backoff = std::min(std::uint32_t{1} << quiet_rounds_, max_backoff);
  next_round_ = ctx_.now + ctx_.spread(interval() * backoff);
}

std::optional<parent_improver::round> parent_improver::take_rise(const situation& now) {
  // ancestors(): the broadcaster .. our parent.
  const auto& ancestors = position_.ancestors();
  if (!now.may_rise || ancestors.size() < 2 || !position_.has_parent()) {
    next_rise_.reset();  // nothing to rise above until we attach elsewhere
    return std::nullopt;
  }
  if (!now.idle) {
    next_rise_ = ctx_.now + ctx_.spread(ctx_.config.rise_interval);
    return std::nullopt;
  }
  // Until a rise moves us (on_attached), each wait is twice the last.
  refused_rises_ = std::min(refused_rises_ + 1, max_quiet_rounds);
  next_rise_ = ctx_.now + ctx_.spread(ctx_.config.rise_interval * (1u << refused_rises_));
  return round{ancestors[ancestors.size() - 2], kind::rise};
}

std::optional<parent_improver::round> parent_improver::take_round(const situation& now) {
  if (now.narrow_downlink) {
    if (next_rise_ && ctx_.now >= *next_rise_) {
      next_rise_.reset();  // a peer taking no children has no place to rise to
    }
    if (next_round_ && ctx_.now >= *next_round_) {
      schedule();
    }
    return std::nullopt;
  }
  if (next_rise_ && ctx_.now >= *next_rise_) {
    if (auto rise = take_rise(now)) {
      return rise;
    }
  }
  if (!next_round_ || ctx_.now < *next_round_) {
    return std::nullopt;
  }
  const auto& ancestors = position_.ancestors();
  const bool gathering = now.site_entry && ctx_.config.gathers_sites();
  const bool improving = ctx_.config.improve_interval > duration{} && ancestors.size() >= 2;
  if (!now.idle || !position_.has_parent() || ancestors.empty() || (!gathering && !improving)) {
    schedule();
    return std::nullopt;  // busy, or nothing to look for
  }
  // A round that moves us starts the intervals afresh (on_attached); until
  // then each is twice the last, but for a site entry's gathering.
  quiet_rounds_ = gathering ? 0 : std::min(quiet_rounds_ + 1, max_quiet_rounds);
  schedule();
  if (gathering) {
    return round{ancestors.front(), kind::gather};  // the broadcaster hears of every site
  }
  // The parent itself is not asked: its subtree holds nothing nearer.
  std::uniform_int_distribution<std::size_t> pick(0, ancestors.size() - 2);
  return round{ancestors[pick(ctx_.random)], kind::improve};
}

}  // namespace treecast::core
