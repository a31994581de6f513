#include "core/chunk_window.hpp"

namespace treecast::core {
namespace {

std::size_t size_of(const wire::chunk& c) {
  return c.frame ? c.frame->size() : c.payload.size();
}

}  // namespace

chunk_window::chunk_window(duration span, std::size_t max_bytes)
    : span_(span), max_bytes_(max_bytes) {}

chunk_window::insert_result chunk_window::insert(shared_chunk c) {
  if (chunks_.count(c->seq) != 0) {
    return insert_result::duplicate;
  }
  if (!chunks_.empty() && c->seq < chunks_.begin()->first) {
    return insert_result::too_old;
  }
  bytes_ += size_of(*c);
  const wire::seq_t seq = c->seq;
  chunks_.emplace(seq, std::move(c));
  evict();
  return insert_result::inserted;
}

void chunk_window::evict() {
  // Never evict the newest chunk: a window always serves at least it.
  const std::uint64_t newest_capture = chunks_.rbegin()->second->capture_time_us;
  const auto span_us = static_cast<std::uint64_t>(span_.count());
  while (chunks_.size() > 1) {
    const wire::chunk& oldest = *chunks_.begin()->second;
    const bool expired = oldest.capture_time_us + span_us < newest_capture;
    if (!expired && bytes_ <= max_bytes_) {
      break;
    }
    bytes_ -= size_of(oldest);
    chunks_.erase(chunks_.begin());
  }
}

std::vector<shared_chunk> chunk_window::from(wire::seq_t seq) const {
  std::vector<shared_chunk> out;
  for (auto it = chunks_.lower_bound(seq); it != chunks_.end(); ++it) {
    out.push_back(it->second);
  }
  return out;
}

std::optional<wire::seq_t> chunk_window::resume_point(std::size_t reach) const {
  const auto last = last_seq();
  if (!last) {
    return std::nullopt;
  }
  const wire::seq_t from = std::max(*first_seq(), *last >= reach ? *last - reach + 1 : 0);
  return first_missing(from, *last).value_or(*last + 1);
}

std::optional<wire::seq_t> chunk_window::first_missing(wire::seq_t from, wire::seq_t to) const {
  for (wire::seq_t s = from; s <= to; ++s) {
    if (!contains(s)) {
      return s;
    }
  }
  return std::nullopt;
}

std::optional<wire::seq_t> chunk_window::newest_keyframe(
    const std::function<bool(const wire::chunk&)>& where) const {
  for (auto it = chunks_.rbegin(); it != chunks_.rend(); ++it) {
    if (it->second->is_keyframe() && (!where || where(*it->second))) {
      return it->first;
    }
  }
  return std::nullopt;
}

std::optional<wire::seq_t> chunk_window::oldest_within(duration span) const {
  if (chunks_.empty()) {
    return std::nullopt;
  }
  const std::uint64_t newest = chunks_.rbegin()->second->capture_time_us;
  const auto span_us = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(span).count());
  for (const auto& [seq, c] : chunks_) {
    if (c->capture_time_us + span_us >= newest) {
      return seq;
    }
  }
  return std::nullopt;
}

std::optional<wire::seq_t> chunk_window::first_seq() const {
  if (chunks_.empty()) {
    return std::nullopt;
  }
  return chunks_.begin()->first;
}

std::optional<wire::seq_t> chunk_window::last_seq() const {
  if (chunks_.empty()) {
    return std::nullopt;
  }
  return chunks_.rbegin()->first;
}

std::vector<std::uint32_t> chunk_window::rendition_rates() const {
  for (auto it = chunks_.rbegin(); it != chunks_.rend(); ++it) {
    if (!it->second->rendition_kbps.empty()) {
      return it->second->rendition_kbps;
    }
  }
  return {};
}

}  // namespace treecast::core
