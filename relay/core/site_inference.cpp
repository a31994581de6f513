#include "core/site_inference.hpp"

#include "core/network_coordinate.hpp"

namespace treecast::core {

site_match site_inference::match(const place& a, const place& b,
                                 std::optional<duration> measured_rtt) const {
  if (!a.site.empty() && !b.site.empty()) {
    return a.site == b.site ? site_match::same : site_match::other;
  }
  if (same_site_rtt_ == duration::zero()) {
    return site_match::unknown;  // inference off
  }
  std::optional<duration> rtt = measured_rtt;
  if (!rtt && usable(a.where) && usable(b.where)) {
    rtt = network_coordinate::estimate(*a.where, *b.where);
  }
  if (!rtt) {
    return site_match::unknown;
  }
  return *rtt <= same_site_rtt_ ? site_match::same : site_match::other;
}

}  // namespace treecast::core
