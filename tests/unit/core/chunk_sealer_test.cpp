// chunk_sealer: numbering, flags, encryption before signing, one frame.
#include "core/chunk_sealer.hpp"

#include "core_test_support.hpp"

namespace treecast::core {
namespace {

class tagging_signer final : public chunk_signer {
 public:
  std::string sign(std::string_view body) const override {
    return "sig:" + std::to_string(body.size());
  }
};

class reversing_encryptor final : public payload_encryptor {
 public:
  std::string seal(std::string_view plain, std::string& nonce) const override {
    nonce = "n";
    return std::string(plain.rbegin(), plain.rend());
  }
};

TEST(chunk_sealer, numbers_chunks_in_order_from_the_first_sequence) {
  chunk_sealer sealer("stream", 1000);
  EXPECT_EQ(sealer.seal("a", 1, true).seq, 1000u);
  const wire::chunk second = sealer.seal("b", 2, false);
  EXPECT_EQ(second.seq, 1001u);
  EXPECT_EQ(second.flags, 0u);
  EXPECT_EQ(second.payload, "b");
  EXPECT_TRUE(second.signature.empty());
  EXPECT_EQ(sealer.next_seq(), 1002u);
}

TEST(chunk_sealer, encrypts_then_signs_the_body_and_encodes_the_frame_once) {
  chunk_sealer sealer("stream", 7, std::make_shared<tagging_signer>(),
                      std::make_shared<reversing_encryptor>());
  const wire::chunk c = sealer.seal("abc", 123, true);
  EXPECT_EQ(c.flags, wire::chunk_flag_keyframe | wire::chunk_flag_encrypted);
  EXPECT_EQ(c.payload, "cba");
  EXPECT_EQ(c.nonce, "n");
  EXPECT_EQ(c.signature, "sig:" + std::to_string(c.body.size()));
  ASSERT_TRUE(c.frame);
  wire::message decoded;
  ASSERT_FALSE(wire::decode_frame(c.frame, decoded));
  const auto& back = std::get<wire::chunk>(decoded);
  EXPECT_EQ(back.seq, 7u);
  EXPECT_EQ(back.capture_time_us, 123u);
  EXPECT_EQ(back.stream_id, "stream");
  EXPECT_EQ(back.body, c.body);  // what the signature covers travels verbatim
  EXPECT_EQ(back.signature, c.signature);
}

}  // namespace
}  // namespace treecast::core
