// The chunk window: eviction by span and bytes, newest keyframe, resume.
#include <gtest/gtest.h>

#include "core/chunk_window.hpp"
#include "wire/codec.hpp"

namespace treecast::core {
namespace {

using namespace std::chrono_literals;

// Chunk `seq` captured at seq * 200 ms, keyframe every `gop` chunks.
shared_chunk make(wire::seq_t seq, int gop = 5, std::size_t bytes = 1000) {
  wire::chunk c;
  c.seq = seq;
  c.capture_time_us = seq * 200'000;
  c.flags = seq % gop == 0 ? wire::chunk_flag_keyframe : 0;
  c.payload = std::string(bytes, 'x');
  wire::seal_chunk(c);
  return std::make_shared<const wire::chunk>(std::move(c));
}

TEST(chunk_window, evicts_chunks_older_than_the_span) {
  chunk_window w(2s, 1 << 30);
  for (wire::seq_t s = 0; s < 30; ++s) {
    ASSERT_EQ(w.insert(make(s)), chunk_window::insert_result::inserted);
  }
  // Newest is 29 at 5.8 s; the span keeps capture times >= 3.8 s: seq 19..29.
  EXPECT_EQ(w.first_seq(), 19u);
  EXPECT_EQ(w.last_seq(), 29u);
  EXPECT_EQ(w.size(), 11u);
  EXPECT_FALSE(w.contains(18));
}

TEST(chunk_window, evicts_by_bytes_but_keeps_the_newest) {
  chunk_window w(10s, 3500);
  for (wire::seq_t s = 0; s < 10; ++s) {
    w.insert(make(s, 5, 1000));
  }
  EXPECT_LE(w.bytes(), 3500u);
  EXPECT_EQ(w.last_seq(), 9u);
  EXPECT_GE(w.size(), 1u);

  chunk_window tiny(10s, 10);
  tiny.insert(make(0, 5, 1000));
  EXPECT_EQ(tiny.size(), 1u);  // never empty after an insert
}

TEST(chunk_window, finds_the_newest_keyframe) {
  chunk_window w(10s, 1 << 30);
  EXPECT_FALSE(w.newest_keyframe());
  for (wire::seq_t s = 1; s < 5; ++s) {
    w.insert(make(s));
  }
  EXPECT_FALSE(w.newest_keyframe());  // gop 5: none among 1..4
  for (wire::seq_t s = 5; s < 13; ++s) {
    w.insert(make(s));
  }
  EXPECT_EQ(w.newest_keyframe(), 10u);
}

TEST(chunk_window, serves_from_a_sequence_number) {
  chunk_window w(10s, 1 << 30);
  for (wire::seq_t s = 0; s < 10; ++s) {
    w.insert(make(s));
  }
  const auto tail = w.from(7);
  ASSERT_EQ(tail.size(), 3u);
  EXPECT_EQ(tail[0]->seq, 7u);
  EXPECT_EQ(tail[2]->seq, 9u);
  EXPECT_TRUE(w.from(10).empty());
  EXPECT_EQ(w.from(0).size(), 10u);
}

TEST(chunk_window, serves_across_a_gap) {
  chunk_window w(10s, 1 << 30);
  for (wire::seq_t s : {0, 1, 2, 5, 6}) {
    w.insert(make(s));
  }
  const auto tail = w.from(3);
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_EQ(tail[0]->seq, 5u);
}

TEST(chunk_window, refuses_duplicates_and_chunks_before_it) {
  chunk_window w(1s, 1 << 30);
  for (wire::seq_t s = 0; s < 20; ++s) {
    w.insert(make(s));
  }
  EXPECT_EQ(w.insert(make(19)), chunk_window::insert_result::duplicate);
  EXPECT_EQ(w.insert(make(2)), chunk_window::insert_result::too_old);
  EXPECT_EQ(w.size(), 6u);  // 1 s span at 200 ms: seq 14..19
}

}  // namespace
}  // namespace treecast::core
