#include "site_network.hpp"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

#include "setup_command.hpp"

namespace treecast::lab {
namespace {

constexpr const char* ip = ip_program;
constexpr const char* namespace_prefix = "treecast-lab-";

bool process_alive(const std::string& pid) {
  return !pid.empty() && ::kill(std::stoi(pid), 0) == 0;
}

// Namespaces and origin links of lab runs that were killed before cleaning.
void remove_stale() {
  const std::filesystem::path netns = "/run/netns";
  if (std::filesystem::exists(netns)) {
    for (const auto& entry : std::filesystem::directory_iterator(netns)) {
      const auto name = entry.path().filename().string();
      if (name.rfind(namespace_prefix, 0) == 0) {
        const auto rest = name.substr(std::string(namespace_prefix).size());
        if (!process_alive(rest.substr(0, rest.find('-')))) {
          run_quietly(std::string(ip) + " netns del " + name);
        }
      }
    }
  }
  for (const auto& entry : std::filesystem::directory_iterator("/sys/class/net")) {
    const auto name = entry.path().filename().string();
    // "tl<pid>o", "tl<pid>ob", "tl<pid>s<N>b": links of a lab run.
    const auto digits_end = name.find_first_not_of("0123456789", 2);
    if (name.rfind("tl", 0) == 0 && digits_end != std::string::npos && digits_end > 2 &&
        (name[digits_end] == 'o' || name[digits_end] == 's') &&
        !process_alive(name.substr(2, digits_end - 2))) {
      run_quietly(std::string(ip) + " link del " + name);
    }
  }
}

}  // namespace

site_network::site_network(int sites, int wan_delay_ms, int wan_mbit,
                           const std::vector<viewer_conditions>& viewers)
    : sites_(sites), prefix_(std::to_string(::getpid())) {
  if (::geteuid() != 0) {
    throw std::runtime_error("--netns needs root (network namespaces, veth, tbf, raw sockets)");
  }
  if (!std::filesystem::exists("/usr/sbin/ethtool") || !std::filesystem::exists(ip)) {
    throw std::runtime_error("--netns needs iproute2 and ethtool (tools/setup.sh installs them)");
  }
  remove_stale();
  try {
    std::vector<std::string> ports;
    for (int site = 0; site <= sites_; ++site) {
      add_link(site, wan_mbit);
      ports.push_back(interface_name(site) + "b");
    }
    bridge_ = std::make_unique<wan_bridge>(ports, std::chrono::milliseconds(wan_delay_ms));
    if (!viewers.empty()) {
      viewers_ = std::make_unique<viewer_hosts>(
          prefix_, sites_, [this](int site) { return site_namespace(site); },
          [this](int site) { return site_host(site); }, viewers);
    }
  } catch (...) {
    remove_all();
    throw;
  }
}

site_network::~site_network() {
  remove_all();
}

int site_network::site_number(const std::string& site) {
  return site.empty() ? 0 : std::stoi(site.substr(4));
}

std::string site_network::namespace_name(int site) const {
  return namespace_prefix + prefix_ + "-site" + std::to_string(site);
}

std::string site_network::interface_name(int site) const {
  return "tl" + prefix_ + (site == 0 ? std::string("o") : "s" + std::to_string(site));
}

std::vector<std::string> site_network::command_prefix(const peer_place& place) const {
  if (viewers_ && viewers_->has(place.viewer)) {
    return {ip, "netns", "exec", viewers_->namespace_name(place.viewer)};
  }
  const int n = site_number(place.site);
  if (n == 0) {
    return {};
  }
  return {ip, "netns", "exec", namespace_name(n)};
}

std::string site_network::host(const peer_place& place) const {
  if (viewers_ && viewers_->has(place.viewer)) {
    return viewers_->host(place.viewer);
  }
  return site_host(site_number(place.site));
}

std::string site_network::site_namespace(int site) const {
  return site == 0 ? std::string() : namespace_name(site);
}

std::string site_network::site_host(int site) const {
  return site == 0 ? "10.77.0.1" : "10.77." + std::to_string(site) + ".2";
}

void site_network::add_link(int site, int wan_mbit) {
  const std::string end = interface_name(site);
  const std::string bridge_end = end + "b";
  const std::string in_site = in_namespace(site_namespace(site));
  if (site != 0) {
    run_setup(std::string(ip) + " netns add " + namespace_name(site));
  }
  made_.push_back(site);
  run_setup(std::string(ip) + " link add " + end + " type veth peer name " + bridge_end);
  if (site != 0) {
    run_setup(std::string(ip) + " link set " + end + " netns " + namespace_name(site));
    run_setup(in_site + ip + " link set lo up");
  }
  run_setup(in_site + ip + " addr add " + site_host(site) + "/16 dev " + end);
  run_setup(in_site + ip + " link set " + end + " up");
  run_setup(std::string(ip) + " link set " + bridge_end + " up");
  disable_offloads(in_site, end);
  disable_offloads("", bridge_end);
  const std::string tbf =
      " root tbf rate " + std::to_string(wan_mbit) + "mbit burst 128kb latency 200ms";
  run_setup(in_site + "/usr/sbin/tc qdisc add dev " + end + tbf);  // the site's uplink
  run_setup("/usr/sbin/tc qdisc add dev " + bridge_end + tbf);     // and its downlink
}

void site_network::remove_all() {
  viewers_.reset();
  bridge_.reset();
  for (const int site : made_) {
    // Deleting the bridge's end takes the pair away at once; a namespace
    // lingers while the kernel still holds sockets of it.
    run_quietly(std::string(ip) + " link del " + interface_name(site) + "b");
    if (site != 0) {
      run_quietly(std::string(ip) + " netns del " + namespace_name(site));
    }
  }
  made_.clear();
}

}  // namespace treecast::lab
