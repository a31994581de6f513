// The dashboard's health rows of a subtree, keyed by peer id, and what a
// report carries of them: the rows that say something new since the parent
// last heard (report_change.hpp) and the ids that left, not every row every
// time. A link is reliable and ordered, so the parent's copy of a child's
// table stays what the child sent; each new parent link starts from the
// whole table. Before, a change anywhere in a subtree of 2 000 peers resent
// all 2 000 rows (~70 bytes each) up every link above it.
//
// The sender keeps one table, what its parent holds; the parent keeps one
// per child. Both sides are this class.
#pragma once

#include <cstddef>
#include <map>
#include <vector>

#include "core/report_change.hpp"
#include "wire/messages.hpp"

namespace treecast::core {

struct health_delta {
  std::vector<wire::peer_health> changed;  // new or changed rows
  std::vector<wire::node_id_t> gone;       // rows that left
  bool empty() const { return changed.empty() && gone.empty(); }
};

class health_table {
 public:
  using rows_by_id = std::map<wire::node_id_t, wire::peer_health>;

  // A report's rows (onto an empty table when it carries the whole one). Rows past `limit` are
  // dropped; false when any were (a sender that keeps adding rows is lying about its subtree).
  bool apply(std::vector<wire::peer_health>&& changed, const std::vector<wire::node_id_t>& gone,
             std::size_t limit);
  // What turns this table into `next` (rows of `next` that say something new
  // within `tolerance`, ids that are not in it), applied here as well: the
  // sender's view of what its parent will hold once the delta is sent. A
  // row that drifted within the tolerance keeps the value last sent.
  health_delta advance_to(const std::vector<wire::peer_health>& next,
                          const report_tolerance& tolerance = {});

  const rows_by_id& rows() const { return rows_; }
  wire::peer_health* find(const wire::node_id_t& id);
  void clear() { rows_.clear(); }

 private:
  rows_by_id rows_;
};

}  // namespace treecast::core
