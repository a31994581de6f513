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

}  // namespace
}  // namespace treecast::lab
