#include "core/handout_ledger.hpp"

#include <gtest/gtest.h>

#include "core_test_support.hpp"

namespace treecast::core {
namespace {

using namespace std::chrono_literals;
using testing::id_of;

wire::peer_summary with_room(std::uint8_t n, std::uint32_t free_slots) {
  wire::peer_summary p;
  p.node_id = id_of(n);
  p.free_slots = free_slots;
  return p;
}

TEST(handout_ledger, every_few_handouts_count_as_a_slot_taken_until_the_window_ends) {
  handout_ledger ledger(2s, 4);
  const time_point t0{};
  const auto relay = with_room(7, 2);
  const auto other = with_room(8, 2);
  for (int i = 0; i < 3; ++i) {
    ledger.record({relay}, t0);
  }
  EXPECT_EQ(ledger.free_slots(relay, t0), 2u);  // three joiners may all go elsewhere
  ledger.record({relay, other}, t0 + 1s);
  EXPECT_EQ(ledger.free_slots(relay, t0 + 1s), 1u);
  EXPECT_EQ(ledger.free_slots(other, t0 + 1s), 2u);
  for (int i = 0; i < 8; ++i) {
    ledger.record({relay}, t0 + 1s);
  }
  EXPECT_EQ(ledger.free_slots(relay, t0 + 1s), 1u);            // ranked last, never left out
  EXPECT_EQ(ledger.free_slots(with_room(7, 0), t0 + 1s), 0u);  // full stays full
  // A report has come since: the room it tells stands again.
  EXPECT_EQ(ledger.free_slots(relay, t0 + 2s), 2u);
  ledger.record({relay}, t0 + 2s);
  EXPECT_EQ(ledger.free_slots(relay, t0 + 2s), 2u);  // counting starts afresh
}

TEST(handout_ledger, stays_bounded_whatever_the_crowd) {
  handout_ledger ledger(2s, 1);
  const time_point t0{};
  wire::peer_summary p = with_room(1, 1);
  for (std::uint32_t i = 0; i < 10'000; ++i) {
    p.node_id[0] = static_cast<std::uint8_t>(i);
    p.node_id[1] = static_cast<std::uint8_t>(i >> 8);
    ledger.record({p}, t0);
  }
  // Once the live entries are as many as kept, new ones go uncounted; once
  // they expire, counting starts again.
  p.free_slots = 2;
  EXPECT_EQ(ledger.free_slots(p, t0), 2u);
  ledger.record({p}, t0 + 3s);
  EXPECT_EQ(ledger.free_slots(p, t0 + 3s), 1u);
}

}  // namespace
}  // namespace treecast::core
