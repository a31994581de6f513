// children: slots, refusals, fan-out of the shared frame, backlog.
#include "core/children.hpp"

#include "core_test_support.hpp"

namespace treecast::core {
namespace {

using testing::make_chunk;
using testing::recording_context;
using testing::share;

node_config with_slots(std::size_t n) {
  node_config c;
  c.max_children = n;
  return c;
}

TEST(children, slots_are_free_only_while_open_and_below_the_bound) {
  recording_context r(with_slots(2));
  link_table links(r.ctx);
  rendition_subscriptions renditions(r.ctx, links);
  children kids(r.ctx, links, renditions);
  EXPECT_EQ(kids.free_slots(true), 2u);
  EXPECT_EQ(kids.free_slots(false), 0u);
  const link_id_t a = links.accept({"10.0.0.2", 1});
  kids.add(a, links.at(a));
  const link_id_t b = links.accept({"10.0.0.3", 1});
  kids.add(b, links.at(b));
  EXPECT_EQ(kids.free_slots(true), 0u);
  EXPECT_EQ(kids.refusal(true), "full");
  EXPECT_EQ(kids.refusal(false), "not attached");
  EXPECT_TRUE(kids.remove(a));
  EXPECT_FALSE(kids.remove(a));
  EXPECT_EQ(kids.free_slots(true), 1u);
  recording_context none(with_slots(0));
  link_table no_links(none.ctx);
  rendition_subscriptions no_renditions(none.ctx, no_links);
  EXPECT_EQ(children(none.ctx, no_links, no_renditions).refusal(true), "accepts no children");
}

TEST(children, every_child_gets_the_same_frame_in_link_order) {
  recording_context r(with_slots(3));
  link_table links(r.ctx);
  rendition_subscriptions renditions(r.ctx, links);
  children kids(r.ctx, links, renditions);
  std::vector<link_id_t> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(links.accept({"10.0.0." + std::to_string(i + 2), 1}));
    kids.add(ids.back(), links.at(ids.back()));
  }
  const shared_chunk c = share(make_chunk(10));
  kids.forward(c);
  const auto sends = recording_context::only<send_action>(r.take());
  ASSERT_EQ(sends.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(sends[i].link, ids[i]);
    EXPECT_EQ(sends[i].frame.get(), c->frame.get());  // shared, not copied
  }
  EXPECT_EQ(r.ctx.stats.get(counter::chunks_sent), 3u);
  EXPECT_EQ(r.ctx.stats.get(counter::chunk_bytes_sent), 3 * c->frame->size());
}

TEST(children, backlog_resumes_where_asked_or_starts_at_the_newest_keyframe) {
  recording_context r(with_slots(2));
  link_table links(r.ctx);
  rendition_subscriptions renditions(r.ctx, links);
  children kids(r.ctx, links, renditions);
  chunk_window window(std::chrono::seconds(10), 1 << 20);
  for (wire::seq_t s = 0; s < 8; ++s) {
    window.insert(share(make_chunk(s)));  // keyframes at 0 and 5
  }
  const link_id_t fresh = links.accept({"10.0.0.2", 1});
  kids.add(fresh, links.at(fresh));
  kids.serve_backlog(fresh, window, std::nullopt);
  EXPECT_EQ(recording_context::only<send_action>(r.take()).size(), 3u);  // 5, 6, 7
  const link_id_t back = links.accept({"10.0.0.3", 1});
  kids.add(back, links.at(back));
  kids.serve_backlog(back, window, 2);
  EXPECT_EQ(recording_context::only<send_action>(r.take()).size(), 6u);  // 2 .. 7
  kids.serve_backlog(back, window, 100);  // not held: the newest keyframe
  EXPECT_EQ(recording_context::only<send_action>(r.take()).size(), 3u);
}

}  // namespace
}  // namespace treecast::core
