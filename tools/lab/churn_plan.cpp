#include "churn_plan.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace treecast::lab {
namespace {

churn_action parse_action(const std::string& word, const std::string& item) {
  if (word == "kill")
    return churn_action::kill;
  if (word == "leave")
    return churn_action::leave;
  if (word == "freeze")
    return churn_action::freeze;
  if (word == "thaw")
    return churn_action::thaw;
  if (word == "restart")
    return churn_action::restart;
  throw std::invalid_argument("churn plan: unknown action '" + word + "' in '" + item +
                              "' (kill, leave, freeze, thaw, restart)");
}

bool is_peer_name(const std::string& name) {
  for (const std::string prefix : {"relay", "viewer"}) {
    if (name.rfind(prefix, 0) == 0 && name.size() > prefix.size() &&
        name.find_first_not_of("0123456789", prefix.size()) == std::string::npos &&
        name[prefix.size()] != '0') {
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<churn_event> parse_churn_plan(const std::string& text) {
  std::vector<churn_event> events;
  std::istringstream items(text);
  std::string item;
  while (std::getline(items, item, ',')) {
    if (item.empty()) {
      continue;
    }
    const auto first = item.find(':');
    const auto second = first == std::string::npos ? first : item.find(':', first + 1);
    if (second == std::string::npos) {
      throw std::invalid_argument("churn plan: '" + item + "' is not SECONDS:ACTION:PEER");
    }
    churn_event event;
    try {
      std::size_t used = 0;
      event.at_s = std::stod(item.substr(0, first), &used);
      if (used != first || event.at_s < 0) {
        throw std::invalid_argument("");
      }
    } catch (const std::exception&) {
      throw std::invalid_argument("churn plan: bad time in '" + item + "'");
    }
    event.action = parse_action(item.substr(first + 1, second - first - 1), item);
    event.peer = item.substr(second + 1);
    if (!is_peer_name(event.peer)) {
      throw std::invalid_argument("churn plan: '" + event.peer +
                                  "' is not a peer (relayN or viewerN, from 1)");
    }
    events.push_back(event);
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const churn_event& a, const churn_event& b) { return a.at_s < b.at_s; });
  return events;
}

std::vector<churn_event> spread_kills(int kills, double duration_s) {
  std::vector<churn_event> events;
  for (int i = 0; i < kills; ++i) {
    const double share = kills == 1 ? 0.5 : 0.3 + 0.4 * i / (kills - 1);
    events.push_back({duration_s * share, churn_action::kill, "relay" + std::to_string(i + 1)});
  }
  return events;
}

const char* churn_action_name(churn_action action) {
  switch (action) {
    case churn_action::kill:
      return "kill";
    case churn_action::leave:
      return "leave";
    case churn_action::freeze:
      return "freeze";
    case churn_action::thaw:
      return "thaw";
    case churn_action::restart:
      return "restart";
  }
  return "?";
}

}  // namespace treecast::lab
