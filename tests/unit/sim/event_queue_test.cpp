#include "event_queue.hpp"

#include <gtest/gtest.h>

#include <queue>
#include <random>

namespace treecast::sim {
namespace {

using namespace std::chrono_literals;

struct test_event {
  core::time_point at;
  std::uint64_t order = 0;
  bool operator>(const test_event& other) const {
    return at != other.at ? at > other.at : order > other.order;
  }
};

TEST(event_queue, equal_times_keep_insertion_order) {
  event_queue<test_event> q;
  const core::time_point t = core::time_point{} + 5ms;
  for (std::uint64_t i = 0; i < 5; ++i) {
    q.push({t, i});
  }
  for (std::uint64_t i = 0; i < 5; ++i) {
    EXPECT_EQ(q.pop().order, i);
  }
  EXPECT_TRUE(q.empty());
}

// Against a plain binary heap: near and far events (beyond the ring), pushes
// while popping, events at the current time and gaps that make the ring jump.
TEST(event_queue, pops_in_the_order_of_a_binary_heap) {
  event_queue<test_event> q;
  std::priority_queue<test_event, std::vector<test_event>, std::greater<>> reference;
  std::mt19937_64 random(7);
  std::uniform_int_distribution<std::int64_t> near(0, 3'000);      // us
  std::uniform_int_distribution<std::int64_t> far(0, 20'000'000);  // us
  std::uint64_t order = 0;
  core::time_point now{};
  auto push = [&](core::time_point at) {
    q.push({at, order});
    reference.push({at, order});
    ++order;
  };
  for (int i = 0; i < 2'000; ++i) {
    push(now + core::duration(far(random)));
  }
  for (int step = 0; step < 20'000 && !reference.empty(); ++step) {
    ASSERT_EQ(q.size(), reference.size());
    const test_event expected = reference.top();
    reference.pop();
    const test_event got = q.pop();
    ASSERT_EQ(got.order, expected.order) << "step " << step;
    now = got.at;
    if (step % 3 == 0) {
      push(now + core::duration(near(random)));
      push(now);  // due at once
    }
    if (step % 50 == 0) {
      push(now + core::duration(far(random)));
    }
  }
  while (!reference.empty()) {
    ASSERT_EQ(q.pop().order, reference.top().order);
    reference.pop();
  }
  EXPECT_TRUE(q.empty());
}

}  // namespace
}  // namespace treecast::sim
