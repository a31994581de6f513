#include "core/network_coordinate.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace treecast::core {
namespace {

using namespace std::chrono_literals;

// The simulator's plane: round trip 4 ms + 200 ms per unit of distance.
struct plane {
  std::vector<std::pair<double, double>> points;

  explicit plane(std::size_t n, std::mt19937_64& random) {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    for (std::size_t i = 0; i < n; ++i) {
      points.emplace_back(unit(random), unit(random));
    }
  }
  duration rtt(std::size_t a, std::size_t b) const {
    const double d =
        std::hypot(points[a].first - points[b].first, points[a].second - points[b].second);
    return std::chrono::duration_cast<duration>(
        std::chrono::duration<double, std::milli>(4.0 + 200.0 * d));
  }
};

double relative_error(duration estimate, duration truth) {
  return std::abs(static_cast<double>(estimate.count() - truth.count())) /
         static_cast<double>(truth.count());
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Every peer measures `rounds` random others, in turn.
void converge(std::vector<network_coordinate>& peers, const plane& p, int rounds,
              std::mt19937_64& random) {
  std::uniform_int_distribution<std::size_t> pick(0, peers.size() - 1);
  for (int r = 0; r < rounds; ++r) {
    for (std::size_t i = 0; i < peers.size(); ++i) {
      std::size_t j = pick(random);
      if (j != i) {
        peers[i].observe(p.rtt(i, j), peers[j].current(), random);
      }
    }
  }
}

// The median relative error of `newcomer`'s estimates to each of `peers`,
// the newcomer being point `self` of `p`.
double median_error_from(const network_coordinate& newcomer, std::size_t self,
                         const std::vector<network_coordinate>& peers, const plane& p) {
  std::vector<double> errors;
  for (std::size_t j = 0; j < peers.size(); ++j) {
    errors.push_back(relative_error(
        network_coordinate::estimate(newcomer.current(), peers[j].current()), p.rtt(self, j)));
  }
  return median(errors);
}

TEST(network_coordinate, peers_that_measure_each_other_estimate_round_trips_they_never_measured) {
  std::mt19937_64 random(7);
  const plane p(60, random);
  std::vector<network_coordinate> peers(60);
  converge(peers, p, 60, random);
  std::vector<double> errors;
  for (std::size_t a = 0; a < peers.size(); ++a) {
    for (std::size_t b = a + 1; b < peers.size(); ++b) {
      errors.push_back(relative_error(
          network_coordinate::estimate(peers[a].current(), peers[b].current()), p.rtt(a, b)));
    }
  }
  EXPECT_LT(median(errors), 0.10);
}

// 60 peers that have measured each other long enough, and a 61st point of
// the plane for a newcomer.
struct settled_plane {
  std::mt19937_64 random{8};
  plane p{61, random};
  std::vector<network_coordinate> peers = settle();

  std::vector<network_coordinate> settle() {
    std::vector<network_coordinate> out(60);
    converge(out, p, 60, random);
    return out;
  }
};

TEST(network_coordinate, a_newcomer_placed_by_one_probe_round_finds_its_neighbours) {
  settled_plane world;
  auto& [random, p, peers] = world;
  // Peer 60 probes 16 of them once, as a joiner's probe round does.
  network_coordinate newcomer;
  for (std::size_t j = 0; j < 16; ++j) {
    newcomer.observe(p.rtt(60, j), peers[j].current(), random);
  }
  EXPECT_EQ(newcomer.samples(), 16);
  // Its nearest peer by estimate is among the truly nearest few.
  std::vector<std::size_t> by_truth(60), by_estimate(60);
  for (std::size_t i = 0; i < 60; ++i) {
    by_truth[i] = by_estimate[i] = i;
  }
  std::sort(by_truth.begin(), by_truth.end(),
            [&](std::size_t a, std::size_t b) { return p.rtt(60, a) < p.rtt(60, b); });
  std::sort(by_estimate.begin(), by_estimate.end(), [&](std::size_t a, std::size_t b) {
    return network_coordinate::estimate(newcomer.current(), peers[a].current()) <
           network_coordinate::estimate(newcomer.current(), peers[b].current());
  });
  const auto rank =
      std::find(by_truth.begin(), by_truth.end(), by_estimate.front()) - by_truth.begin();
  EXPECT_LT(rank, 6);
  // A random pick would be off by ~50% on average; the estimate is within a
  // quarter of the truth for most peers.
  EXPECT_LT(median_error_from(newcomer, 60, peers, p), 0.25);
}

TEST(network_coordinate, impossible_round_trips_are_ignored) {
  std::mt19937_64 random(1);
  network_coordinate c;
  const wire::coordinate before = c.current();
  const wire::coordinate far{500, 0, 10, 100};
  c.observe(0ms, far, random);
  c.observe(-5ms, far, random);
  c.observe(11s, far, random);
  EXPECT_EQ(c.samples(), 0);
  EXPECT_EQ(c.current(), before);
}

TEST(network_coordinate, one_lying_peer_among_a_probe_round_does_not_misplace_us) {
  settled_plane world;
  auto& [random, p, peers] = world;
  // Peer 60 probes 15 honest peers, and one that claims to be sure (error
  // 0) and 10 s away while answering in 20 ms, in the middle of the round.
  network_coordinate newcomer;
  const wire::coordinate liar{wire::max_coordinate_component, 0, 0, 0};
  for (std::size_t j = 0; j < 15; ++j) {
    newcomer.observe(p.rtt(60, j), peers[j].current(), random);
    if (j == 7) {
      newcomer.observe(20ms, liar, random);
    }
  }
  EXPECT_LT(median_error_from(newcomer, 60, peers, p), 0.35);
  // Our coordinate stays one the wire can carry.
  const wire::coordinate ours = newcomer.current();
  EXPECT_LE(std::abs(ours.x), wire::max_coordinate_component);
  EXPECT_LE(ours.error_permille, wire::max_coordinate_error_permille);
}

TEST(network_coordinate, the_estimate_is_the_distance_plus_both_heights) {
  const wire::coordinate a{0, 0, 20, 0}, b{300, 400, 30, 0};  // 0.1 ms units
  EXPECT_EQ(network_coordinate::estimate(a, b), 55ms);
  EXPECT_EQ(network_coordinate::estimate(b, a), 55ms);
}

}  // namespace
}  // namespace treecast::core
