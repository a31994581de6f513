// What the engine asks its driver to do. The driver drains them in order
// after every input.
#pragma once

#include <cstdint>
#include <string>
#include <system_error>
#include <variant>

#include "core/chunk_window.hpp"
#include "core/events.hpp"
#include "wire/bytes.hpp"
#include "wire/messages.hpp"

namespace treecast::core {

// A driver-independent handle for one connection, chosen by the engine.
using link_id_t = std::uint64_t;

// Write `frame` to the link. Frames to one link are written in order.
struct send_action {
  link_id_t link;
  wire::shared_bytes frame;
};

// Open a connection to `to`; report it with on_link_connected or
// on_link_closed under the same id.
struct connect_action {
  link_id_t link;
  wire::endpoint to;
};

// Close the link once the frames already queued to it are written (with
// `abort`, at once, dropping them: the peer stopped reading). The engine has
// forgotten the link: the driver reports nothing more about it.
struct close_action {
  link_id_t link;
  std::error_code reason;
  bool abort = false;
};

// Send no faster than `bytes_per_second` on `link` (a child's narrow
// downlink; child_pacing.hpp says why).
struct pace_action {
  link_id_t link;
  std::uint64_t bytes_per_second;
};

// A verified chunk for the local consumer (the viewer's player).
struct deliver_action {
  shared_chunk chunk;
};

// The node cannot go on (no parent could be joined within the bounds): the
// program reports `reason` and exits.
struct give_up_action {
  std::string reason;
};

// Something the driver may want to log, show or measure (events.hpp).
struct event_action {
  node_event event;
};

using action = std::variant<send_action, connect_action, close_action, pace_action, deliver_action,
                            give_up_action, event_action>;

}  // namespace treecast::core
