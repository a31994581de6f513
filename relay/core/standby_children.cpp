#include "core/standby_children.hpp"

#include <algorithm>

#include "wire/codec.hpp"

namespace treecast::core {

std::size_t standby_children::of_parent(const wire::node_id_t& parent) const {
  std::size_t n = 0;
  for (const auto& [id, h] : held_) {
    n += h.parent == parent;
  }
  return n;
}

std::vector<std::pair<link_id_t, std::vector<wire::node_id_t>>> standby_children::beyond(
    std::size_t fit) const {
  std::vector<std::pair<link_id_t, std::vector<wire::node_id_t>>> out;
  std::map<wire::node_id_t, std::size_t> kept;  // per parent
  for (const auto& [id, h] : held_) {           // link ids grow: the oldest first
    if (++kept[h.parent] > fit) {
      out.emplace_back(id, h.path);
    }
  }
  return out;
}

duration standby_children::have_interval(std::uint32_t asked_ms) const {
  // Never denser than standby_have_interval; at most a second apart, so that
  // it tells us alive within its silence rule.
  return std::clamp<duration>(std::chrono::milliseconds(asked_ms),
                              ctx_.config.standby_have_interval, std::chrono::seconds(1));
}

void standby_children::add(link_id_t id, std::vector<wire::node_id_t> path,
                           const wire::standby_offer& offer, std::uint32_t have_interval_ms) {
  const wire::node_id_t parent = path[path.size() - 2];
  held_[id] = held{parent, std::move(path), {}, {}, offer, have_interval(have_interval_ms), {}};
  links_.at(id).slow_peer = true;
  send(id, wire::encode_frame(offer));
}

void standby_children::remove(link_id_t id) {
  if (held_.erase(id) != 0) {
    if (link* l = links_.find(id)) {
      l->slow_peer = false;  // a child now: its heartbeats are a child's
    }
  }
}

void standby_children::set_have_interval(link_id_t id, std::uint32_t have_interval_ms) {
  if (const auto it = held_.find(id); it != held_.end()) {
    it->second.have_interval = have_interval(have_interval_ms);
    it->second.last_have.reset();  // the next chunk is announced
  }
}

void standby_children::announce(wire::seq_t seq, std::size_t free_slots) {
  // One frame for all: the same few bytes to each.
  wire::shared_bytes frame;
  for (auto& [id, h] : held_) {
    if (h.last_have && ctx_.now - *h.last_have < h.have_interval) {
      continue;
    }
    if (!frame) {
      frame = wire::encode_frame(wire::have{seq, static_cast<std::uint32_t>(free_slots)});
    }
    h.last_have = ctx_.now;
    send(id, frame);
  }
}

void standby_children::offer_all(const wire::standby_offer& offer) {
  if (held_.empty()) {
    return;
  }
  wire::shared_bytes frame;
  for (auto& [id, h] : held_) {
    if (h.offered == offer) {
      continue;  // it knows this already
    }
    if (!frame) {
      frame = wire::encode_frame(offer);
    }
    send(id, frame);
    h.offered = offer;
  }
}

// children::uplink_behind, asked at most once per call and only when a
// fetched chunk would go: it walks our children's links, and nothing a call
// sends changes their queues.
class standby_children::uplink_check {
 public:
  explicit uplink_check(const children& ours) : ours_(ours) {}
  bool behind() {
    if (!behind_) {
      behind_ = ours_.uplink_behind();
    }
    return *behind_;
  }

 private:
  const children& ours_;
  std::optional<bool> behind_;
};

bool standby_children::serve_fetch(link_id_t id, const wire::fetch& m, const chunk_window& window) {
  held& h = held_.at(id);
  if (h.fetch_end && m.from_seq < *h.fetch_end) {
    return false;
  }
  h.fetch_end = m.from_seq + m.count;
  wire::seq_t next = m.from_seq;
  uplink_check uplink(ours_);
  for (const shared_chunk& c : window.from(m.from_seq)) {
    if (c->seq >= *h.fetch_end) {
      break;
    }
    send_fetched_to(id, *c, uplink);
    next = c->seq + 1;
  }
  if (next < *h.fetch_end) {
    h.owed.emplace_back(next, *h.fetch_end);
    if (h.owed.size() > max_owed_ranges) {
      h.owed.pop_front();  // the oldest: its chunks are long due anyway
    }
  }
  return true;
}

wire::rendition_set standby_children::wanted() const {
  wire::rendition_set set = 0;
  for (const auto& [id, h] : held_) {
    set |= links_.at(id).wants;
  }
  return set;
}

void standby_children::send_fetched(const wire::chunk& c) {
  uplink_check uplink(ours_);
  for (auto& [id, h] : held_) {
    for (auto it = h.owed.begin(); it != h.owed.end(); ++it) {
      if (c.seq < it->first || c.seq >= it->second) {
        continue;
      }
      send_fetched_to(id, c, uplink);
      it->first = c.seq + 1;
      if (it->first >= it->second) {
        h.owed.erase(it);
      }
      break;
    }
  }
}

void standby_children::send_fetched_to(link_id_t id, const wire::chunk& c, uplink_check& uplink) {
  if (uplink.behind()) {
    ctx_.stats.add(counter::gap_fills_withheld);  // too late for it by the time it went
    return;
  }
  const wire::shared_bytes frame = renditions_.frame_for(c, links_.at(id).wants);
  ctx_.stats.add(counter::gap_fill_chunks_sent);
  ctx_.stats.add(counter::gap_fill_bytes_sent, frame->size());
  links_.send_frame(id, frame);
}

void standby_children::send(link_id_t id, const wire::shared_bytes& frame) {
  ctx_.stats.add(counter::standby_bytes_sent, frame->size());
  links_.send_frame(id, frame);
}

}  // namespace treecast::core
