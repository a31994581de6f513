// treecast-lab as a user runs it, small: every field of --json is there, the
// kill it was told to make shows up as repairs, and it leaves no process.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "child_process.hpp"

namespace treecast::testing {
namespace {

using namespace std::chrono_literals;

TEST(lab, loopback_run_with_a_kill_reports_every_field) {
  const std::string logs = std::string(TREECAST_TEST_LOG_DIR) + "/lab";
  child_process lab({TREECAST_LAB, "--relays", "2", "--viewers", "4", "--duration", "14", "--kill",
                     "1", "--sites", "2", "--log-dir", logs, "--json"},
                    std::string(TREECAST_TEST_LOG_DIR) + "/lab.log");
  ASSERT_EQ(lab.wait_exit(60s), 0) << read_file(std::string(TREECAST_TEST_LOG_DIR) + "/lab.log");
  const auto lines = lab.lines();
  ASSERT_FALSE(lines.empty());
  const auto report = nlohmann::json::parse(lines.back());
  for (const char* field :
       {"viewers", "decoding", "startup_ms_p50", "startup_ms_p99", "latency_ms_by_depth", "repairs",
        "repair_ms_p99", "chunks_lost", "root_upload_mbps", "wan_copies_per_site"}) {
    EXPECT_TRUE(report.contains(field)) << field;
  }
  EXPECT_EQ(report["viewers"], 4);
  EXPECT_EQ(report["decoding"], 4);
  EXPECT_EQ(report["relays"], 1) << "relay1 was killed";
  EXPECT_GE(report["repairs"].get<int>(), 1) << "the killed relay's children repaired";
  EXPECT_EQ(report["chunks_lost"], 0);
  EXPECT_GT(report["root_upload_mbps"].get<double>(), 0);
  EXPECT_TRUE(report["latency_ms_by_depth"].contains("1"));
  EXPECT_GT(report["startup_ms_p50"].get<double>(), 0);
  EXPECT_EQ(report["wan_copies_per_site"].size(), 2u);
}

}  // namespace
}  // namespace treecast::testing
