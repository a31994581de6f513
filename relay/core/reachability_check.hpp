// Whether others can reach our children where we see them. As a child joins
// we connect back to it (the host our link sees, the port its Hello gave) and
// wait for its Hello. A child that answers with its own id is reachable: it
// may be handed out and probed. One whose connection fails, or does not
// answer within reach_check_timeout, or for which another peer answers (a
// NAT's port), is not: it is never handed out (subtree_view) and is told so
// (Reachability), so it offers no slots and watches as a leaf (children).
// A child is handed out only once checked: a joiner never waits a connect
// timeout on a peer nobody can reach.
//
// Why the parent: it is the one vantage point every peer has, and usually
// the nearest one. Peers of a firewalled child's own LAN might still reach
// it; the check errs on the side of not asking them to.
#pragma once

#include <map>
#include <optional>

#include "core/children.hpp"
#include "core/link_table.hpp"
#include "core/node_context.hpp"

namespace treecast::core {

class reachability_check {
 public:
  reachability_check(node_context& context, link_table& links, children& kids)
      : ctx_(context), links_(links), children_(kids) {}

  // The child on `child_link` joined: connect back to it. A child that
  // takes no children (listen port 0) needs no check.
  void start(link_id_t child_link);

  // Our check link `id` has the peer's Hello (the gate admitted it): the
  // child is reachable when the Hello is its own. False when `id` is no
  // check link.
  bool on_hello(link_id_t id);

  // A link went away: a check link's child is unreachable; a child's own
  // check is dropped (its link is closed).
  void on_link_gone(link_id_t id);

  void on_timer();
  std::optional<time_point> deadline() const;

  void clear() { checks_.clear(); }

 private:
  // Records the child's state, tells it, closes the check link.
  void finish(link_id_t check_link, bool reachable, const char* why);

  node_context& ctx_;
  link_table& links_;
  children& children_;
  struct check {
    link_id_t child = 0;
    time_point until{};
  };
  std::map<link_id_t, check> checks_;  // by check link
};

}  // namespace treecast::core
