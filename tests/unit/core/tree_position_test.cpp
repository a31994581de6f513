// tree_position: depth and path, the lineage a parent sends, and the order
// of repair and handoff targets.
#include "core/tree_position.hpp"

#include "core_test_support.hpp"

namespace treecast::core {
namespace {

using testing::id_of;

const wire::endpoint root_at{"10.0.0.1", 7000};
const wire::endpoint a_at{"10.0.0.2", 7000};
const wire::endpoint b_at{"10.0.0.3", 7000};
const wire::endpoint backup_at{"10.0.0.9", 7000};

TEST(tree_position, the_root_is_its_own_path_at_depth_0) {
  const tree_position root(id_of(1), true);
  EXPECT_EQ(root.path(), std::vector<wire::node_id_t>{id_of(1)});
  EXPECT_EQ(root.depth(), 0u);
  EXPECT_FALSE(root.has_parent());
}

TEST(tree_position, attach_hangs_below_the_parents_path) {
  tree_position p(id_of(9), false);
  p.set_lineage({root_at, a_at}, b_at, {backup_at});
  p.attach(5, std::chrono::milliseconds(12), 2, {id_of(1), id_of(2), id_of(3)}, {});
  EXPECT_EQ(p.parent(), link_id_t{5});
  EXPECT_EQ(p.depth(), 3u);
  EXPECT_EQ(p.path(), (std::vector<wire::node_id_t>{id_of(1), id_of(2), id_of(3), id_of(9)}));
  EXPECT_EQ(p.ancestors(), (std::vector<wire::endpoint>{root_at, a_at, b_at}));
  EXPECT_EQ(p.parent_rtt(), std::chrono::milliseconds(12));
  EXPECT_TRUE(on_path(p.path(), id_of(2)));
  EXPECT_FALSE(on_path(p.path(), id_of(4)));
}

TEST(tree_position, path_update_changes_depth_only_when_the_path_changed) {
  tree_position p(id_of(9), false);
  p.attach(5, {}, 1, {id_of(1), id_of(2)}, {});
  EXPECT_FALSE(p.update_path(1, {id_of(1), id_of(2)}, {}));
  EXPECT_TRUE(p.update_path(2, {id_of(1), id_of(4), id_of(2)}, {}));
  EXPECT_EQ(p.depth(), 3u);
  EXPECT_EQ(p.path().back(), id_of(9));
}

TEST(tree_position, root_delay_is_the_parents_plus_half_the_round_trip_to_it) {
  using std::chrono::milliseconds;
  tree_position p(id_of(9), false);
  p.attach(5, milliseconds(12), 1, {id_of(1), id_of(2)}, milliseconds(40));
  EXPECT_EQ(p.root_delay(), milliseconds(46));
  // The parent moved nearer the broadcaster: ours follows, the path unchanged.
  EXPECT_FALSE(p.update_path(1, {id_of(1), id_of(2)}, milliseconds(25)));
  EXPECT_EQ(p.root_delay(), milliseconds(31));
  EXPECT_EQ(tree_position(id_of(1), true).root_delay(), milliseconds(0));
}

TEST(tree_position, site_entries_rank_shallower_first_then_by_id_and_their_tag_keeps_that_order) {
  wire::node_id_t low{}, high{};
  low[0] = 0x10;
  high[0] = 0x20;
  EXPECT_LT((site_entry{1, high}), (site_entry{2, low}));  // shallower first
  EXPECT_LT((site_entry{2, low}), (site_entry{2, high}));  // then by id
  EXPECT_FALSE((site_entry{2, low}) < (site_entry{2, low}));
  EXPECT_LT((site_entry{2, low}).tag(), (site_entry{2, high}).tag());
  EXPECT_EQ((site_entry{2, high}).tag(), 0x20000000u);
  // The entry on a path: its peer at that depth; none past the path's end.
  const std::vector<wire::node_id_t> path{id_of(1), id_of(2), id_of(3)};
  EXPECT_EQ(entry_on(path, 1)->id, id_of(2));
  EXPECT_EQ(entry_on(path, 1)->depth, 1u);
  EXPECT_FALSE(entry_on(path, 3));
}

TEST(tree_position, the_parents_site_entry_is_never_below_it) {
  tree_position p(id_of(9), false);
  p.attach(4, 10ms, 2, {id_of(1), id_of(2), id_of(3)}, 30ms);
  p.set_parent_site_entry_hops(1);
  EXPECT_EQ(p.parent_site_entry_hops(), 1u);
  p.set_parent_site_entry_hops(7);  // more than the parent has above it
  EXPECT_EQ(p.parent_site_entry_hops(), 2u);
}

TEST(tree_position, repair_tries_the_grandparent_then_the_ancestors_then_the_backups) {
  tree_position p(id_of(9), false);
  p.set_lineage({root_at, a_at}, b_at, {backup_at});
  EXPECT_EQ(p.repair_targets(), (std::vector<wire::endpoint>{a_at, root_at, backup_at}));
}

TEST(tree_position, handoff_names_the_parent_then_distinct_ancestors_up_to_the_limit) {
  tree_position p(id_of(9), false);
  p.set_lineage({root_at, a_at}, b_at, {});
  EXPECT_EQ(p.handoff_targets(b_at, 4), (std::vector<wire::endpoint>{b_at, a_at, root_at}));
  EXPECT_EQ(p.handoff_targets(b_at, 2), (std::vector<wire::endpoint>{b_at, a_at}));
}

}  // namespace
}  // namespace treecast::core
