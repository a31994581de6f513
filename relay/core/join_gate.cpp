#include "core/join_gate.hpp"

namespace treecast::core {

join_gate::join_gate(const node_config& config)
    : per_address_rate_(config.max_joins_per_address_per_second),
      overall_(config.max_joins_per_second, 2 * config.max_joins_per_second) {}

rate_limiter& join_gate::bucket_of(const std::string& host) {
  auto it = by_address_.find(host);
  if (it == by_address_.end()) {
    if (by_address_.size() >= max_addresses) {
      by_address_.clear();  // forgetting is safe: a fresh bucket is a full one, bounded too
    }
    it = by_address_.emplace(host, rate_limiter(per_address_rate_, 2 * per_address_rate_)).first;
  }
  return it->second;
}

bool join_gate::allow_query(const std::string& host, time_point now) {
  // The address's own bound first: a flooding address does not drain the
  // overall bucket for everyone else.
  return bucket_of(host).allow(now) && overall_.allow(now);
}

bool join_gate::allow_join(const std::string& host, time_point now) {
  return bucket_of(host).allow(now);
}

}  // namespace treecast::core
