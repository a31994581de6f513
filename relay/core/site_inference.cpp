#include "core/site_inference.hpp"

#include <arpa/inet.h>

#include <array>
#include <cstring>

#include "core/network_coordinate.hpp"

namespace treecast::core {
namespace {

constexpr int ipv6_site_bits = 56;

std::string ipv4_label(const std::uint8_t* a) {
  if (a[0] == 127 || a[0] == 0 || (a[0] == 169 && a[1] == 254)) {
    return "";  // loopback, unspecified, link-local: no place
  }
  std::array<std::uint8_t, 4> net{a[0], a[1], a[2], 0};  // the /24
  char text[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, net.data(), text, sizeof text);
  return std::string(site_inference::inferred_prefix) + text + "/24";
}

std::string ipv6_label(const std::uint8_t* a) {
  static constexpr std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(a, mapped, sizeof mapped) == 0) {
    return ipv4_label(a + 12);
  }
  static constexpr std::uint8_t zero[15] = {};
  const bool loopback_or_unspecified = std::memcmp(a, zero, sizeof zero) == 0 && a[15] <= 1;
  const bool link_local = a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
  if (loopback_or_unspecified || link_local) {
    return "";
  }
  std::array<std::uint8_t, 16> net{};
  std::memcpy(net.data(), a, ipv6_site_bits / 8);
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(AF_INET6, net.data(), text, sizeof text);
  return std::string(site_inference::inferred_prefix) + text + "/" + std::to_string(ipv6_site_bits);
}

}  // namespace

std::string site_inference::label_of_address(const std::string& host) {
  std::string bare = host;
  if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']') {
    bare = bare.substr(1, bare.size() - 2);
  }
  std::uint8_t bytes[16] = {};
  if (inet_pton(AF_INET, bare.c_str(), bytes) == 1) {
    return ipv4_label(bytes);
  }
  if (inet_pton(AF_INET6, bare.c_str(), bytes) == 1) {
    return ipv6_label(bytes);
  }
  return "";
}

site_match site_inference::match(const place& a, const place& b,
                                 std::optional<duration> measured_rtt) const {
  if (!a.site.empty() && !b.site.empty() && inferred(a.site) == inferred(b.site)) {
    return a.site == b.site ? site_match::same : site_match::other;
  }
  if (same_site_rtt_ == duration::zero()) {
    return site_match::unknown;  // inference off
  }
  std::optional<duration> rtt = measured_rtt;
  if (!rtt && usable(a.where) && usable(b.where)) {
    rtt = network_coordinate::estimate(*a.where, *b.where);
  }
  if (!rtt) {
    return site_match::unknown;
  }
  return *rtt <= same_site_rtt_ ? site_match::same : site_match::other;
}

}  // namespace treecast::core
