// Which probed peer a joiner attaches to.
//
// Order: a peer of the joiner's own site first (so a site's WAN link carries
// the stream as few times as possible), then one with a free slot (a full one
// only redirects us to its children), then the lowest round-trip time plus a
// small penalty per hop of depth (so that among near peers the shallower
// wins, keeping the tree flat).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "wire/messages.hpp"

namespace treecast::core {

struct probe_result {
  std::size_t index = 0;  // the caller's handle for this candidate
  duration rtt{};
  std::uint32_t depth = 0;
  std::uint32_t free_slots = 0;
  std::string site;
};

class parent_scoring {
 public:
  explicit parent_scoring(duration depth_penalty) : depth_penalty_(depth_penalty) {}

  // The best of `results` for a joiner of `my_site` ("" = no site); nullopt
  // when `results` is empty.
  std::optional<probe_result> best(const std::vector<probe_result>& results,
                                   const std::string& my_site) const;

  // True when `a` is preferred to `b`.
  bool better(const probe_result& a, const probe_result& b, const std::string& my_site) const;

 private:
  duration depth_penalty_;
};

}  // namespace treecast::core
