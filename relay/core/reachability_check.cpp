#include "core/reachability_check.hpp"

#include "core/errors.hpp"

namespace treecast::core {

void reachability_check::start(link_id_t child_link) {
  const child* c = children_.find(child_link);
  if (!c || !c->l->peer_hello || c->l->peer_hello->listen_port == 0) {
    return;
  }
  const wire::endpoint where{c->l->remote.host, c->l->peer_hello->listen_port};
  const link_id_t check_link = links_.open(link_kind::reach_check, where);
  checks_[check_link] = {child_link, ctx_.now + ctx_.config.reach_check_timeout};
  ctx_.stats.add(counter::reach_checks);
}

bool reachability_check::on_hello(link_id_t id) {
  const auto it = checks_.find(id);
  if (it == checks_.end()) {
    return false;
  }
  const child* c = children_.find(it->second.child);
  const link& answer = links_.at(id);
  const bool same = c && answer.peer_hello && c->l->peer_hello &&
                    answer.peer_hello->node_id == c->l->peer_hello->node_id;
  finish(id, same, same ? "" : "another peer answers there");
  return true;
}

void reachability_check::on_link_gone(link_id_t id) {
  if (checks_.count(id) != 0) {
    // Closed before the child's Hello: refused, timed out, reset.
    finish(id, false, "no connection");
    return;
  }
  for (auto it = checks_.begin(); it != checks_.end(); ++it) {
    if (it->second.child == id) {
      const link_id_t check_link = it->first;
      checks_.erase(it);
      links_.close(check_link, node_errc::reach_checked);
      links_.remove(check_link);
      return;
    }
  }
}

void reachability_check::on_timer() {
  std::vector<link_id_t> overdue;
  for (const auto& [id, c] : checks_) {
    if (ctx_.now >= c.until) {
      overdue.push_back(id);
    }
  }
  for (const link_id_t id : overdue) {
    finish(id, false, "no answer in time");
  }
}

std::optional<time_point> reachability_check::deadline() const {
  std::optional<time_point> first;
  for (const auto& [id, c] : checks_) {
    if (!first || c.until < *first) {
      first = c.until;
    }
  }
  return first;
}

void reachability_check::finish(link_id_t check_link, bool reachable, const char* why) {
  const auto it = checks_.find(check_link);
  if (it == checks_.end()) {
    return;
  }
  const link_id_t child_link = it->second.child;
  checks_.erase(it);
  if (links_.contains(check_link)) {
    links_.close(check_link, node_errc::reach_checked);
    links_.remove(check_link);
  }
  child* c = children_.find(child_link);
  if (!c) {
    return;
  }
  c->reach = reachable ? reach_state::reachable : reach_state::unreachable;
  const wire::endpoint seen_as{c->l->remote.host, c->l->peer_hello->listen_port};
  if (!reachable) {
    ctx_.stats.add(counter::children_unreachable);
    ctx_.log(log_level::info, "child " + short_id(c->l->peer_hello->node_id) + " at " +
                                  describe(seen_as) + " cannot be reached (" + why +
                                  "): it stays a leaf");
  }
  links_.send(child_link, wire::reachability{reachable, seen_as});
}

}  // namespace treecast::core
