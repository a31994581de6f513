// peer_claims: a probed peer's place is believed only as far as it proves it.
#include "core/peer_claims.hpp"

#include "core_test_support.hpp"

namespace treecast::core {
namespace {

using testing::id_of;

class fake_signer final : public chunk_signer {
 public:
  std::string sign(std::string_view body) const override { return "good:" + std::string(body); }
};

class fake_verifier final : public chunk_verifier {
 public:
  bool verify(std::string_view body, std::string_view signature) const override {
    return signature == "good:" + std::string(body);
  }
};

// The stream whose key starts with peer 1's id.
std::string stream_of_root() {
  const wire::node_id_t root = id_of(1);
  return std::string(root.begin(), root.end()) + "key";
}

wire::pong pong_of(std::uint32_t depth, std::vector<wire::node_id_t> path,
                   std::uint32_t free_slots = 2) {
  wire::pong p;
  p.nonce = 77;
  p.attached = true;
  p.depth = depth;
  p.free_slots = free_slots;
  p.path = std::move(path);
  return p;
}

TEST(peer_claims, the_roots_id_is_its_stream_keys_first_bytes) {
  EXPECT_EQ(root_node_id(stream_of_root()), id_of(1));
}

TEST(peer_claims, a_path_must_lead_from_this_streams_root_to_the_sender) {
  const peer_claims claims(stream_of_root(), nullptr);
  EXPECT_FALSE(claims.check(pong_of(2, {id_of(1), id_of(2), id_of(3)}), 77, id_of(3)));
  EXPECT_TRUE(claims.check(pong_of(1, {id_of(1), id_of(2), id_of(3)}), 77, id_of(3)));  // depth
  EXPECT_TRUE(claims.check(pong_of(1, {id_of(1), id_of(2)}), 77, id_of(3)));  // not its own
  EXPECT_TRUE(claims.check(pong_of(1, {id_of(9), id_of(3)}), 77, id_of(3)));  // other root
  EXPECT_TRUE(claims.check(pong_of(1, {}), 77, id_of(3)));
  EXPECT_TRUE(claims.check(pong_of(1, {id_of(1), id_of(3)}, 50000), 77, id_of(3)));
  wire::pong detached;
  EXPECT_FALSE(claims.check(detached, 77, id_of(3)));  // claims nothing
}

TEST(peer_claims, depth_0_needs_the_stream_keys_signature_over_the_nonce) {
  const peer_claims claims(stream_of_root(), std::make_shared<fake_verifier>());
  wire::pong root = pong_of(0, {id_of(1)});
  EXPECT_TRUE(claims.check(root, 77, id_of(1)));  // unsigned
  root.root_signature = sign_root_proof(fake_signer(), 76, id_of(1));
  EXPECT_TRUE(claims.check(root, 77, id_of(1)));  // another ping's proof (a replay)
  root.root_signature = sign_root_proof(fake_signer(), 77, id_of(1));
  EXPECT_FALSE(claims.check(root, 77, id_of(1)));
}

}  // namespace
}  // namespace treecast::core
