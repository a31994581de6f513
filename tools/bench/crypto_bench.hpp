// treecast-bench crypto: what a peer spends on verifying chunks (Ed25519) and
// on AES-256-GCM (the end-to-end payload cipher), per chunk and per Mbit, as
// a fraction of one core at the stream's bitrate.
#pragma once

namespace treecast::bench {

struct crypto_options {
  double bitrate_mbps = 2.0;  // the stream
  int chunk_ms = 200;         // capture time per chunk
  double seconds = 2.0;       // measuring time per primitive
  bool json = false;
};

int run_crypto_bench(const crypto_options& options);

}  // namespace treecast::bench
