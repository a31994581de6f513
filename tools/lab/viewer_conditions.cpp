#include "viewer_conditions.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace treecast::lab {

std::vector<viewer_conditions> assign_viewer_conditions(int viewers, int sites,
                                                        const std::vector<int>& down_kbit,
                                                        const std::vector<int>& up_kbit,
                                                        double unreachable) {
  std::vector<viewer_conditions> out;
  const int site_count = std::max(sites, 1);
  const auto picked = [unreachable](int j) {
    return std::floor((j + 1) * unreachable + 0.5) > std::floor(j * unreachable + 0.5);
  };
  for (int i = 1; i <= viewers; ++i) {
    viewer_conditions c;
    c.viewer = i;
    c.site = (i - 1) % site_count + 1;
    const int j = (i - 1) / site_count;
    const auto round_robin = [j](const std::vector<int>& list) {
      return list.empty() ? 0 : list[static_cast<std::size_t>(j) % list.size()];
    };
    c.down_kbit = round_robin(down_kbit);
    c.up_kbit = round_robin(up_kbit);
    c.unreachable = picked(j);
    out.push_back(c);
  }
  return out;
}

std::vector<int> parse_kbit_list(const std::string& text) {
  std::vector<int> out;
  if (text.empty()) {
    return out;
  }
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    std::size_t used = 0;
    int value = -1;
    try {
      value = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || value < 0) {
      throw std::invalid_argument("not a kbit/s figure (0 or more): '" + item + "'");
    }
    out.push_back(value);
  }
  return out;
}

std::string describe(const viewer_conditions& c) {
  std::string out = c.unreachable ? "unreachable" : "reachable";
  if (c.down_kbit > 0) {
    out += ", down " + std::to_string(c.down_kbit) + " kbit/s";
  }
  if (c.up_kbit > 0) {
    out += ", up " + std::to_string(c.up_kbit) + " kbit/s";
  }
  return out;
}

}  // namespace treecast::lab
