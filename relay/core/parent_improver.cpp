#include "core/parent_improver.hpp"

#include <algorithm>
#include <random>

namespace treecast::core {

void parent_improver::on_attached() {
  quiet_rounds_ = 0;
  schedule();
}

void parent_improver::schedule() {
  if (ctx_.config.improve_interval <= duration{}) {
    next_round_.reset();  // the loop is off
    return;
  }
  const auto backoff = std::min(std::uint32_t{1} << quiet_rounds_, max_backoff);
  next_round_ = ctx_.now + ctx_.spread(ctx_.config.improve_interval * backoff);
}

std::optional<wire::endpoint> parent_improver::take_round(bool idle) {
  if (!next_round_ || ctx_.now < *next_round_) {
    return std::nullopt;
  }
  // ancestors(): the broadcaster .. our parent; the parent itself is not asked.
  const auto& ancestors = position_.ancestors();
  if (!idle || !position_.has_parent() || ancestors.size() < 2) {
    schedule();
    return std::nullopt;  // busy, or our parent is the broadcaster: nothing nearer
  }
  // A round that moves us starts the intervals afresh (on_attached); until
  // then each is twice the last.
  quiet_rounds_ = std::min(quiet_rounds_ + 1, max_quiet_rounds);
  schedule();
  std::uniform_int_distribution<std::size_t> pick(0, ancestors.size() - 2);
  return ancestors[pick(ctx_.random)];
}

}  // namespace treecast::core
