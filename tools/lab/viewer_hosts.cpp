#include "viewer_hosts.hpp"

#include <set>
#include <stdexcept>

#include "setup_command.hpp"

namespace treecast::lab {
namespace {

const std::string ip = ip_program;

std::string subnet(int site) {
  return "10.78." + std::to_string(site);
}

// A token bucket of `kbit` per second on the device's egress; its queue
// holds up to 200 ms, as a home router's would at least.
std::string cap(const std::string& device, int kbit) {
  const int burst_bytes = std::max(4096, kbit * 1000 / 8 / 50);  // 20 ms at the rate
  return "/usr/sbin/tc qdisc add dev " + device + " root tbf rate " + std::to_string(kbit) +
         "kbit burst " + std::to_string(burst_bytes) + " latency 200ms";
}

}  // namespace

viewer_hosts::viewer_hosts(const std::string& prefix, int sites,
                           const std::function<std::string(int)>& site_namespace,
                           const std::function<std::string(int)>& site_host,
                           const std::vector<viewer_conditions>& viewers)
    : prefix_(prefix) {
  try {
    std::set<int> bridged;
    for (const auto& c : viewers) {
      if (c.viewer <= 0 || c.site < 1 || c.site > sites || (c.viewer - 1) / sites > 250) {
        throw std::runtime_error("--viewer-netns holds at most 251 viewers per site");
      }
      if (bridged.insert(c.site).second) {
        add_site_bridge(c.site, site_namespace, site_host, sites);
      }
      add_viewer(c, sites, site_namespace(c.site));
    }
  } catch (...) {
    remove_all();
    throw;
  }
}

viewer_hosts::~viewer_hosts() {
  remove_all();
}

std::string viewer_hosts::namespace_name(int viewer) const {
  return "treecast-lab-" + prefix_ + "-viewer" + std::to_string(viewer);
}

void viewer_hosts::add_site_bridge(int site, const std::function<std::string(int)>& site_namespace,
                                   const std::function<std::string(int)>& site_host, int sites) {
  const std::string in_site = in_namespace(site_namespace(site));
  run_setup(in_site + ip + " link add vb type bridge");
  run_setup(in_site + ip + " addr add " + subnet(site) + ".1/24 dev vb");
  run_setup(in_site + ip + " link set vb up");
  run_setup(in_site + "/usr/sbin/sysctl -qw net.ipv4.ip_forward=1");
  // Every other site and the origin reach the viewers through this site's
  // WAN address (the routes go with the links when those are deleted).
  for (int other = 0; other <= sites; ++other) {
    if (other != site) {
      run_setup(in_namespace(site_namespace(other)) + ip + " route add " + subnet(site) +
                ".0/24 via " + site_host(site));
    }
  }
}

void viewer_hosts::add_viewer(const viewer_conditions& c, int sites,
                              const std::string& site_namespace) {
  const std::string name = namespace_name(c.viewer);
  const std::string end = "tl" + prefix_ + "v" + std::to_string(c.viewer);
  const std::string site_end = end + "b";
  const std::string in_viewer = in_namespace(name);
  const std::string in_site = in_namespace(site_namespace);
  run_setup(ip + " netns add " + name);
  made_.push_back(name);
  run_setup(ip + " link add " + end + " type veth peer name " + site_end);
  run_setup(ip + " link set " + end + " netns " + name);
  run_setup(ip + " link set " + site_end + " netns " + site_namespace);
  run_setup(in_site + ip + " link set " + site_end + " master vb up");
  const std::string host = subnet(c.site) + "." + std::to_string((c.viewer - 1) / sites + 2);
  run_setup(in_viewer + ip + " link set lo up");
  run_setup(in_viewer + ip + " addr add " + host + "/24 dev " + end);
  run_setup(in_viewer + ip + " link set " + end + " up");
  run_setup(in_viewer + ip + " route add default via " + subnet(c.site) + ".1");
  disable_offloads(in_viewer, end);  // their frames cross the user-space WAN
  disable_offloads(in_site, site_end);
  if (c.down_kbit > 0) {
    run_setup(in_site + cap(site_end, c.down_kbit));
  }
  if (c.up_kbit > 0) {
    run_setup(in_viewer + cap(end, c.up_kbit));
  }
  if (c.unreachable) {
    run_setup(in_viewer + "/usr/sbin/nft add table inet treecast_lab");
    run_setup(in_viewer + "/usr/sbin/nft add chain inet treecast_lab input " +
              "'{ type filter hook input priority 0; policy accept; }'");
    run_setup(in_viewer + "/usr/sbin/nft add rule inet treecast_lab input " +
              "'tcp flags & (syn | ack) == syn drop'");
  }
  hosts_[c.viewer] = host;
}

void viewer_hosts::remove_all() {
  for (const auto& name : made_) {
    run_quietly(ip + " netns del " + name);
  }
  made_.clear();
  hosts_.clear();
}

}  // namespace treecast::lab
