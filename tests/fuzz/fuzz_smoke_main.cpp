// Runs the fuzz target without libFuzzer (any compiler): seeds made from real
// frames of every message kind, then a fixed number of seeded mutations
// (bit flips, truncation, splices, length-prefix edits). Bounded in count;
// fails only by crashing or by a sanitizer report.
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include "wire/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

using treecast::wire::byte_buffer;

std::vector<byte_buffer> seeds() {
  using namespace treecast::wire;
  std::vector<message> messages;
  hello h;
  h.node_id[0] = 1;
  h.listen_port = 7001;
  h.token = "token";
  messages.push_back(h);
  messages.push_back(join_request{3});
  messages.push_back(join_accept{0, {node_id_t{1}}, {{"10.0.0.1", 7000}}, {{"10.0.0.2", 7002}}});
  messages.push_back(join_redirect{"full", {{"10.0.0.3", 7003}}});
  chunk c;
  c.stream_id = "s";
  c.seq = 5;
  c.flags = chunk_flag_keyframe;
  c.payload = std::string(376, '\x47');
  c.body = encode_chunk_body(c, c);
  c.signature = std::string(64, 's');
  messages.push_back(c);
  messages.push_back(heartbeat{});
  messages.push_back(leave{"bye", {{"10.0.0.4", 7004}}});
  messages.push_back(ping{9});
  messages.push_back(pong{9, true, 1, 2, {node_id_t{1}}});
  messages.push_back(path_update{2, {node_id_t{1}, node_id_t{2}}, {}, {}});
  messages.push_back(report{3, 4, {{node_id_t{7}, {"10.0.0.7", 7007}, 2, 1, "x", {}}}, 1});
  messages.push_back(candidates_request{"paris"});
  messages.push_back(candidates{{{node_id_t{8}, {"", 7008}, 1, 2, "", {}}}});
  std::vector<byte_buffer> out;
  for (std::uint8_t side = 0; side < 2; ++side) {
    // A conversation: hello first, then each message.
    byte_buffer input{side};
    for (const auto& m : messages) {
      const auto frame = encode_frame(m);
      input.insert(input.end(), frame->begin(), frame->end());
      out.push_back(input);
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const long rounds = argc > 1 ? std::atol(argv[1]) : 20000;
  std::mt19937_64 random(20261122);
  const auto corpus = seeds();
  for (const auto& s : corpus) {
    LLVMFuzzerTestOneInput(s.data(), s.size());
  }
  for (long i = 0; i < rounds; ++i) {
    byte_buffer input = corpus[random() % corpus.size()];
    const int edits = 1 + static_cast<int>(random() % 8);
    for (int e = 0; e < edits && !input.empty(); ++e) {
      const std::size_t at = random() % input.size();
      switch (random() % 4) {
        case 0:  // flip a bit
          input[at] ^= static_cast<std::uint8_t>(1u << (random() % 8));
          break;
        case 1:  // truncate
          input.resize(at + 1);
          break;
        case 2: {  // splice another seed's tail
          const auto& other = corpus[random() % corpus.size()];
          input.insert(input.begin() + static_cast<std::ptrdiff_t>(at),
                       other.begin() + static_cast<std::ptrdiff_t>(other.size() / 2), other.end());
          break;
        }
        default:  // random byte (hits length prefixes too)
          input[at] = static_cast<std::uint8_t>(random());
          break;
      }
    }
    LLVMFuzzerTestOneInput(input.data(), input.size());
  }
  std::printf("fuzz smoke: %zu seeds, %ld mutated inputs, no crash\n", corpus.size(), rounds);
  return 0;
}
