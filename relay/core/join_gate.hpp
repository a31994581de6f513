// How many joins and candidate queries one node serves: at most
// max_joins_per_second overall (bursts of twice that), and at most
// max_joins_per_address_per_second from any one address, so one peer (or
// a few insiders flooding queries) cannot spend everyone's joins in a flash
// crowd. A refused asker is told "busy" and comes back after a jittered
// backoff.
#pragma once

#include <map>
#include <string>

#include "core/node_config.hpp"
#include "core/rate_limiter.hpp"

namespace treecast::core {

class join_gate {
 public:
  explicit join_gate(const node_config& config);

  // True (and counted against both bounds) when a join or query from
  // `host` at `now` is within them.
  bool allow(const std::string& host, time_point now);

 private:
  static constexpr std::size_t max_addresses = 4096;  // buckets kept, whatever the flood

  double per_address_rate_;
  rate_limiter overall_;
  std::map<std::string, rate_limiter> by_address_;
};

}  // namespace treecast::core
