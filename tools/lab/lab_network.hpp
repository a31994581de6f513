// Where the lab's peers run: all on loopback, or one network namespace per
// site joined through an emulated WAN (site_network.hpp).
#pragma once

#include <string>
#include <vector>

namespace treecast::lab {

class lab_network {
 public:
  virtual ~lab_network() = default;
  // Words put before a program's path to run it in `site` ("" = the origin,
  // where the broadcaster is).
  virtual std::vector<std::string> command_prefix(const std::string& site) const = 0;
  // The address the peers of `site` listen on.
  virtual std::string host(const std::string& site) const = 0;
};

class loopback_network : public lab_network {
 public:
  std::vector<std::string> command_prefix(const std::string&) const override { return {}; }
  std::string host(const std::string&) const override { return "127.0.0.1"; }
};

}  // namespace treecast::lab
