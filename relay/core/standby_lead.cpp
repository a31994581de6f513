#include "core/standby_lead.hpp"

#include <algorithm>

#include "core/median.hpp"

namespace treecast::core {

void standby_lead::on_have(wire::seq_t seq, time_point now, std::optional<time_point> parent_sent,
                           bool stale) {
  if (parent_sent) {
    record(*parent_sent - now);  // the parent was first
    return;
  }
  if (stale) {
    return;
  }
  haves_.try_emplace(seq, now);
  while (haves_.size() > haves_kept) {
    haves_.erase(haves_.begin());
  }
}

void standby_lead::on_parent_chunk(wire::seq_t seq, time_point now) {
  if (const auto it = haves_.find(seq); it != haves_.end()) {
    record(now - it->second);
  }
  haves_.erase(haves_.begin(), haves_.upper_bound(seq));
}

void standby_lead::record(duration lead) {
  leads_.push_back(lead);
  if (leads_.size() > leads_kept) {
    leads_.pop_front();
  }
}

duration standby_lead::usual(duration unknown) const {
  if (leads_.size() < samples_needed) {
    return unknown;
  }
  return *std::max_element(leads_.begin(), leads_.end());
}

std::optional<duration> standby_lead::typical() const {
  if (leads_.size() < samples_needed) {
    return std::nullopt;
  }
  return median_of(leads_);
}

void standby_lead::clear() {
  haves_.clear();
  leads_.clear();
}

}  // namespace treecast::core
