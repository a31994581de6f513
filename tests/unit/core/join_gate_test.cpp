// join_gate: one address cannot spend every join a node serves.
#include "core/join_gate.hpp"

#include <gtest/gtest.h>

namespace treecast::core {
namespace {

TEST(join_gate, one_address_is_bounded_and_others_still_get_in) {
  node_config config;
  config.max_joins_per_second = 100;
  config.max_joins_per_address_per_second = 10;
  join_gate gate(config);
  const time_point now(std::chrono::seconds(1));
  int flooder = 0;
  for (int i = 0; i < 1000; ++i) {
    flooder += gate.allow_query("10.0.0.66", now);
  }
  EXPECT_EQ(flooder, 20);  // its burst, nothing more
  int others = 0;
  for (int i = 0; i < 300; ++i) {
    others += gate.allow_query("10.0.1." + std::to_string(i), now);
  }
  EXPECT_EQ(others, 200 - 20);  // the overall burst, less what the flooder took
  EXPECT_TRUE(gate.allow_query("10.0.0.66", now + std::chrono::milliseconds(200)) ||
              gate.allow_query("10.0.0.66", now + std::chrono::milliseconds(400)));
}

TEST(join_gate, joins_are_held_to_the_address_bound_only) {
  node_config config;
  config.max_joins_per_second = 1;
  config.max_joins_per_address_per_second = 10;
  join_gate gate(config);
  const time_point now(std::chrono::seconds(1));
  EXPECT_TRUE(gate.allow_query("10.0.0.1", now));
  EXPECT_TRUE(gate.allow_query("10.0.0.2", now));
  EXPECT_FALSE(gate.allow_query("10.0.0.3", now));  // the overall burst is spent
  int joins = 0;
  for (int i = 0; i < 50; ++i) {
    joins += gate.allow_join("10.0.0.4", now);
  }
  EXPECT_EQ(joins, 20);
}

}  // namespace
}  // namespace treecast::core
