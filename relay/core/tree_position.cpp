#include "core/tree_position.hpp"

namespace treecast::core {

tree_position::tree_position(const wire::node_id_t& self, bool is_root) : self_(self) {
  if (is_root) {
    path_ = {self_};
  }
}

void tree_position::set_lineage(std::vector<wire::endpoint> parent_ancestors,
                                const wire::endpoint& parent, std::vector<wire::endpoint> backups) {
  ancestors_ = std::move(parent_ancestors);
  ancestors_.push_back(parent);
  backups_ = std::move(backups);
}

void tree_position::attach(link_id_t parent, duration rtt, std::uint32_t parent_depth,
                           std::vector<wire::node_id_t> parent_path, duration parent_root_delay) {
  parent_ = parent;
  parent_rtt_ = rtt;
  parent_root_delay_ = parent_root_delay;
  depth_ = parent_depth + 1;
  path_ = std::move(parent_path);
  path_.push_back(self_);
}

bool tree_position::update_path(std::uint32_t parent_depth,
                                std::vector<wire::node_id_t> parent_path,
                                duration parent_root_delay) {
  parent_root_delay_ = parent_root_delay;
  parent_path.push_back(self_);
  if (parent_path == path_) {
    return false;
  }
  depth_ = parent_depth + 1;
  path_ = std::move(parent_path);
  return true;
}

std::vector<wire::endpoint> tree_position::repair_targets() const {
  std::vector<wire::endpoint> targets;
  if (!ancestors_.empty()) {
    for (auto it = ancestors_.rbegin() + 1; it != ancestors_.rend(); ++it) {
      targets.push_back(*it);
    }
  }
  targets.insert(targets.end(), backups_.begin(), backups_.end());
  return targets;
}

std::vector<wire::endpoint> tree_position::handoff_targets(
    const std::optional<wire::endpoint>& parent, std::size_t limit) const {
  std::vector<wire::endpoint> handoff;
  if (parent) {
    handoff.push_back(*parent);
  }
  for (auto it = ancestors_.rbegin(); it != ancestors_.rend() && handoff.size() < limit; ++it) {
    if (std::find(handoff.begin(), handoff.end(), *it) == handoff.end()) {
      handoff.push_back(*it);
    }
  }
  return handoff;
}

}  // namespace treecast::core
