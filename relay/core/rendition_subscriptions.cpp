#include "core/rendition_subscriptions.hpp"

#include "wire/codec.hpp"

namespace treecast::core {

rendition_subscriptions::rendition_subscriptions(node_context& context, link_table& links)
    : ctx_(context),
      links_(links),
      own_(context.config.role == wire::peer_role::viewer
               ? wire::rendition_bit(wire::rendition::full)
               : 0) {
  upstream_ = own_ != 0 ? own_ : wire::rendition_bit(wire::rendition::full);
}

void rendition_subscriptions::refresh(wire::rendition_set below) {
  const wire::rendition_set set = own_ | below;
  upstream_ = set != 0 ? set : wire::rendition_bit(wire::rendition::full);
}

void rendition_subscriptions::tell(link_id_t to) {
  link* l = links_.find(to);
  if (!l || l->asked == upstream_) {
    return;
  }
  l->asked = upstream_;
  ctx_.stats.add(counter::subscriptions_sent);
  links_.send(to, wire::subscribe{upstream_});
}

bool rendition_subscriptions::starts(const wire::chunk& c, wire::rendition_set set) {
  if (c.renditions() & set) {
    return true;
  }
  if (!c.is_keyframe()) {
    return false;  // what the broadcast has is known at keyframes
  }
  if (c.rendition_kbps.empty()) {
    return true;  // a broadcast of one rendition
  }
  for (std::size_t r = 0; r < c.rendition_kbps.size(); ++r) {
    if (c.rendition_kbps[r] > 0 && (set & wire::rendition_bit(static_cast<wire::rendition>(r)))) {
      return false;  // the broadcast has one it wants: its part is on the way
    }
  }
  return true;
}

wire::shared_bytes rendition_subscriptions::frame_for(const wire::chunk& c,
                                                      wire::rendition_set set) {
  const wire::rendition_set has = c.renditions();
  if ((has & set) == has || (has & set) == 0) {
    return c.frame;  // all it wants, or nothing it wants: all there is
  }
  set &= has;
  if (cut_chunk_ != &c || cut_seq_ != c.seq) {
    cut_chunk_ = &c;
    cut_seq_ = c.seq;
    cuts_.clear();
  }
  for (const cut& k : cuts_) {
    if (k.set == set) {
      return k.frame;
    }
  }
  // The parts in `set`, each with the body and signature it was signed with.
  wire::chunk subset;
  subset.stream_id = c.stream_id;
  subset.seq = c.seq;
  subset.capture_time_us = c.capture_time_us;
  subset.rendition_kbps = c.rendition_kbps;
  bool first = true;
  auto take = [&](const wire::chunk_part& part) {
    if (!(set & wire::rendition_bit(part.kind))) {
      return;
    }
    if (first) {
      static_cast<wire::chunk_part&>(subset) = part;
      first = false;
    } else {
      subset.more.push_back(part);
    }
  };
  take(c);
  for (const auto& part : c.more) {
    take(part);
  }
  wire::seal_chunk(subset);
  ctx_.stats.add(counter::chunk_subsets_encoded);
  cuts_.push_back({set, subset.frame});
  return subset.frame;
}

}  // namespace treecast::core
