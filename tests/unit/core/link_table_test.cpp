// link_table: the Hello gate, liveness and the bound on queued bytes.
#include "core/link_table.hpp"

#include "core/errors.hpp"
#include "core_test_support.hpp"

namespace treecast::core {
namespace {

using namespace std::chrono_literals;
using testing::hello_from;
using testing::recording_context;

// Admits tokens that say "until:N" while the wall clock is at most N.
class expiring_admission final : public admission_policy {
 public:
  std::optional<std::string> check(std::string_view token, wire::peer_role,
                                   std::optional<std::int64_t> unix_s) const override {
    if (token.rfind("until:", 0) != 0) {
      return "no invite token";
    }
    return !unix_s || *unix_s <= std::stoll(std::string(token.substr(6)))
               ? std::nullopt
               : std::optional<std::string>("invite token expired");
  }
};

TEST(link_table, open_asks_the_driver_to_connect) {
  recording_context r;
  link_table links(r.ctx);
  const link_id_t id = links.open(link_kind::probe, {"10.0.0.2", 7000});
  const auto connects = recording_context::only<connect_action>(r.take());
  ASSERT_EQ(connects.size(), 1u);
  EXPECT_EQ(connects[0].link, id);
  EXPECT_EQ(connects[0].to, (wire::endpoint{"10.0.0.2", 7000}));
  EXPECT_FALSE(links.at(id).connected);
  EXPECT_EQ(links.at(id).kind, link_kind::probe);
}

TEST(link_table, gate_refuses_a_second_hello_and_another_version) {
  recording_context r;
  link_table links(r.ctx);
  link& l = links.at(links.accept({"10.0.0.2", 5555}));
  std::string refusal;
  wire::hello old = hello_from(7);
  old.version = wire::protocol_version + 1;
  EXPECT_EQ(links.admit(l, std::move(old), refusal), std::error_code(node_errc::version_mismatch));
  EXPECT_FALSE(l.peer_hello);
  EXPECT_FALSE(links.admit(l, hello_from(7), refusal));
  ASSERT_TRUE(l.peer_hello);
  EXPECT_EQ(links.admit(l, hello_from(7), refusal), std::error_code(node_errc::duplicate_hello));
}

TEST(link_table, counts_inbound_and_unadmitted_links_as_they_come_and_go) {
  recording_context r;
  link_table links(r.ctx);
  const link_id_t first = links.accept({"10.0.0.2", 1});
  const link_id_t second = links.accept({"10.0.0.3", 1});
  links.open(link_kind::probe, {"10.0.0.4", 7000});  // ours: not inbound
  EXPECT_EQ(links.inbound_links(), 2u);
  EXPECT_EQ(links.unadmitted_links(), 2u);
  std::string refusal;
  ASSERT_FALSE(links.admit(links.at(first), hello_from(7), refusal));
  EXPECT_EQ(links.unadmitted_links(), 1u);
  links.remove(second);  // never admitted
  EXPECT_EQ(links.inbound_links(), 1u);
  EXPECT_EQ(links.unadmitted_links(), 0u);
  links.remove(first);
  EXPECT_EQ(links.inbound_links(), 0u);
  links.accept({"10.0.0.5", 1});
  links.clear();
  EXPECT_EQ(links.inbound_links(), 0u);
  EXPECT_EQ(links.unadmitted_links(), 0u);
}

TEST(link_table, a_peer_with_our_own_id_is_refused) {
  recording_context r;  // this node is id 100
  link_table links(r.ctx);
  std::string refusal;
  link& l = links.at(links.accept({"10.0.0.2", 1}));
  EXPECT_EQ(links.admit(l, hello_from(100), refusal), std::error_code(node_errc::impostor));
  EXPECT_FALSE(l.peer_hello);
}

TEST(link_table, expiry_bounds_newcomers_by_the_drivers_wall_clock_not_members) {
  node_config config;
  config.admission = std::make_shared<expiring_admission>();
  recording_context r(config);
  r.ctx.set_wall_clock(5'000'000'000);  // Unix 5000 s at the context's now
  link_table links(r.ctx);
  std::string refusal;
  wire::hello hello = hello_from(7);
  hello.token = "until:5001";
  link& l = links.at(links.accept({"10.0.0.2", 1}));
  EXPECT_FALSE(links.admit(l, std::move(hello), refusal));
  EXPECT_FALSE(links.newcomer_refusal(l));
  r.ctx.now += std::chrono::seconds(2);  // the wall clock moves with `now`: 5002
  EXPECT_EQ(links.newcomer_refusal(l), "invite token expired");
  wire::hello member = hello_from(8);
  member.token = "until:5001";  // expired, but a member repairing is let in
  EXPECT_FALSE(links.admit(links.at(links.accept({"10.0.0.3", 1})), std::move(member), refusal));
}

TEST(link_table, a_peer_we_connect_to_must_be_invited_too) {
  node_config config;
  config.admission = std::make_shared<expiring_admission>();
  recording_context r(config);
  link_table links(r.ctx);
  std::string refusal;
  link& probe = links.at(links.open(link_kind::probe, {"10.0.0.2", 7000}));
  EXPECT_EQ(links.admit(probe, hello_from(7), refusal), std::error_code(node_errc::unauthorized));
  EXPECT_EQ(refusal, "no invite token");
  EXPECT_FALSE(probe.peer_hello);
}

TEST(link_table, sweep_heartbeats_idle_links_and_names_silent_ones) {
  recording_context r;
  link_table links(r.ctx);
  const link_id_t quiet = links.accept({"10.0.0.2", 1});
  const link_id_t talking = links.accept({"10.0.0.3", 1});
  std::string refusal;
  links.admit(links.at(quiet), hello_from(2), refusal);
  links.admit(links.at(talking), hello_from(3), refusal);
  r.take();
  r.ctx.now += r.ctx.config.heartbeat_interval;
  links.at(talking).last_heard = r.ctx.now;
  EXPECT_TRUE(links.sweep().empty());
  const auto actions = r.take();
  EXPECT_EQ(recording_context::sent_to(actions, quiet).size(), 1u);  // a heartbeat each
  EXPECT_EQ(recording_context::sent_to(actions, talking).size(), 1u);
  for (const link_id_t id : {quiet, talking}) {
    links.on_written(id, links.at(id).queued_bytes);  // nothing waits for them
  }
  r.ctx.now += r.ctx.config.heartbeat_interval * r.ctx.config.heartbeat_misses;
  links.at(talking).last_heard = r.ctx.now;
  EXPECT_EQ(links.sweep(), std::vector<link_id_t>{quiet});
}

TEST(link_table, a_peer_we_keep_bytes_waiting_for_has_four_times_the_patience) {
  // Its downlink is full: the ACKs of its heartbeats wait behind our bytes.
  recording_context r;
  link_table links(r.ctx);
  const link_id_t narrow = links.accept({"10.0.0.2", 1});
  std::string refusal;
  links.admit(links.at(narrow), hello_from(2), refusal);
  links.send_frame(narrow, std::make_shared<wire::byte_buffer>(20 * 1024));
  const duration usual = r.ctx.config.heartbeat_interval * r.ctx.config.heartbeat_misses;
  r.ctx.now += usual + 1ms;
  EXPECT_TRUE(links.sweep().empty());
  r.ctx.now += 3 * usual;
  EXPECT_EQ(links.sweep(), std::vector<link_id_t>{narrow});
}

TEST(link_table, a_warm_standby_link_carries_heartbeats_seldom_toward_the_holder) {
  recording_context r;
  link_table links(r.ctx);
  const auto& c = r.ctx.config;
  std::string refusal;
  // The child's side: it dialled its standby, which feeds it Haves.
  const link_id_t standby = links.open(link_kind::standby, {"10.0.0.2", 7000});
  links.admit(links.at(standby), hello_from(2), refusal);
  links.at(standby).connected = true;  // as the node marks it
  // The holder's side: a standby child it accepted.
  const link_id_t standby_child = links.accept({"10.0.0.3", 1});
  links.admit(links.at(standby_child), hello_from(3), refusal);
  links.at(standby_child).slow_peer = true;
  for (const link_id_t id : {standby, standby_child}) {
    links.at(id).last_sent = r.ctx.now;
  }
  r.take();
  // The child heartbeats its standby once a standby interval, not before.
  r.ctx.now += c.heartbeat_interval;
  links.at(standby).last_heard = r.ctx.now;
  links.at(standby_child).last_heard = r.ctx.now;
  EXPECT_TRUE(links.sweep().empty());
  auto actions = r.take();
  EXPECT_TRUE(recording_context::sent_to(actions, standby).empty());
  EXPECT_EQ(recording_context::sent_to(actions, standby_child).size(), 1u);  // the holder: fast
  links.on_written(standby_child, links.at(standby_child).queued_bytes);
  r.ctx.now += c.standby_heartbeat_interval;
  links.at(standby).last_heard = r.ctx.now;
  EXPECT_TRUE(links.sweep().empty());
  EXPECT_EQ(recording_context::sent_to(r.take(), standby).size(), 1u);
  links.on_written(standby, links.at(standby).queued_bytes);
  // The holder lets its standby child miss as many of those; the child
  // still wants to hear its standby every heartbeat_interval.
  r.ctx.now += c.heartbeat_interval * c.heartbeat_misses + std::chrono::milliseconds(1);
  EXPECT_EQ(links.sweep(), std::vector<link_id_t>{standby});
  links.on_written(standby_child, links.at(standby_child).queued_bytes);
  r.ctx.now =
      links.at(standby_child).last_heard + c.standby_heartbeat_interval * c.heartbeat_misses;
  EXPECT_EQ(links.sweep(), std::vector<link_id_t>{standby});
  links.on_written(standby_child, links.at(standby_child).queued_bytes);
  r.ctx.now += std::chrono::milliseconds(1);
  EXPECT_EQ(links.sweep(), (std::vector<link_id_t>{standby, standby_child}));
}

TEST(link_table, a_link_whose_queue_passes_the_bound_is_named_once) {
  node_config config;
  config.max_pending_bytes = 64 * 1024;
  recording_context r(config);
  link_table links(r.ctx);
  const link_id_t id = links.accept({"10.0.0.2", 1});
  const auto frame = std::make_shared<wire::byte_buffer>(40 * 1024);
  links.send_frame(id, frame);
  links.on_written(id, frame->size());  // the peer reads
  links.send_frame(id, frame);
  EXPECT_TRUE(links.take_overflowed().empty());
  links.send_frame(id, frame);  // 80 KiB queued: it stopped reading
  links.send_frame(id, frame);
  EXPECT_EQ(links.take_overflowed(), std::vector<link_id_t>{id});
  EXPECT_TRUE(links.take_overflowed().empty());
}

TEST(link_table, the_send_window_is_what_the_link_writes_while_bytes_wait) {
  recording_context r;
  link_table links(r.ctx);
  const link_id_t id = links.accept({"10.0.0.2", 1});
  link& l = links.at(id);
  EXPECT_EQ(links.send_window(l), r.ctx.config.initial_send_window);
  // 150 kbit/s: 1875 bytes written every 100 ms while 20 KiB wait.
  links.send_frame(id, std::make_shared<wire::byte_buffer>(20 * 1024));
  for (int i = 0; i < 20; ++i) {
    r.ctx.now += 100ms;
    links.on_written(id, 1875);
  }
  EXPECT_EQ(links.send_window(l), r.ctx.config.min_send_window);  // 4.7 KB in 250 ms
  // Idle time between writes of an empty queue is not the link's pace.
  links.on_written(id, l.queued_bytes);
  r.ctx.now += 10s;
  links.send_frame(id, std::make_shared<wire::byte_buffer>(100));
  links.on_written(id, 100);
  EXPECT_EQ(links.send_window(l), r.ctx.config.min_send_window);
  // 80 Mbit/s: 100 kB every 10 ms.
  links.send_frame(id, std::make_shared<wire::byte_buffer>(4 << 20));
  for (int i = 0; i < 40; ++i) {
    r.ctx.now += 10ms;
    links.on_written(id, 100'000);
  }
  EXPECT_NEAR(static_cast<double>(links.send_window(l)), 2.5e6, 0.1e6);
}

TEST(link_table, chunks_held_in_the_engine_count_toward_the_bound) {
  node_config config;
  config.max_pending_bytes = 64 * 1024;
  recording_context r(config);
  link_table links(r.ctx);
  const link_id_t id = links.accept({"10.0.0.2", 1});
  links.send_frame(id, std::make_shared<wire::byte_buffer>(40 * 1024));
  links.set_held(id, links.at(id), 20 * 1024);
  EXPECT_TRUE(links.take_overflowed().empty());
  links.set_held(id, links.at(id), 30 * 1024);
  EXPECT_EQ(links.take_overflowed(), std::vector<link_id_t>{id});
}

TEST(link_table, close_asks_the_driver_and_aborts_a_link_that_stopped_reading) {
  recording_context r;
  link_table links(r.ctx);
  const link_id_t slow = links.accept({"10.0.0.2", 1});
  const link_id_t done = links.accept({"10.0.0.3", 1});
  links.close(slow, node_errc::send_queue_full);
  links.close(done, node_errc::probe_done);
  const auto closes = recording_context::only<close_action>(r.take());
  ASSERT_EQ(closes.size(), 2u);
  EXPECT_TRUE(closes[0].abort);
  EXPECT_FALSE(closes[1].abort);
  EXPECT_TRUE(links.contains(slow));  // the caller removes it
  EXPECT_TRUE(links.remove(slow));
  EXPECT_FALSE(links.contains(slow));
}

}  // namespace
}  // namespace treecast::core
