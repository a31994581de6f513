// The recent chunks a peer holds, by sequence number.
//
// A late joiner is served from the newest keyframe; a child that reattaches
// after a repair is served from the next sequence number it misses. Chunks
// leave the window when their capture time falls more than `span` behind the
// newest chunk's, or when the window's bytes pass `max_bytes`.
//
// Chunks are shared, immutable objects: the window, the delivery to the local
// player and every child's write queue hold the same one.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "core/time.hpp"
#include "wire/messages.hpp"

namespace treecast::core {

using shared_chunk = std::shared_ptr<const wire::chunk>;

class chunk_window {
 public:
  enum class insert_result {
    inserted,   // new chunk, now held
    duplicate,  // this seq is already held: drop it
    too_old,    // seq lies before the window's first chunk: drop it
  };

  chunk_window(duration span, std::size_t max_bytes);

  insert_result insert(shared_chunk c);

  // The chunks from `seq` on, in order. Empty when `seq` is past the newest.
  std::vector<shared_chunk> from(wire::seq_t seq) const;

  // The newest keyframe chunk (for which `where` holds, when given).
  std::optional<wire::seq_t> newest_keyframe(
      const std::function<bool(const wire::chunk&)>& where = {}) const;
  // The oldest chunk captured no more than `span` before the newest.
  std::optional<wire::seq_t> oldest_within(duration span) const;
  // Where a new parent should resume: the first chunk missing within `reach`
  // of the newest (a gap fill may have run ahead of the parent), else the
  // chunk after the newest. Nullopt when empty.
  std::optional<wire::seq_t> resume_point(std::size_t reach) const;
  // The first sequence number in [from, to] not held.
  std::optional<wire::seq_t> first_missing(wire::seq_t from, wire::seq_t to) const;
  // The renditions' rates the newest chunk that carries them says (a
  // keyframe chunk's); empty when none does.
  std::vector<std::uint32_t> rendition_rates() const;
  std::optional<wire::seq_t> first_seq() const;
  std::optional<wire::seq_t> last_seq() const;
  bool contains(wire::seq_t seq) const { return chunks_.count(seq) != 0; }
  std::size_t size() const { return chunks_.size(); }
  std::size_t bytes() const { return bytes_; }
  duration span() const { return span_; }

 private:
  void evict();

  duration span_;
  std::size_t max_bytes_;
  std::map<wire::seq_t, shared_chunk> chunks_;
  std::size_t bytes_ = 0;
};

}  // namespace treecast::core
