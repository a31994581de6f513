// Viewers in namespaces of their own behind their site (--viewer-netns): as
// a laptop on an office LAN or at home behind the office's WAN link. Site N
// gets a bridge (10.78.N.1/24) with one veth per viewer on it and forwards
// between it and its WAN link; every other site and the origin route
// 10.78.N.0/24 through site N. A viewer's link may be capped each way (tbf)
// and may drop every inbound connection (nftables: TCP SYNs dropped, as a
// home router or a laptop's firewall does), so only the viewer can open
// connections. Everything made is removed by the destructor (deleting a
// namespace takes its links with it).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "viewer_conditions.hpp"

namespace treecast::lab {

class viewer_hosts {
 public:
  // `site_namespace(n)` names site n's namespace ("" for the origin, the
  // root namespace); `site_host(n)` its address on the WAN. `prefix` makes
  // names unique to this lab process. Throws std::runtime_error when a step
  // fails (what was made is removed first).
  viewer_hosts(const std::string& prefix, int sites,
               const std::function<std::string(int)>& site_namespace,
               const std::function<std::string(int)>& site_host,
               const std::vector<viewer_conditions>& viewers);
  ~viewer_hosts();

  viewer_hosts(const viewer_hosts&) = delete;
  viewer_hosts& operator=(const viewer_hosts&) = delete;

  bool has(int viewer) const { return hosts_.count(viewer) != 0; }
  std::string namespace_name(int viewer) const;
  std::string host(int viewer) const { return hosts_.at(viewer); }

 private:
  void add_site_bridge(int site, const std::function<std::string(int)>& site_namespace,
                       const std::function<std::string(int)>& site_host, int sites);
  void add_viewer(const viewer_conditions& c, int sites, const std::string& site_namespace);
  void remove_all();

  std::string prefix_;
  std::map<int, std::string> hosts_;  // viewer -> its address
  std::vector<std::string> made_;     // namespaces made
};

}  // namespace treecast::lab
