#include "core/capacity_policy.hpp"

#include <algorithm>
#include <tuple>
#include <vector>

namespace treecast::core {

const capacity_policy::child_view* capacity_policy::weakest(std::span<const child_view> kids,
                                                            const joiner_view& joiner,
                                                            bool any_place) const {
  const child_view* out = nullptr;
  for (const auto& k : kids) {
    const bool place_kept =
        any_place || may_share_site(k.at, joiner.at) || may_share_site(joiner.at, joiner.parent_at);
    if (place_kept && (!out || std::tie(k.max_children, k.subtree_size) <
                                   std::tie(out->max_children, out->subtree_size))) {
      out = &k;
    }
  }
  return out;
}

std::uint32_t capacity_policy::room_for(std::span<const child_view> kids,
                                        const joiner_view& joiner) const {
  const child_view* w = weakest(kids, joiner);
  return w ? static_cast<std::uint32_t>(needed_against(w->max_children)) : 0;
}

std::optional<link_id_t> capacity_policy::gives_way(std::span<const child_view> kids,
                                                    const joiner_view& joiner) const {
  const child_view* w = weakest(kids, joiner);
  if (!w || !clearly_stronger(joiner.max_children, w->max_children)) {
    return std::nullopt;
  }
  return w->id;
}

std::optional<link_id_t> capacity_policy::to_shed(std::span<const child_view> kids,
                                                  link_id_t newcomer,
                                                  const joiner_view& newcomer_place) const {
  std::vector<child_view> others;
  for (const auto& k : kids) {
    if (k.id != newcomer) {
      others.push_back(k);
    }
  }
  const child_view* w = weakest(others, newcomer_place);
  if (!w) {
    w = weakest(others, newcomer_place, true);
  }
  return w ? std::optional(w->id) : std::nullopt;
}

}  // namespace treecast::core
