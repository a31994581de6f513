#include "setup_command.hpp"

#include <cstdlib>
#include <stdexcept>

namespace treecast::lab {

void run_setup(const std::string& command) {
  if (std::system((command + " >/dev/null 2>&1").c_str()) != 0) {
    throw std::runtime_error("--netns set-up failed: " + command);
  }
}

void run_quietly(const std::string& command) {
  [[maybe_unused]] const int ignored = std::system((command + " >/dev/null 2>&1").c_str());
}

std::string in_namespace(const std::string& name) {
  return name.empty() ? "" : std::string(ip_program) + " netns exec " + name + " ";
}

void disable_offloads(const std::string& in_ns, const std::string& device) {
  run_setup(in_ns + "/usr/sbin/ethtool -K " + device + " tx off tso off gso off gro off");
}

}  // namespace treecast::lab
