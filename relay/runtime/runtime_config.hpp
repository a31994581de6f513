// Settings of the Asio driver (the engine's own are in core::node_config).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "wire/limits.hpp"

namespace treecast::runtime {

struct runtime_config {
  // Address to accept children on; empty = accept none.
  std::string listen_host = "0.0.0.0";

  // Port to accept children on; 0 picks a free one (see listen_port()).
  std::uint16_t listen_port = 0;

  // Frames above this size close the link that sent them.
  std::size_t max_frame_bytes = wire::default_max_frame_bytes;

  // Kernel send buffer per peer socket. Kept small (the kernel doubles it:
  // ~0.5 s of a 2 Mbit/s stream) so that a child falling behind shows in
  // our own queue, where upload_monitor sees it, rather than hiding in the
  // kernel (256 KiB was ~2 s).
  int socket_send_buffer = 64 * 1024;

  // Bytes the kernel may hold not yet sent per peer socket
  // (TCP_NOTSENT_LOWAT): the rest of a slow child's backlog waits in our
  // queue, not the kernel's, so upload_monitor sees it within a check and
  // the engine still chooses what to send (a narrow child thinned to sound
  // alone). At 150 kbit/s the socket buffer alone (128 KiB once doubled)
  // is ~7 s of the link before our queue grows at all.
  int socket_unsent_limit = 16 * 1024;

  // A connection attempt that takes longer fails.
  std::chrono::milliseconds connect_timeout{3000};

  // After a close asked by the engine, queued frames get this long to drain.
  std::chrono::milliseconds close_linger{1000};
};

}  // namespace treecast::runtime
