#include "core/parent_improver.hpp"

#include <random>

namespace treecast::core {

void parent_improver::on_attached() {
  schedule();
}

void parent_improver::schedule() {
  if (ctx_.config.improve_interval <= duration{}) {
    next_round_.reset();  // the loop is off
    return;
  }
  next_round_ = ctx_.now + ctx_.spread(ctx_.config.improve_interval);
}

std::optional<wire::endpoint> parent_improver::take_round(bool idle) {
  if (!next_round_ || ctx_.now < *next_round_) {
    return std::nullopt;
  }
  schedule();
  // ancestors(): the broadcaster .. our parent; the parent itself is not asked.
  const auto& ancestors = position_.ancestors();
  if (!idle || !position_.has_parent() || ancestors.size() < 2) {
    return std::nullopt;  // busy, or our parent is the broadcaster: nothing nearer
  }
  std::uniform_int_distribution<std::size_t> pick(0, ancestors.size() - 2);
  return ancestors[pick(ctx_.random)];
}

}  // namespace treecast::core
