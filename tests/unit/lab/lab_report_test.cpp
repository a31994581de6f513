#include "lab_report.hpp"

#include <gtest/gtest.h>

namespace treecast::lab {
namespace {

lab_peer listening_peer(const std::string& name, const std::string& site,
                        const std::string& address) {
  lab_peer p;
  p.name = name;
  p.role = name == "broadcaster" ? "broadcaster" : "relay";
  p.site = site;
  p.output.push_back({"listening on " + address});
  return p;
}

nlohmann::json node(const std::string& id, const std::string& parent, const std::string& address,
                    const std::string& site, const std::string& role = "relay") {
  return {{"id", id}, {"parent", parent}, {"address", address}, {"site", site}, {"role", role}};
}

TEST(lab_report, wan_copies_count_the_sites_the_lab_made_not_the_labels_peers_report) {
  std::vector<lab_peer> peers;
  peers.push_back(listening_peer("broadcaster", "", "10.77.0.1:4000"));
  peers.push_back(listening_peer("relay1", "site1", "10.77.1.2:5000"));
  peers.push_back(listening_peer("viewer1", "site1", "10.77.1.2:5001"));
  peers.push_back(listening_peer("viewer2", "site1", "10.77.1.2:5002"));
  // viewer2 reports a label of its own (as if it had inferred a wrong one):
  // it is still of site1, and its parent viewer1 is too.
  nlohmann::json tree = {
      {"nodes",
       {node("b", "", "10.77.0.1:4000", "", "broadcaster"),
        node("r1", "b", "10.77.1.2:5000", "net:10.77.1.0/24"),
        node("v1", "r1", "10.77.1.2:5001", "net:10.77.1.0/24"),
        node("v2", "v1", "10.77.1.2:5002", "elsewhere"), node("v3", "b", "10.77.1.2:5003", "x")}}};
  const auto report = make_report(peers, {}, tree);
  ASSERT_EQ(report.wan_copies_per_site.count("site1"), 1u);
  EXPECT_EQ(report.wan_copies_per_site.at("site1"), 1);  // r1 only
  // v3's address is none the lab started: it counts by its label.
  EXPECT_EQ(report.wan_copies_per_site.at("x"), 1);
  EXPECT_EQ(report.wan_copies_per_site.count("elsewhere"), 0u);
}

TEST(lab_report, each_stall_is_laid_beside_the_kill_or_freeze_before_it) {
  lab_peer viewer;
  viewer.name = "viewer4";
  viewer.role = "viewer";
  viewer.site = "site2";
  viewer.output.push_back({"stall ms=62 ended=100900 rendition=full switches=1",
                           "stall ms=45 ended=120300 rendition=full switches=1",
                           "stall ms=80 ended=140000 rendition=low switches=2"});
  const std::vector<churn_moment> churn = {{.wall_ms = 100000, .action = churn_action::kill},
                                           {.wall_ms = 120000, .action = churn_action::freeze}};
  std::vector<lab_peer> peers;
  peers.push_back(std::move(viewer));
  const auto report = make_report(peers, churn, nlohmann::json::object());
  ASSERT_EQ(report.stall_events.size(), 3u);
  const auto& first = report.stall_events[0];
  EXPECT_EQ(first.viewer, "viewer4");
  EXPECT_EQ(first.site, "site2");
  EXPECT_EQ(first.ms, 62);
  EXPECT_EQ(first.after_churn_ms, 900);
  EXPECT_EQ(first.after, churn_action::kill);
  EXPECT_EQ(report.stall_events[1].after_churn_ms, 300);
  EXPECT_EQ(report.stall_events[1].after, churn_action::freeze);
  // 20 s after the freeze: beyond the notice window, no churn's.
  EXPECT_EQ(report.stall_events[2].after_churn_ms, -1);
  EXPECT_EQ(report.stall_events[2].rendition, "low");
  EXPECT_EQ(report.stall_events[2].switches, 2);
  EXPECT_EQ(report_json(report)["stall_events"].size(), 3u);
}

TEST(lab_report, repairs_are_timed_from_the_kill_or_freeze_before_them_and_told_apart) {
  lab_peer viewer;
  viewer.name = "viewer1";
  viewer.role = "viewer";
  // Noticed 50 ms after the kill, flowing 120 ms after it; then 300 ms
  // after the freeze; then one of its own, no churn within 5 s.
  viewer.output.push_back(
      {"repair t=100120 ms=70", "repair t=120300 ms=150", "repair t=140400 ms=90"});
  std::vector<lab_peer> peers;
  peers.push_back(std::move(viewer));
  const std::vector<churn_moment> churn = {{.wall_ms = 100000, .action = churn_action::kill},
                                           {.wall_ms = 120000, .action = churn_action::freeze}};
  const auto report = make_report(peers, churn, nlohmann::json::object());
  EXPECT_EQ(report.repairs, 3);
  EXPECT_EQ(report.kill_repairs, 1);
  EXPECT_DOUBLE_EQ(report.kill_repair_ms_p99, 120);
  EXPECT_EQ(report.freeze_repairs, 1);
  EXPECT_DOUBLE_EQ(report.freeze_repair_ms_p99, 300);
  EXPECT_DOUBLE_EQ(report.repair_ms_p99, 300);
}

}  // namespace
}  // namespace treecast::lab
