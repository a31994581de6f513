// What every part of one node shares: its identity and configuration, the
// time of the input being handled, the outbox its driver drains, its
// counters, its log and its random source.
//
// The node owns one and hands a reference to each part; a part never keeps
// state of another part here. Threading: the node's.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "core/actions.hpp"
#include "core/counters.hpp"
#include "core/log.hpp"
#include "core/node_config.hpp"
#include "core/time.hpp"
#include "wire/messages.hpp"

namespace treecast::core {

class node_context {
 public:
  node_context(node_config config, wire::node_id_t id, std::uint64_t seed, log_sink log);

  const node_config config;
  const wire::node_id_t id;

  // Every random choice of the node (nonces, sampling): one seeded source,
  // so a run is reproducible.
  std::mt19937_64 random;

  // `d` times a random factor in 0.5 .. 1.5, so that peers started or
  // turned away together do not come back together.
  duration spread(duration d) {
    const double factor = std::uniform_real_distribution<double>(0.5, 1.5)(random);
    return duration(static_cast<duration::rep>(static_cast<double>(d.count()) * factor));
  }

  counters stats;

  // The time of the input being handled; set by the node on every input.
  time_point now{};

  bool is_root() const { return config.role == wire::peer_role::broadcaster; }

  // Wall-clock (Unix) time at `now` in microseconds, from the driver's last
  // reading (set_wall_clock); before any reading, `now` itself (the
  // simulator's and the tests' clock).
  std::int64_t unix_us() const { return now.time_since_epoch().count() + wall_offset_us_; }
  void set_wall_clock(std::int64_t unix_us_at_now) {
    wall_offset_us_ = unix_us_at_now - now.time_since_epoch().count();
    has_wall_clock_ = true;
  }
  // True once the driver gave a wall clock: checks against it apply.
  bool has_wall_clock() const { return has_wall_clock_; }

  // Queues an action for the driver.
  void act(action a) { outbox_.push_back(std::move(a)); }
  void emit(node_event e) { outbox_.push_back(event_action{std::move(e)}); }
  std::vector<action> take_actions();

  // Logs through the injected sink, stamped with `now`.
  void log(log_level level, const std::string& text) const;

  // Counts one more `c`; logs "`text` (N so far)" as a warning for the
  // first and then every `every`-th, so a flood costs a few log lines.
  void count_and_log(counter c, std::uint64_t every, const std::string& text);

 private:
  log_sink log_;
  std::vector<action> outbox_;
  std::int64_t wall_offset_us_ = 0;
  bool has_wall_clock_ = false;
};

// "host:port", for logs.
std::string describe(const wire::endpoint& e);

// The first four bytes of `id` in hex, for logs.
std::string short_id(const wire::node_id_t& id);

}  // namespace treecast::core
