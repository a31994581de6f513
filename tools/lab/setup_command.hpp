// The lab's network set-up runs iproute2, tc, ethtool and nft as commands.
// Every word of a command is the lab's own (names, numbers), never user text.
#pragma once

#include <string>

namespace treecast::lab {

inline constexpr const char* ip_program = "/usr/sbin/ip";

// Runs `command`; throws std::runtime_error naming it when it fails.
void run_setup(const std::string& command);

// Runs `command` and ignores how it ends (clean-up of what may be gone).
void run_quietly(const std::string& command);

// "ip netns exec NAME " (the words that run a command in that namespace);
// "" for the root namespace (an empty name).
std::string in_namespace(const std::string& name);

// Turns checksum and segmentation offloads off on `device` (run with the
// `in_namespace` prefix given): frames must leave whole and checksummed,
// since the lab's user-space WAN bridge re-sends them as they are.
void disable_offloads(const std::string& in_ns, const std::string& device);

}  // namespace treecast::lab
