// Where the lab's peers run: all on loopback, or one network namespace per
// site joined through an emulated WAN (site_network.hpp), optionally with a
// namespace per viewer behind its site (viewer_hosts.hpp).
#pragma once

#include <string>
#include <vector>

namespace treecast::lab {

// Where one peer runs: its site ("" = the origin, where the broadcaster is)
// and, for a viewer, its number (0 for the others), which a network with a
// namespace per viewer places in that viewer's own.
struct peer_place {
  std::string site;
  int viewer = 0;
};

class lab_network {
 public:
  virtual ~lab_network() = default;
  // Words put before a program's path to run it at `place`.
  virtual std::vector<std::string> command_prefix(const peer_place& place) const = 0;
  // The address a peer at `place` listens on.
  virtual std::string host(const peer_place& place) const = 0;
};

class loopback_network : public lab_network {
 public:
  std::vector<std::string> command_prefix(const peer_place&) const override { return {}; }
  std::string host(const peer_place&) const override { return "127.0.0.1"; }
};

}  // namespace treecast::lab
