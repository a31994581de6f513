#include "status_samples.hpp"

#include <string>

namespace treecast::testing {

std::vector<status_sample> status_samples(const child_process& p) {
  std::vector<status_sample> out;
  for (const auto& line : p.lines()) {
    if (line.rfind("status ", 0) != 0) {
      continue;
    }
    auto f = status_fields(line);
    out.push_back({std::stod(f.at("t")), std::stod(f.at("frames")), std::stod(f.at("audio"))});
  }
  return out;
}

double counter_at(const std::vector<status_sample>& s, double t, double status_sample::*field) {
  for (std::size_t i = 1; i < s.size(); ++i) {
    if (s[i].t_ms >= t) {
      const double w = (t - s[i - 1].t_ms) / (s[i].t_ms - s[i - 1].t_ms);
      return s[i - 1].*field + w * (s[i].*field - s[i - 1].*field);
    }
  }
  return s.back().*field;
}

}  // namespace treecast::testing
