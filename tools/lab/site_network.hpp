// The lab's sites as network namespaces (needs root): the broadcaster stays
// in the root namespace ("origin", 10.77.0.1), site N is its own namespace
// (10.77.N.2); every site's veth pair ends in a port of a user-space
// delaying bridge (wan_bridge), and each side of each link is capped with
// tbf; viewers may have namespaces of their own behind their site
// (viewer_hosts). Everything made is removed by the destructor, and what a killed
// earlier run left is removed at start.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lab_network.hpp"
#include "viewer_hosts.hpp"
#include "wan_bridge.hpp"

namespace treecast::lab {

class site_network : public lab_network {
 public:
  // `viewers`: those given a namespace of their own behind their site
  // (--viewer-netns); empty for none.
  site_network(int sites, int wan_delay_ms, int wan_mbit,
               const std::vector<viewer_conditions>& viewers);
  ~site_network() override;

  std::vector<std::string> command_prefix(const peer_place& place) const override;
  std::string host(const peer_place& place) const override;

 private:
  static int site_number(const std::string& site);  // "site3" -> 3, "" -> 0
  std::string namespace_name(int site) const;
  std::string site_host(int site) const;       // its address on the WAN
  std::string site_namespace(int site) const;  // "" for the origin (the root namespace)
  std::string interface_name(int site) const;  // the site's end; + "b": the bridge's end
  void add_link(int site, int wan_mbit);
  void remove_all();

  int sites_;
  std::string prefix_;     // unique per lab process
  std::vector<int> made_;  // sites whose links exist (0 = origin)
  std::unique_ptr<wan_bridge> bridge_;
  std::unique_ptr<viewer_hosts> viewers_;
};

}  // namespace treecast::lab
