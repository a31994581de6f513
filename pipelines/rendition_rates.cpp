#include "rendition_rates.hpp"

#include <cmath>

namespace treecast::media {

namespace {

constexpr std::int64_t enough_us = 1'000'000;

}  // namespace

void rendition_rates::add(const media_chunk& c) {
  const sample s{c.capture_time_us, {c.bytes.size(), c.low_bytes.size(), c.audio_bytes.size()}};
  samples_.push_back(s);
  for (std::size_t i = 0; i < in_window_.size(); ++i) {
    in_window_[i] += s.bytes[i];
  }
  // Keep one chunk older than the window: its capture time starts the span
  // the others fill.
  while (samples_.size() > 2 &&
         static_cast<std::int64_t>(c.capture_time_us - samples_[1].capture_us) >= window_us_) {
    for (std::size_t i = 0; i < in_window_.size(); ++i) {
      in_window_[i] -= samples_.front().bytes[i];
    }
    samples_.pop_front();
  }
}

rendition_rates::rates rendition_rates::current() const {
  if (samples_.size() < 2) {
    return nominal_;
  }
  const auto span_us =
      static_cast<std::int64_t>(samples_.back().capture_us - samples_.front().capture_us);
  if (span_us < enough_us) {
    return nominal_;
  }
  rates out{};
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (nominal_[i] == 0) {
      continue;
    }
    // The first chunk only marks where the span starts: its bytes were sent
    // before it.
    const auto bytes = in_window_[i] - samples_.front().bytes[i];
    out[i] = static_cast<std::uint32_t>(
        std::ceil(static_cast<double>(bytes) * 8 * 1000 / static_cast<double>(span_us)));
  }
  return out;
}

}  // namespace treecast::media
