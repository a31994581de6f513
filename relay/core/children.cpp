#include "core/children.hpp"

namespace treecast::core {

std::size_t children::free_slots(bool open) const {
  if (!open || count() >= ctx_.config.max_children) {
    return 0;
  }
  return ctx_.config.max_children - count();
}

bool children::room_for_promotion(bool open) const {
  return open && count() < ctx_.config.max_children + ctx_.config.standby_headroom;
}

std::string children::refusal(bool attached) const {
  return ctx_.config.max_children == 0 ? "accepts no children" : attached ? "full" : "not attached";
}

child* children::find(link_id_t id) {
  const auto it = children_.find(id);
  return it == children_.end() ? nullptr : &it->second;
}

const child* children::find(link_id_t id) const {
  const auto it = children_.find(id);
  return it == children_.end() ? nullptr : &it->second;
}

std::size_t children::from_host(const std::string& host) const {
  std::size_t n = 0;
  for (const auto& [id, c] : children_) {
    n += c.l->remote.host == host;
  }
  return n;
}

void children::add(link_id_t id, link& l) {
  children_[id].l = &l;
}

void children::forward(const wire::chunk& c) {
  for (auto& [id, ch] : children_) {
    send_chunk(id, *ch.l, c);
  }
}

void children::serve_backlog(link_id_t id, const chunk_window& window,
                             std::optional<wire::seq_t> resume_from) {
  std::optional<wire::seq_t> start;
  const auto first = window.first_seq();
  const auto last = window.last_seq();
  if (resume_from && first && *resume_from >= *first && *resume_from <= *last + 1) {
    start = resume_from;
  } else {
    start = window.newest_keyframe();
  }
  if (!start) {
    return;
  }
  link& l = *children_.at(id).l;
  for (const shared_chunk& c : window.from(*start)) {
    send_chunk(id, l, *c);
  }
}

void children::send_chunk(link_id_t id, link& l, const wire::chunk& c) {
  // The per-chunk path: the shared frame as received, no lookup, no copy.
  links_.send_frame(id, l, c.frame);
  ctx_.stats.add(counter::chunks_sent);
  ctx_.stats.add(counter::chunk_bytes_sent, c.frame->size());
}

}  // namespace treecast::core
