#include "playout_order.hpp"

namespace treecast::media {

playout_result playout_order::accept(std::uint64_t seq, bool keyframe, std::string_view ts) {
  playout_result result;
  if (!last_seq_) {
    if (!keyframe) {
      return result;  // a decoder can only start at a keyframe
    }
  } else if (seq <= *last_seq_) {
    result.late = true;
    ++late_chunks_;
    return result;
  } else if (seq > *last_seq_ + 1) {
    result.missing = seq - *last_seq_ - 1;
    ++discontinuities_;
    gate_.close();
  }
  if (keyframe) {
    gate_.open();
  }
  last_seq_ = seq;
  result.bytes = gate_.filter(ts);
  return result;
}

}  // namespace treecast::media
