// How many joins and candidate queries one node serves: candidate queries
// (the rendezvous' work) at most max_joins_per_second overall (bursts of
// twice that); queries and joins at most max_joins_per_address_per_second
// from any one address, so one peer (or a few insiders flooding queries)
// cannot spend everyone's in a flash crowd. Joins are not held to the
// overall bound: a joiner got its candidates already, and slots bound what
// joins cost. A refused asker is told "busy" and comes back after a
// jittered backoff.
#pragma once

#include <map>
#include <string>

#include "core/node_config.hpp"
#include "core/rate_limiter.hpp"

namespace treecast::core {

class join_gate {
 public:
  explicit join_gate(const node_config& config);

  // True (and counted) when a candidate query from `host` at `now` is
  // within both bounds.
  bool allow_query(const std::string& host, time_point now);

  // True (and counted) when a join from `host` at `now` is within its
  // address's bound.
  bool allow_join(const std::string& host, time_point now);

 private:
  static constexpr std::size_t max_addresses = 4096;  // buckets kept, whatever the flood

  rate_limiter& bucket_of(const std::string& host);

  double per_address_rate_;
  rate_limiter overall_;
  std::map<std::string, rate_limiter> by_address_;
};

}  // namespace treecast::core
