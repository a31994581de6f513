// libFuzzer target: bytes from a hostile peer go through the framing, the
// message decoder and the engine's message handling, as they would on a real
// link. The first byte picks which side the peer talks to: a root accepting
// it (joins, probes, candidate queries, reports) or a relay whose parent it
// is (accepts, redirects, chunks, path updates, leaves).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/node.hpp"
#include "wire/frame_decoder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace treecast;
  if (size == 0) {
    return 0;
  }
  const bool as_parent = (data[0] & 1) != 0;
  core::node_config config;
  config.listen_port = 7000;
  config.max_children = 4;
  if (as_parent) {
    config.role = wire::peer_role::relay;
    config.rendezvous = wire::endpoint{"127.0.0.1", 7000};
  } else {
    config.role = wire::peer_role::broadcaster;
  }
  wire::node_id_t id{};
  id[0] = 0x42;
  core::node node(config, id, 1);
  core::time_point now{std::chrono::seconds(1)};
  node.start(now);
  core::link_id_t link = 0;
  if (as_parent) {
    // The relay asked the rendezvous; the fuzzer answers on that link.
    for (const auto& a : node.take_actions()) {
      if (const auto* c = std::get_if<core::connect_action>(&a)) {
        link = c->link;
      }
    }
    node.on_link_connected(link, now);
  } else {
    link = node.on_link_accepted({"10.0.0.9", 5000}, now);
  }
  wire::frame_decoder decoder(64 * 1024);
  std::vector<wire::shared_bytes> frames;
  const std::error_code framing = decoder.feed({data + 1, size - 1}, frames);
  for (const auto& frame : frames) {
    now += std::chrono::milliseconds(10);
    node.on_frame(link, frame, now);
    node.on_timer(now);
    node.take_actions();
  }
  if (framing) {
    node.on_protocol_error(link, framing, now);
  }
  node.take_actions();
  return 0;
}
