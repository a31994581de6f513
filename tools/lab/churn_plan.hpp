// The lab's scripted churn: at given seconds into the run, kill (-9), freeze
// (-STOP), thaw (-CONT) or restart a named peer ("relay2", "viewer17").
#pragma once

#include <string>
#include <vector>

namespace treecast::lab {

enum class churn_action { kill, leave, freeze, thaw, restart };

struct churn_event {
  double at_s = 0;
  churn_action action = churn_action::kill;
  std::string peer;  // "relayN" or "viewerN", 1-based
};

// Parses "20:kill:relay1,35:restart:relay1,40:freeze:relay2"; events come
// back sorted by time. Throws std::invalid_argument naming the bad item.
std::vector<churn_event> parse_churn_plan(const std::string& text);

// `kills` relays killed (relay1, relay2, ...) at even spacing between 30% and
// 70% of the run, so each repair has time to settle before the next and
// before the end.
std::vector<churn_event> spread_kills(int kills, double duration_s);

const char* churn_action_name(churn_action action);

}  // namespace treecast::lab
