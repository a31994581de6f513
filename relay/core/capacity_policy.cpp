#include "core/capacity_policy.hpp"

#include <algorithm>
#include <tuple>

namespace treecast::core {

const capacity_policy::child_view* capacity_policy::weakest(std::span<const child_view> kids,
                                                            const joiner_view& joiner) const {
  const child_view* out = nullptr;
  for (const auto& k : kids) {
    const bool place_kept =
        may_share_site(k.at, joiner.at) || may_share_site(joiner.at, joiner.parent_at);
    if (place_kept && (!out || std::tie(k.max_children, k.subtree_size) <
                                   std::tie(out->max_children, out->subtree_size))) {
      out = &k;
    }
  }
  return out;
}

std::uint32_t capacity_policy::needed_against(const child_view& child) {
  return std::max(min_strong, 2 * child.max_children);
}

std::uint32_t capacity_policy::room_for(std::span<const child_view> kids,
                                        const joiner_view& joiner) const {
  const child_view* w = weakest(kids, joiner);
  return w ? needed_against(*w) : 0;
}

std::optional<link_id_t> capacity_policy::gives_way(std::span<const child_view> kids,
                                                    const joiner_view& joiner) const {
  const child_view* w = weakest(kids, joiner);
  if (!w || joiner.max_children < needed_against(*w)) {
    return std::nullopt;
  }
  return w->id;
}

}  // namespace treecast::core
