#include "core/node_context.hpp"

#include <cstdio>

namespace treecast::core {

node_context::node_context(node_config config_in, wire::node_id_t id_in, std::uint64_t seed,
                           log_sink log)
    : config(std::move(config_in)), id(id_in), random(seed), log_(std::move(log)) {}

std::vector<action> node_context::take_actions() {
  std::vector<action> out;
  out.swap(outbox_);
  return out;
}

void node_context::log(log_level level, const std::string& text) const {
  if (log_) {
    log_(level, now, text);
  }
}

void node_context::count_and_log(counter c, std::uint64_t every, const std::string& text) {
  const std::uint64_t before = stats.get(c);
  stats.add(c);
  if (before % every == 0) {
    log(log_level::warn, text + " (" + std::to_string(before + 1) + " so far)");
  }
}

std::string describe(const wire::endpoint& e) {
  return e.host + ":" + std::to_string(e.port);
}

std::string short_id(const wire::node_id_t& id) {
  char text[9];
  std::snprintf(text, sizeof text, "%02x%02x%02x%02x", id[0], id[1], id[2], id[3]);
  return text;
}

}  // namespace treecast::core
