// Whether two peers are of one site (an office behind one WAN link), so that
// the stream crosses each site's WAN as few times as possible.
//
// A label decides when both peers have one of the same kind: both given
// (--site: whoever set it knows), or both inferred from the peer's address
// (label_of_address: the network an office's peers share). A given label
// and an inferred one say nothing about each other. Otherwise the round
// trip does: peers within same_site_rtt of each other
// are one site (an office LAN or campus answers in a millisecond or two, the
// WAN between offices in tens). The round trip is the measured one where
// there is one (a probe), else the estimate from both network coordinates,
// when both have settled enough to mean something.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/time.hpp"
#include "wire/messages.hpp"

namespace treecast::core {

// A peer's place as others learn it: its label and its coordinate.
struct place {
  std::string site;                       // "" = none given
  std::optional<wire::coordinate> where;  // absent = unknown
};

enum class site_match { same, other, unknown };

class site_inference {
 public:
  explicit site_inference(duration same_site_rtt) : same_site_rtt_(same_site_rtt) {}

  site_match match(const place& a, const place& b,
                   std::optional<duration> measured_rtt = std::nullopt) const;

  // Whether `a` and `b` are surely one site (a preference: unknown is not).
  bool same(const place& a, const place& b,
            std::optional<duration> measured_rtt = std::nullopt) const {
    return match(a, b, measured_rtt) == site_match::same;
  }

  // The site label a peer without --site takes from its own address: its
  // network, "net:10.20.3.0/24" (IPv4 /24) or "net:2001:db8:0:100::/56"
  // (IPv6 /56, what an ISP or an office plan gives one place). "" for
  // addresses that tell no place (loopback, link-local, unspecified) and
  // for what is not an address. IPv4-mapped IPv6 counts as IPv4.
  static std::string label_of_address(const std::string& host);
  static bool inferred(const std::string& label) { return label.starts_with(inferred_prefix); }
  static constexpr std::string_view inferred_prefix = "net:";

  // A coordinate this unsure (relative error, per mille) tells nothing yet.
  static constexpr std::uint32_t max_usable_error_permille = 600;
  static bool usable(const std::optional<wire::coordinate>& c) {
    return c && c->error_permille <= max_usable_error_permille;
  }

 private:
  duration same_site_rtt_;
};

}  // namespace treecast::core
