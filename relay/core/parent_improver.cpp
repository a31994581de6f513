#include "core/parent_improver.hpp"

#include <algorithm>
#include <random>

namespace treecast::core {

void parent_improver::on_attached() {
  quiet_rounds_ = 0;
  schedule();
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

std::optional<parent_improver::round> parent_improver::take_round(bool idle, bool site_entry) {
  if (!next_round_ || ctx_.now < *next_round_) {
    return std::nullopt;
  }
  // ancestors(): the broadcaster .. our parent.
  const auto& ancestors = position_.ancestors();
  const bool gathering = site_entry && ctx_.config.gathers_sites();
  const bool improving = ctx_.config.improve_interval > duration{} && ancestors.size() >= 2;
  if (!idle || !position_.has_parent() || ancestors.empty() || (!gathering && !improving)) {
    schedule();
    return std::nullopt;  // busy, or nothing to look for
  }
  // A round that moves us starts the intervals afresh (on_attached); until
  // then each is twice the last.
  quiet_rounds_ = std::min(quiet_rounds_ + 1, max_quiet_rounds);
  schedule();
  if (gathering) {
    return round{ancestors.front(), true};  // the broadcaster hears of peers of every site
  }
  // The parent itself is not asked: its subtree holds nothing nearer.
  std::uniform_int_distribution<std::size_t> pick(0, ancestors.size() - 2);
  return round{ancestors[pick(ctx_.random)], false};
}

}  // namespace treecast::core
