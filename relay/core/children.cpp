#include "core/children.hpp"

#include <utility>

namespace treecast::core {

bool children::uplink_behind() const {
  const auto waiting = std::count_if(children_.begin(), children_.end(), [&](const auto& e) {
    return links_.queue_age(*e.second.l) > ctx_.config.gap_fill_uplink_limit;
  });
  return waiting > 0 && 2 * static_cast<std::size_t>(waiting) >= children_.size();
}

namespace {

// Whether a child that wants `set` can play on from `c` after a gap: any
// chunk that carries its sound alone; with a picture, a keyframe's.
bool resumes_at(const wire::chunk& c, wire::rendition_set set) {
  const wire::rendition_set picture =
      wire::rendition_bit(wire::rendition::full) | wire::rendition_bit(wire::rendition::low);
  return rendition_subscriptions::starts(c, set) && (!(set & picture) || c.is_keyframe());
}

}  // namespace

std::size_t children::free_slots(bool open) const {
  const std::size_t taken = count() + (reserving() ? 1 : 0);
  if (!open || leaf() || taken >= slots()) {
    return 0;
  }
  return slots() - taken;
}

bool children::reserved_for(const wire::node_id_t& id) const {
  // One over our slots at most: a peer that rose full sheds a child for it.
  return reserving() && reserved_->id == id && count() <= ctx_.config.max_children;
}

bool children::room_for_promotion(bool open) const {
  return open && !leaf() && count() < slots() + ctx_.config.standby_headroom;
}

std::size_t children::promotion_room(bool open) const {
  const std::size_t limit = slots() + ctx_.config.standby_headroom;
  const std::size_t taken = count() + (reserving() ? 1 : 0);
  return open && !leaf() && taken < limit ? limit - taken : 0;
}

std::string children::refusal(bool attached) const {
  if (ctx_.config.max_children == 0) {
    return "accepts no children";
  }
  if (unreachable()) {
    return "not reachable from its parent: takes no children";
  }
  if (narrow_downlink_) {
    return "its downlink does not carry the full rendition: takes no children";
  }
  return attached ? "full" : "not attached";
}

bool children::set_reachable(bool reachable) {
  const bool changed = reachable_ != reachable;
  reachable_ = reachable;
  return changed;
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

void children::add(link_id_t id, link& l, duration rtt) {
  children_[id].l = &l;
  children_[id].rtt = rtt;
  if (reserved_ && l.peer_hello && l.peer_hello->node_id == reserved_->id) {
    reserved_.reset();  // it came: the slot is its own now
  }
}

bool children::remove(link_id_t id) {
  if (moving_out_ && moving_out_->id == id) {
    moving_out_.reset();  // it moved (or went): done
  }
  return children_.erase(id) != 0;
}

void children::clear() {
  children_.clear();
  moving_out_.reset();
  reserved_.reset();
}

std::vector<capacity_policy::child_view> children::capacities() const {
  std::vector<capacity_policy::child_view> out;
  out.reserve(children_.size());
  for (const auto& [id, c] : children_) {
    const auto& hello = c.l->peer_hello;
    // A child nobody can reach takes no children, whatever its Hello said.
    const bool leaf = c.reach == reach_state::unreachable;
    out.push_back({id,
                   hello && !leaf ? hello->max_children : 0,
                   c.last_report ? c.last_report->subtree_size : 1,
                   {hello ? hello->site : "", c.last_report ? c.last_report->where : std::nullopt},
                   c.rtt});
  }
  return out;
}

std::optional<time_point> children::move_out_deadline() const {
  return moving_out_ ? std::optional(moving_out_->until) : std::nullopt;
}

std::optional<link_id_t> children::take_overdue_move_out() {
  if (!moving_out_ || ctx_.now < moving_out_->until) {
    return std::nullopt;
  }
  return std::exchange(moving_out_, std::nullopt)->id;
}

wire::rendition_set children::wanted() const {
  wire::rendition_set set = 0;
  for (const auto& [id, c] : children_) {
    set |= c.l->wants;
  }
  return set;
}

void children::forward(const shared_chunk& c) {
  for (auto& [id, ch] : children_) {
    send_chunk(id, ch, c);
  }
}

bool children::on_written(link_id_t id) {
  const auto it = children_.find(id);
  if (it == children_.end() || it->second.held.empty()) {
    return false;
  }
  child& ch = it->second;
  link& l = *ch.l;
  const std::size_t window = links_.send_window(l);
  bool sent = false;
  while (!ch.held.empty() && l.queued_bytes < window) {
    const shared_chunk c = std::move(ch.held.front());
    ch.held.pop_front();
    l.held_bytes -= std::min(l.held_bytes, c->frame->size());
    hand_over(id, l, *c);
    sent = true;
  }
  return sent;
}

void children::serve_backlog(link_id_t id, const chunk_window& window,
                             std::optional<wire::seq_t> resume_from) {
  std::optional<wire::seq_t> start;
  const auto first = window.first_seq();
  const auto last = window.last_seq();
  link& l = *children_.at(id).l;
  if (resume_from && first && *resume_from >= *first && *resume_from <= *last + 1) {
    start = resume_from;
    l.started = true;  // a repair: it has a window to fill, every seq counts
  } else if (l.wants == wire::rendition_bit(wire::rendition::audio)) {
    // Sound needs no keyframe: from one (up to a GOP back) the backlog took
    // seconds across a 150 kbit/s downlink, and the sound broke in its first
    // second (the lab's narrow-downlink test, 4 runs in 14).
    start = window.oldest_within(sound_backlog);
  } else {
    start = window.newest_keyframe(
        [&l](const wire::chunk& c) { return rendition_subscriptions::starts(c, l.wants); });
    start = start ? start : window.newest_keyframe();
  }
  if (!start) {
    return;
  }
  for (const shared_chunk& c : window.from(*start)) {
    send_chunk(id, children_.at(id), c);
  }
}

void children::send_chunk(link_id_t id, child& ch, const shared_chunk& c) {
  link& l = *ch.l;
  if (!l.started) {
    if (!rendition_subscriptions::starts(*c, l.wants)) {
      return;  // a joiner starts at what it asked for
    }
    l.started = true;
  }
  if (!ch.held.empty() || l.queued_bytes >= links_.send_window(l)) {
    ch.held.push_back(c);
    links_.set_held(id, l, l.held_bytes + c->frame->size());
    skip_to_live_edge(id, ch);
    return;
  }
  hand_over(id, l, *c);
}

void children::skip_to_live_edge(link_id_t id, child& ch) {
  link& l = *ch.l;
  // A child that asks for the full rendition may feed others: a gap would
  // reach them all (upload_monitor moves such a child instead).
  if (l.wants & wire::rendition_bit(wire::rendition::full)) {
    return;
  }
  const auto lag_us = static_cast<std::int64_t>(ch.held.back()->capture_time_us) -
                      static_cast<std::int64_t>(ch.held.front()->capture_time_us);
  if (lag_us <=
      std::chrono::duration_cast<std::chrono::microseconds>(ctx_.config.held_lag_limit).count()) {
    return;
  }
  // The newest chunk it can play from (any, on sound alone; a keyframe's,
  // with a picture), and the bytes before it.
  auto start = ch.held.end();
  std::size_t bytes = 0;
  std::size_t before = 0;
  for (auto it = ch.held.begin(); it != ch.held.end(); ++it) {
    if (resumes_at(**it, l.wants)) {
      start = it;
      bytes = before;
    }
    before += (*it)->frame->size();
  }
  if (start == ch.held.end() || start == ch.held.begin()) {
    return;  // nothing newer to start from yet
  }
  const auto skipped = static_cast<std::uint64_t>(start - ch.held.begin());
  ch.held.erase(ch.held.begin(), start);
  links_.set_held(id, l, l.held_bytes - std::min(l.held_bytes, bytes));
  ctx_.stats.add(counter::chunks_skipped_behind, skipped);
  ctx_.log(log_level::info, "child at " + describe(l.remote) + " was " +
                                std::to_string(lag_us / 1000) + " ms behind on its link: " +
                                std::to_string(skipped) + " chunks skipped to the live edge");
}

void children::hand_over(link_id_t id, link& l, const wire::chunk& c) {
  // The per-chunk path: the shared frame as received (or cut to the
  // renditions the child asked for, once per chunk), no lookup, no copy.
  const wire::shared_bytes frame = renditions_.frame_for(c, l.wants);
  links_.send_frame(id, l, frame);
  ctx_.stats.add(counter::chunks_sent);
  ctx_.stats.add(counter::chunk_bytes_sent, frame->size());
}

}  // namespace treecast::core
