// treecast-lab as a user runs it, small: every field of --json is there, the
// kill it was told to make shows up as repairs, and it leaves no process.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "child_process.hpp"

namespace treecast::testing {
namespace {

using namespace std::chrono_literals;

// Runs `treecast-lab --netns --viewer-netns ARGS --log-dir LOGS --json`
// (logs under the test log dir's `name`) and parses its report, the last
// line. Skips unless root (network namespaces).
void run_netns_lab(const std::string& name, std::vector<std::string> args, nlohmann::json& report) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "--netns needs root";
  }
  const std::string logs = std::string(TREECAST_TEST_LOG_DIR) + "/" + name;
  const std::string log = logs + ".log";
  std::vector<std::string> argv{TREECAST_LAB, "--netns", "--viewer-netns"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--log-dir", logs, "--json"});
  child_process lab(argv, log);
  ASSERT_EQ(lab.wait_exit(90s), 0) << read_file(log);
  const auto lines = lab.lines();
  ASSERT_FALSE(lines.empty());
  report = nlohmann::json::parse(lines.back());
}

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
        "repair_ms_p99", "kill_repairs", "kill_repair_ms_p99", "freeze_repair_ms_p99",
        "stall_ms_total", "stall_events", "chunks_lost", "root_upload_mbps",
        "wan_copies_per_site"}) {
    EXPECT_TRUE(report.contains(field)) << field;
  }
  EXPECT_EQ(report["viewers"], 4);
  EXPECT_EQ(report["decoding"], 4);
  EXPECT_EQ(report["relays"], 1) << "relay1 was killed";
  EXPECT_GE(report["repairs"].get<int>(), 1) << "the killed relay's children repaired";
  EXPECT_GE(report["kill_repairs"].get<int>(), 1) << "timed from the kill";
  EXPECT_EQ(report["chunks_lost"], 0);
  EXPECT_GT(report["root_upload_mbps"].get<double>(), 0);
  EXPECT_TRUE(report["latency_ms_by_depth"].contains("1"));
  EXPECT_GT(report["startup_ms_p50"].get<double>(), 0);
  EXPECT_EQ(report["wan_copies_per_site"].size(), 2u);
}

// Issue 17's lab, small: viewers in namespaces of their own, half of each
// site's dropping every inbound connection. Every viewer plays; those
// nobody can reach learnt it and took no children, the others learnt they
// can be reached, and the tree still holds everyone (the relays' 4 slots
// cannot: reachable viewers carry the rest).
TEST(lab, unreachable_viewers_watch_as_leaves_in_namespaces_of_their_own) {
  nlohmann::json report;
  run_netns_lab("lab_reach",
                {"--sites", "2", "--relays", "2", "--relay-children", "2", "--viewers", "8",
                 "--unreachable", "0.5", "--duration", "16"},
                report);
  if (IsSkipped() || HasFatalFailure()) {
    return;
  }
  EXPECT_EQ(report["viewers"], 8);
  EXPECT_EQ(report["decoding"], 8);
  ASSERT_EQ(report["viewers_detail"].size(), 8u);
  int unreachable = 0;
  for (const auto& v : report["viewers_detail"]) {
    SCOPED_TRACE(v.dump());
    EXPECT_GT(v["frames"].get<long long>(), 0);
    if (v["unreachable_by_lab"].get<bool>()) {
      ++unreachable;
      EXPECT_EQ(v["reachable"], "no");
      EXPECT_EQ(v["children"], 0);
    } else {
      EXPECT_EQ(v["reachable"], "yes");
    }
  }
  EXPECT_EQ(unreachable, 4);
}

// Issue 17's narrow downlinks, small: a 2 Mbit/s stream to one viewer on
// an uncapped link, one on 1 Mbit/s, one on 150 kbit/s. The narrow ones time
// their downlink at the join: the 150 kbit/s one plays sound alone from the
// start (never a frame, never a switch), the 1 Mbit/s one a picture below
// the full rendition, and neither takes a child. Paced by its parent
// (child_pacing), the 1 Mbit/s one never stands still, and no one hears a
// gap (sound before the first frame once was, then cut off by its anchor).
TEST(lab, narrow_downlinks_join_on_what_they_carry) {
  nlohmann::json report;
  run_netns_lab("lab_narrow",
                {"--sites", "1", "--relays", "1", "--relay-children", "2", "--viewers", "3",
                 "--viewer-down-kbit", "0,1000,150", "--bitrate", "1936", "--resolution", "640x360",
                 "--duration", "16"},
                report);
  if (IsSkipped() || HasFatalFailure()) {
    return;
  }
  ASSERT_EQ(report["viewers_detail"].size(), 3u);
  for (const auto& v : report["viewers_detail"]) {
    SCOPED_TRACE(v.dump());
    EXPECT_EQ(v["audio_gaps"], 0);
    const auto cap = v["down_kbit"].get<int>();
    if (cap == 150) {
      EXPECT_EQ(v["rendition"], "audio");
      EXPECT_EQ(v["frames"], 0);
      EXPECT_EQ(v["switches"], 0);
      EXPECT_EQ(v["children"], 0);
    } else if (cap == 1000) {
      EXPECT_NE(v["rendition"], "full");
      EXPECT_GT(v["frames"].get<long long>(), 0);
      EXPECT_EQ(v["children"], 0);
      EXPECT_EQ(v["stalls"], 0);
    } else {
      EXPECT_GT(v["frames"].get<long long>(), 0);
    }
  }
}

// Uplinks that cannot carry a child of a 2 Mbit/s stream (1 Mbit/s, every
// other viewer): timed at the join, they offer no slot, and the relay's one
// slot and the wide viewers' carry everyone.
TEST(lab, narrow_uplinks_offer_no_slots) {
  nlohmann::json report;
  run_netns_lab("lab_uplinks",
                {"--sites", "1", "--relays", "1", "--relay-children", "1", "--viewers", "4",
                 "--viewer-up-kbit", "0,1000", "--bitrate", "1936", "--resolution", "640x360",
                 "--duration", "14"},
                report);
  if (IsSkipped() || HasFatalFailure()) {
    return;
  }
  const std::string logs = std::string(TREECAST_TEST_LOG_DIR) + "/lab_uplinks";
  ASSERT_EQ(report["viewers_detail"].size(), 4u);
  int narrow = 0;
  for (const auto& v : report["viewers_detail"]) {
    SCOPED_TRACE(v.dump());
    EXPECT_GT(v["frames"].get<long long>(), 0);
    if (v["up_kbit"] == 1000) {
      ++narrow;
      EXPECT_EQ(v["children"], 0);
      const std::string peer_log = read_file(logs + "/" + v["name"].get<std::string>() + ".log");
      EXPECT_NE(peer_log.find("offering 0 of"), std::string::npos) << "its uplink was not timed";
    }
  }
  EXPECT_EQ(narrow, 2);
}

TEST(lab, network_conditions_without_namespaces_per_viewer_are_bad_flags) {
  child_process lab({TREECAST_LAB, "--unreachable", "0.5"},
                    std::string(TREECAST_TEST_LOG_DIR) + "/lab_flags.log");
  EXPECT_EQ(lab.wait_exit(10s), 2);
}

}  // namespace
}  // namespace treecast::testing
