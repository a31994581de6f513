// A relay in the middle of a tree of depth 4 crashes (kill -9), freezes
// (kill -STOP) or leaves (SIGTERM). Everybody below it keeps playing with no
// chunk lost, and the viewers' pictures never stand still at the default
// buffer (--latency 200, adaptive; each holds a warm standby: relay A); the
// longest gap in received chunks is reported.
//
//   broadcaster -> relay A -> relay B (victim) -> viewer V1
//                                              -> relay C -> viewer V2
//
// Each peer is given its parent's address as its link, so the victim's
// children must also cope with a rendezvous that has gone.
#include <gtest/gtest.h>

#include <csignal>

#include "local_tree.hpp"

namespace treecast::testing {
namespace {

using namespace std::chrono_literals;

class repair : public ::testing::Test {
 protected:
  void SetUp() override {
    tree_ = std::make_unique<local_tree>(
        std::string("repair-") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    broadcaster_ = tree_->start_broadcaster(
        {"--resolution", "320x180", "--fps", "15", "--bitrate", "300", "--max-children", "1"});
    // Relay A has room for B's children, so that they can move while B is
    // still there (make-before-break needs a free slot to move to).
    relay_a_ = tree_->start_relay(broadcaster_.port, {"--max-children", "3"});
    wait_attached(relay_a_, "1");
    victim_ = tree_->start_relay(relay_a_.port, {"--max-children", "2"});
    wait_attached(victim_, "2");
    viewer1_ = tree_->start_viewer(victim_.port, {"--max-children", "1"});
    relay_c_ = tree_->start_relay(victim_.port, {"--max-children", "1"});
    wait_attached(viewer1_, "3");
    wait_attached(relay_c_, "3");
    viewer2_ = tree_->start_viewer(relay_c_.port);
    wait_attached(viewer2_, "4");
    for (auto* v : {&viewer1_, &viewer2_}) {
      ASSERT_TRUE(v->process->wait_for_line(
          [](const std::string& l) { return is_status(l) && status_fields(l)["frames"] != "0"; },
          20s))
          << "viewer not decoding before the failure";
    }
  }

  void TearDown() override {
    for (auto* p : {&viewer2_, &relay_c_, &viewer1_, &victim_, &relay_a_, &broadcaster_}) {
      if (p->process) {
        p->process->send_signal(SIGINT);
        p->process->wait_exit(10s);
      }
    }
  }

  static void wait_attached(peer_process& p, const std::string& depth) {
    ASSERT_TRUE(p.process->wait_for_line(
        [&depth](const std::string& l) {
          return is_status(l) && status_fields(l)["depth"] == depth;
        },
        20s))
        << "peer did not attach at depth " << depth;
  }

  // Runs `fail` on the victim, then checks that everyone below it goes on:
  // V1 repairs, nothing is missed anywhere below, both viewers keep decoding.
  // Returns the longest gap in chunks seen by V1 and V2 around the failure.
  long long survive(const std::function<void()>& fail) {
    std::vector<std::size_t> marks;
    std::vector<long long> frames_before;
    for (auto* p : {&viewer1_, &relay_c_, &viewer2_}) {
      marks.push_back(p->process->lines().size());
      auto f = status_fields(p->process->lines().back());
      frames_before.push_back(f.count("frames") ? std::stoll(f["frames"]) : 0);
    }
    fail();
    const auto repaired = viewer1_.process->wait_for_line(
        [](const std::string& l) { return is_status(l) && status_fields(l)["repairs"] != "0"; },
        20s, marks[0]);
    EXPECT_TRUE(repaired) << "viewer 1 never repaired; see " << tree_->log_path("viewer3");
    long long longest_gap = 0;
    int i = 0;
    for (auto* p : {&viewer1_, &relay_c_, &viewer2_}) {
      // Three more status lines after the repair, to see the stream flowing.
      int seen = 0;
      const std::size_t from = p->process->lines().size();
      const auto later = p->process->wait_for_line(
          [&seen](const std::string& l) { return is_status(l) && ++seen >= 3; }, 15s, from);
      EXPECT_TRUE(later) << "peer " << i << " stopped reporting";
      const auto lines = p->process->lines();
      for (std::size_t k = marks[i]; k < lines.size(); ++k) {
        if (!is_status(lines[k])) {
          continue;
        }
        auto f = status_fields(lines[k]);
        EXPECT_EQ(f["missed"], "0") << "peer " << i << " lost chunks: " << lines[k];
        if (p != &relay_c_ && f["max_gap_ms"] != "-") {
          longest_gap = std::max(longest_gap, std::stoll(f["max_gap_ms"]));
        }
      }
      if (later) {
        auto f = status_fields(*later);
        EXPECT_NE(f["depth"], "-") << "peer " << i << " detached: " << *later;
        if (p != &relay_c_) {
          EXPECT_GT(std::stoll(f["frames"]), frames_before[i] + 15)
              << "viewer " << i << " stopped decoding";
        }
      }
      ++i;
    }
    std::printf("longest gap in received chunks: %lld ms\n", longest_gap);
    return longest_gap;
  }

  // The viewers' pictures never stood still (stall_ms in their last status).
  void expect_no_stall() {
    for (auto* v : {&viewer1_, &viewer2_}) {
      const auto lines = v->process->lines();
      for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
        if (is_status(*it)) {
          EXPECT_EQ(status_fields(*it)["stall_ms"], "0") << "the picture stood still: " << *it;
          break;
        }
      }
    }
  }

  std::unique_ptr<local_tree> tree_;
  peer_process broadcaster_, relay_a_, victim_, viewer1_, relay_c_, viewer2_;
};

TEST_F(repair, crashed_relay_kill_9) {
  const long long gap = survive([&] { victim_.process->send_signal(SIGKILL); });
  EXPECT_LT(gap, 5000);
  expect_no_stall();
}

TEST_F(repair, frozen_relay_kill_stop) {
  const long long gap = survive([&] { victim_.process->send_signal(SIGSTOP); });
  EXPECT_LT(gap, 8000);
  expect_no_stall();
  victim_.process->send_signal(SIGKILL);
}

TEST_F(repair, relay_leaving_on_sigterm_hands_over_without_a_gap) {
  const long long gap = survive([&] { victim_.process->send_signal(SIGTERM); });
  EXPECT_EQ(victim_.process->wait_exit(10s), 0);
  // Make-before-break: no longer than the usual spacing of chunks (200 ms
  // chunks cut at 15 fps frame boundaries arrive up to ~270 ms apart).
  EXPECT_LT(gap, 400);
}

}  // namespace
}  // namespace treecast::testing
