#include "latency_model.hpp"

#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace treecast::sim {
namespace {

// Delay on the plane: 2 ms of local overhead plus up to ~140 ms across it.
constexpr double base_ms = 2.0;
constexpr double ms_per_unit = 100.0;
// Peers of one site sit this close to its centre (standard deviation).
constexpr double site_spread = 0.01;

}  // namespace

latency_model latency_model::plane(std::size_t peers, int sites, std::mt19937_64& random) {
  latency_model m;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<point> centres;
  for (int s = 0; s < sites; ++s) {
    centres.push_back({unit(random), unit(random)});
  }
  std::normal_distribution<double> jitter(0.0, site_spread);
  m.points_.resize(peers);
  m.points_[0] = {0.5, 0.5};
  if (sites > 0) {
    m.sites_.assign(peers, -1);
  }
  for (std::size_t i = 1; i < peers; ++i) {
    if (sites > 0) {
      const int s = static_cast<int>(i % static_cast<std::size_t>(sites));
      m.sites_[i] = s;
      m.points_[i] = {centres[s].x + jitter(random), centres[s].y + jitter(random)};
    } else {
      m.points_[i] = {unit(random), unit(random)};
    }
  }
  return m;
}

latency_model latency_model::matrix(const std::string& path, std::size_t) {
  std::ifstream in(path);
  if (!in) {
    throw std::runtime_error("cannot read latency matrix " + path);
  }
  latency_model m;
  std::string line;
  std::size_t rows = 0;
  while (std::getline(in, line)) {
    std::istringstream cells(line);
    std::size_t columns = 0;
    double ms;
    while (cells >> ms) {
      if (ms < 0) {
        throw std::runtime_error("negative delay in " + path);
      }
      m.matrix_ms_.push_back(ms);
      ++columns;
    }
    if (columns == 0) {
      continue;
    }
    if (rows == 0) {
      m.locations_ = columns;
    } else if (columns != m.locations_) {
      throw std::runtime_error(path + ": row " + std::to_string(rows + 1) + " has " +
                               std::to_string(columns) + " cells, expected " +
                               std::to_string(m.locations_));
    }
    ++rows;
  }
  if (rows == 0 || rows != m.locations_) {
    throw std::runtime_error(path + ": the matrix must be square and not empty");
  }
  return m;
}

core::duration latency_model::one_way(std::size_t a, std::size_t b) const {
  double ms;
  if (locations_ > 0) {
    ms = matrix_ms_[(a % locations_) * locations_ + (b % locations_)];
  } else {
    const double dx = points_[a].x - points_[b].x;
    const double dy = points_[a].y - points_[b].y;
    ms = base_ms + std::sqrt(dx * dx + dy * dy) * ms_per_unit;
  }
  return core::duration(static_cast<std::int64_t>(ms * 1000.0));
}

}  // namespace treecast::sim
