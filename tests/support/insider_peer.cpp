#include "insider_peer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

namespace treecast::testing {

using namespace std::chrono_literals;

constexpr std::size_t max_conversations = 64;

insider_peer::insider_peer(std::uint16_t broadcaster_port, std::string token, wire::node_id_t root,
                           claims lies)
    : token_(std::move(token)), root_(root), lies_(lies) {
  id_.fill(0x66);
  // Ready to answer at once: a probe round does not wait for slow answers.
  raw_peer::warm_up();
  listener_ = listen_on_loopback(port_);
  server_ = std::thread([this] { serve(); });
  place_ = std::thread([this, broadcaster_port] { keep_place(broadcaster_port); });
}

insider_peer::~insider_peer() {
  stop_ = true;
  place_.join();
  server_.join();
  for (auto& t : conversations_) {
    t.join();
  }
  close(listener_);
}

wire::hello insider_peer::my_hello() const {
  wire::hello h;
  h.node_id = id_;
  h.listen_port = port_;
  h.role = wire::peer_role::viewer;
  h.token = token_;
  // As many children as it claims room for: a joiner offering fewer does
  // not take its place below the broadcaster (a full parent gives a weaker
  // child's place to a stronger joiner), so it stays there to be fallen for.
  h.max_children = lies_.free_slots;
  return h;
}

bool insider_peer::wait_attached(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return state_changed_.wait_for(lock, timeout, [this] { return attached_; });
}

bool insider_peer::wait_checked(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return state_changed_.wait_for(lock, timeout, [this] { return checked_; });
}

void insider_peer::keep_place(std::uint16_t broadcaster_port) {
  try {
    raw_peer parent(broadcaster_port);
    parent.send_message(my_hello());
    parent.send_message(wire::join_request{});
    auto next_report = std::chrono::steady_clock::now();
    while (!stop_) {
      if (std::chrono::steady_clock::now() >= next_report) {
        // Room to spare, so the rendezvous hands it out to joiners.
        wire::report r;
        r.free_slots = lies_.free_slots;
        r.viewers = 1;
        if (lies_.report_size > 0) {
          r.subtree_size = lies_.report_size;
          r.viewers = lies_.report_size;
          r.chunks_missed = 123'456'789;
        }
        if (!parent.send_message(r)) {
          return;
        }
        next_report += 300ms;
      }
      if (const auto m = parent.receive(50ms); m && std::holds_alternative<wire::join_accept>(*m)) {
        {
          const std::lock_guard lock(mutex_);
          attached_ = true;
        }
        state_changed_.notify_all();
      }
    }
  } catch (const std::exception&) {
    // The broadcaster refused or went away: wait_attached() says so.
  }
}

void insider_peer::serve() {
  while (!stop_) {
    pollfd ready{listener_, POLLIN, 0};
    if (poll(&ready, 1, 100) <= 0) {
      continue;
    }
    const int fd = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      continue;
    }
    const std::lock_guard lock(mutex_);
    if (conversations_.size() == max_conversations) {
      close(fd);
      continue;
    }
    conversations_.emplace_back([this, fd] {
      try {
        converse(raw_peer::accepted(fd));
      } catch (const std::exception&) {
        // not a TLS peer: nothing to lie to
      }
    });
  }
}

void insider_peer::converse(std::unique_ptr<raw_peer> link) {
  // The peer's Hello first: the real root, its parent, connects back to
  // check that it can be reached. A liar that wants to be probed passes
  // that check with its own id and lies to the others.
  std::optional<wire::message> first;
  const auto hello_deadline = std::chrono::steady_clock::now() + 5s;
  while (!first && !stop_ && std::chrono::steady_clock::now() < hello_deadline) {
    first = link->receive(100ms);
  }
  const auto* their_hello = first ? std::get_if<wire::hello>(&*first) : nullptr;
  const bool parent_checks = their_hello && their_hello->node_id == root_;
  // Posing as the root: the root's id toward those who probe it (its own
  // toward the real root, which would not take a peer with its id).
  const wire::node_id_t shown_id = lies_.pose_as_root && !parent_checks ? root_ : id_;
  wire::hello hello = my_hello();
  hello.node_id = shown_id;
  link->send_message(hello);
  if (parent_checks) {
    // The parent closes its check once it has our Hello: from then on it
    // hands us to joiners.
    if (link->wait_closed_by_remote(5s)) {
      {
        const std::lock_guard lock(mutex_);
        checked_ = true;
      }
      state_changed_.notify_all();
    }
    return;
  }
  std::vector<wire::node_id_t> path;
  if (lies_.path_from_root && lies_.depth > 0 && !lies_.pose_as_root) {
    path.push_back(root_);
  }
  while (path.size() < lies_.depth) {
    path.push_back(wire::node_id_t{});  // made-up ancestors
  }
  path.push_back(shown_id);
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!stop_ && std::chrono::steady_clock::now() < deadline) {
    const auto m = link->receive(100ms);
    if (!m) {
      continue;
    }
    if (const auto* ping = std::get_if<wire::ping>(&*m)) {
      ++probes_;
      link->send_message(wire::pong{ping->nonce, true, lies_.depth, lies_.free_slots, path, ""});
    } else if (std::holds_alternative<wire::join_request>(*m)) {
      ++joins_;
      link->send_message(wire::join_accept{lies_.depth, path, {}, {}});
      // ... and never a chunk; heartbeats keep the link looking alive.
    } else if (std::holds_alternative<wire::candidates_request>(*m)) {
      wire::peer_summary self;
      self.node_id = shown_id;
      self.address = {"", port_};
      self.free_slots = lies_.free_slots;
      link->send_message(wire::candidates{{self}});
    }
    link->send_message(wire::heartbeat{});
  }
}

}  // namespace treecast::testing
