// forwarder: which chunks are believed, the window's duplicates and gaps,
// starvation.
#include "core/forwarder.hpp"

#include "core_test_support.hpp"

namespace treecast::core {
namespace {

using namespace std::chrono_literals;
using testing::make_chunk;
using testing::recording_context;
using testing::share;

// Accepts only the signature "good".
class fake_verifier final : public chunk_verifier {
 public:
  bool verify(std::string_view, std::string_view signature) const override {
    return signature == "good";
  }
};

TEST(forwarder, only_this_streams_signed_chunks_pass) {
  node_config config;
  config.stream_id = "mine";
  config.verifier = std::make_shared<fake_verifier>();
  recording_context r(config);
  const forwarder f(r.ctx);
  wire::chunk c = make_chunk(1);
  c.stream_id = "mine";
  c.signature = "good";
  EXPECT_EQ(f.check(c), forwarder::verdict::good);
  c.signature = "bad";
  EXPECT_EQ(f.check(c), forwarder::verdict::bad_signature);
  c.stream_id = "theirs";
  c.signature = "good";
  EXPECT_EQ(f.check(c), forwarder::verdict::other_stream);
}

TEST(forwarder, duplicates_and_old_chunks_stop_and_gaps_are_counted) {
  recording_context r;
  forwarder f(r.ctx);
  EXPECT_TRUE(f.accept(share(make_chunk(100))));
  EXPECT_FALSE(f.accept(share(make_chunk(100))));
  EXPECT_EQ(r.ctx.stats.get(counter::chunks_duplicate), 1u);
  EXPECT_TRUE(f.accept(share(make_chunk(104))));  // 101..103 never came
  EXPECT_EQ(r.ctx.stats.get(counter::chunks_missed), 3u);
  EXPECT_TRUE(f.accept(share(make_chunk(102))));  // late, filled: one gap fewer
  EXPECT_EQ(r.ctx.stats.get(counter::chunks_missed), 2u);
  EXPECT_FALSE(f.accept(share(make_chunk(1))));  // before the window
  EXPECT_EQ(r.ctx.stats.get(counter::chunks_too_old), 1u);
  EXPECT_EQ(r.ctx.stats.get(counter::chunks_received), 3u);
}

TEST(forwarder, a_parent_silent_past_the_timeout_starves_us) {
  recording_context r;
  forwarder f(r.ctx);
  EXPECT_FALSE(f.starvation_deadline(true));  // nothing to starve of yet
  f.accept(share(make_chunk(1)));
  EXPECT_FALSE(f.starvation_deadline(false));
  const time_point due = *f.starvation_deadline(true);
  r.ctx.now = due - 2ms;
  EXPECT_FALSE(f.starving(true));
  r.ctx.now = due;
  EXPECT_TRUE(f.starving(true));
  EXPECT_FALSE(f.starving(false));
  EXPECT_GT(f.silent_for(), r.ctx.config.starvation_timeout);
  f.forget_last_chunk();
  EXPECT_FALSE(f.starving(true));
}

}  // namespace
}  // namespace treecast::core
