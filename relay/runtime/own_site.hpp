// The site a peer runs with: the --site label when one is given, else the one
// its own address tells (core::site_inference::label_of_address: the /24 or
// IPv6 /56 an office's machines share), so that offices are found with no
// label at all. The address is the one this machine sends from toward the
// tree, which is the address other peers see it at.
#pragma once

#include <cstdint>
#include <string>

namespace treecast::runtime {

// --site's value that asks for no site at all (neither given nor inferred).
inline constexpr const char* no_site = "none";

// The local address the routing table picks to reach `host` (a UDP socket
// connected, no packet sent); "" when the host does not resolve or no
// route leads there.
std::string local_address_toward(const std::string& host, std::uint16_t port);

// The label for `given` (--site as typed) on a machine at `own_address`:
// `given` itself, "" for "none", else the label the address tells ("" if
// it tells none, e.g. loopback).
std::string own_site(const std::string& given, const std::string& own_address);

}  // namespace treecast::runtime
