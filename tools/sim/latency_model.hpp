// One-way network delay between simulated peers.
//
// Either points on a unit plane (delay = base + distance * scale; peers of a
// site cluster around the site's centre), or a matrix of one-way delays
// between M locations read from a file, peer i sitting at location i mod M.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "core/time.hpp"

namespace treecast::sim {

class latency_model {
 public:
  // Plane model for `peers` peers (index 0 is the broadcaster, at the
  // centre). With `sites` > 0, peer i > 0 belongs to site (i % sites) and
  // sits near its centre; site_of() tells which.
  static latency_model plane(std::size_t peers, int sites, std::mt19937_64& random);

  // Matrix model: whitespace-separated one-way delays in milliseconds, one
  // row per location, square. Throws std::runtime_error on a malformed file.
  static latency_model matrix(const std::string& path, std::size_t peers);

  core::duration one_way(std::size_t a, std::size_t b) const;

  // Site index of peer i, or -1 without sites.
  int site_of(std::size_t i) const { return sites_.empty() ? -1 : sites_[i]; }

 private:
  struct point {
    double x;
    double y;
  };
  std::vector<point> points_;
  std::vector<int> sites_;
  std::vector<double> matrix_ms_;
  std::size_t locations_ = 0;
};

}  // namespace treecast::sim
