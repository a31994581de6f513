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
    if ((any_place || place_kept(k, joiner)) &&
        (!out || std::tie(k.max_children, k.subtree_size) <
                     std::tie(out->max_children, out->subtree_size))) {
      out = &k;
    }
  }
  return out;
}

const capacity_policy::child_view* capacity_policy::farthest(std::span<const child_view> kids,
                                                             const joiner_view& joiner) const {
  if (!strong(joiner.max_children)) {
    return nullptr;
  }
  const child_view* out = nullptr;
  for (const auto& k : kids) {
    if (strong(k.max_children) && k.max_children <= joiner.max_children && k.rtt > duration{} &&
        place_kept(k, joiner) && (!out || k.rtt > out->rtt)) {
      out = &k;
    }
  }
  return out;
}

duration capacity_policy::room_within(std::span<const child_view> kids,
                                      const joiner_view& joiner) const {
  const child_view* far = farthest(kids, joiner);
  return far ? std::max(nearest_against(far->rtt), duration{}) : duration{};
}

std::uint32_t capacity_policy::room_for(std::span<const child_view> kids,
                                        const joiner_view& joiner) const {
  const child_view* w = weakest(kids, joiner);
  return w ? static_cast<std::uint32_t>(needed_against(w->max_children)) : 0;
}

std::optional<link_id_t> capacity_policy::gives_way(std::span<const child_view> kids,
                                                    const joiner_view& joiner) const {
  const child_view* w = weakest(kids, joiner);
  if (w && clearly_stronger(joiner.max_children, w->max_children)) {
    return w->id;
  }
  const child_view* far = farthest(kids, joiner);
  if (far && clearly_nearer(joiner.rtt, far->rtt)) {
    return far->id;
  }
  return std::nullopt;
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
