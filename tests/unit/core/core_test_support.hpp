// Helpers shared by the engine's unit tests: ids, chunks, hellos, and a
// recording context for testing one part of the node on its own.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/node_context.hpp"
#include "wire/codec.hpp"

namespace treecast::core::testing {

inline wire::node_id_t id_of(std::uint8_t n) {
  wire::node_id_t id{};
  id[0] = n;
  return id;
}

// Chunk `seq`, a keyframe every `gop`, captured seq * 200 ms.
inline wire::chunk make_chunk(wire::seq_t seq, int gop = 5) {
  wire::chunk c;
  c.seq = seq;
  c.capture_time_us = seq * 200'000;
  c.flags = seq % gop == 0 ? wire::chunk_flag_keyframe : 0;
  c.payload = "payload-" + std::to_string(seq);
  wire::seal_chunk(c);
  return c;
}

// A chunk of a stream cut a chunk per frame (30 a second), as the peers'
// default is: its capture time is the frame's.
inline wire::chunk make_frame_chunk(wire::seq_t seq) {
  wire::chunk c = make_chunk(seq);
  c.capture_time_us = seq * 33'333;
  wire::seal_chunk(c);
  return c;
}

inline shared_chunk share(wire::chunk c) {
  return std::make_shared<const wire::chunk>(std::move(c));
}

inline wire::hello hello_from(std::uint8_t n, std::uint16_t listen_port = 0) {
  wire::hello h;
  h.node_id = id_of(n);
  h.listen_port = listen_port;
  h.role = wire::peer_role::relay;
  h.max_children = 8;  // a relay's default (node_config)
  return h;
}

// One node's shared context with a hand-set clock, keeping every action a
// part produced.
class recording_context {
 public:
  explicit recording_context(node_config config = {}, std::uint8_t id = 100)
      : ctx(std::move(config), id_of(id), 42, {}) {
    ctx.now = time_point(std::chrono::seconds(1000));
  }

  node_context ctx;

  // Actions since the last call.
  std::vector<action> take() { return ctx.take_actions(); }

  template <typename T>
  static std::vector<T> only(const std::vector<action>& actions) {
    std::vector<T> out;
    for (const auto& a : actions) {
      if (const auto* x = std::get_if<T>(&a)) {
        out.push_back(*x);
      }
    }
    return out;
  }

  // Messages sent to `link` among `actions`, decoded.
  static std::vector<wire::message> sent_to(const std::vector<action>& actions, link_id_t link) {
    std::vector<wire::message> out;
    for (const auto& s : only<send_action>(actions)) {
      if (s.link == link) {
        wire::message m;
        EXPECT_FALSE(wire::decode_frame(s.frame, m));
        out.push_back(std::move(m));
      }
    }
    return out;
  }
};

}  // namespace treecast::core::testing
