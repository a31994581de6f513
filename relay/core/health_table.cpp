#include "core/health_table.hpp"

#include <set>

namespace treecast::core {

bool health_table::apply(std::vector<wire::peer_health>&& changed,
                         const std::vector<wire::node_id_t>& gone, std::size_t limit) {
  for (const auto& id : gone) {
    rows_.erase(id);
  }
  bool all_kept = true;
  for (auto& row : changed) {
    auto it = rows_.find(row.node_id);
    if (it != rows_.end()) {
      it->second = std::move(row);
    } else if (rows_.size() < limit) {
      const wire::node_id_t id = row.node_id;
      rows_.emplace(id, std::move(row));
    } else {
      all_kept = false;
    }
  }
  return all_kept;
}

health_delta health_table::advance_to(const std::vector<wire::peer_health>& next,
                                      const report_tolerance& tolerance) {
  health_delta delta;
  std::set<wire::node_id_t> present;
  for (const auto& row : next) {
    if (!present.insert(row.node_id).second) {
      continue;  // a peer listed twice (met twice while the tree moved): the first stands
    }
    auto it = rows_.find(row.node_id);
    if (it == rows_.end()) {
      rows_.emplace(row.node_id, row);
      delta.changed.push_back(row);
    } else if (row_says_something_new(it->second, row, tolerance)) {
      it->second = row;
      delta.changed.push_back(row);
    }
  }
  for (auto it = rows_.begin(); it != rows_.end();) {
    if (present.count(it->first) == 0) {
      delta.gone.push_back(it->first);
      it = rows_.erase(it);
    } else {
      ++it;
    }
  }
  return delta;
}

wire::peer_health* health_table::find(const wire::node_id_t& id) {
  auto it = rows_.find(id);
  return it == rows_.end() ? nullptr : &it->second;
}

}  // namespace treecast::core
