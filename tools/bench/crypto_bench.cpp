#include "crypto_bench.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "runtime/ed25519.hpp"

namespace treecast::bench {
namespace {

using clock_type = std::chrono::steady_clock;

// Median seconds per call of `work`, over batches filling `budget` seconds.
double seconds_per_call(const std::function<void()>& work, double budget) {
  std::vector<double> per_call;
  const auto end = clock_type::now() + std::chrono::duration<double>(budget);
  while (clock_type::now() < end || per_call.size() < 5) {
    const int batch = 20;
    const auto start = clock_type::now();
    for (int i = 0; i < batch; ++i) {
      work();
    }
    per_call.push_back(std::chrono::duration<double>(clock_type::now() - start).count() / batch);
  }
  std::nth_element(per_call.begin(), per_call.begin() + per_call.size() / 2, per_call.end());
  return per_call[per_call.size() / 2];
}

// AES-256-GCM encryption of `plain` with a fresh IV (as each chunk would get).
void aes_gcm_seal(EVP_CIPHER_CTX* ctx, const unsigned char* key, const std::string& plain,
                  std::string& out) {
  unsigned char iv[12] = {1, 2, 3};
  int n = 0;
  EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, key, iv);
  out.resize(plain.size() + 16);
  EVP_EncryptUpdate(ctx, reinterpret_cast<unsigned char*>(out.data()), &n,
                    reinterpret_cast<const unsigned char*>(plain.data()),
                    static_cast<int>(plain.size()));
  int tail = 0;
  EVP_EncryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()) + n, &tail);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out.data() + n + tail);
}

}  // namespace

int run_crypto_bench(const crypto_options& o) {
  const double chunks_per_s = 1000.0 / o.chunk_ms;
  const auto chunk_bytes = static_cast<std::size_t>(o.bitrate_mbps * 1e6 / 8 / chunks_per_s);
  const std::string body(chunk_bytes, '\x47');

  const auto key = runtime::ed25519_key::generate();
  const runtime::ed25519_verifier verifier(key.public_key());
  const std::string signature = key.sign(body);
  bool all_ok = true;
  const double verify_s =
      seconds_per_call([&] { all_ok = verifier.verify(body, signature) && all_ok; }, o.seconds);
  const double sign_s = seconds_per_call([&] { (void)key.sign(body); }, o.seconds);

  unsigned char aes_key[32] = {7};
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  std::string sealed;
  const double aes_s =
      seconds_per_call([&] { aes_gcm_seal(ctx, aes_key, body, sealed); }, o.seconds);
  EVP_CIPHER_CTX_free(ctx);
  if (!all_ok) {
    std::fprintf(stderr, "treecast-bench crypto: a signature did not verify\n");
    return 1;
  }

  const double chunk_mbit = static_cast<double>(chunk_bytes) * 8 / 1e6;
  const double verify_core = verify_s * chunks_per_s;
  const double sign_core = sign_s * chunks_per_s;
  const double aes_s_per_mbit = aes_s / chunk_mbit;
  const double aes_core = aes_s_per_mbit * o.bitrate_mbps;
  std::printf("stream %.1f Mbit/s in %d ms chunks of %zu bytes (%.1f chunks/s)\n", o.bitrate_mbps,
              o.chunk_ms, chunk_bytes, chunks_per_s);
  std::printf("%-22s %14s %22s\n", "operation", "us per chunk", "fraction of one core");
  std::printf("%-22s %14.1f %22.6f\n", "ed25519 verify", verify_s * 1e6, verify_core);
  std::printf("%-22s %14.1f %22.6f\n", "ed25519 sign", sign_s * 1e6, sign_core);
  std::printf("%-22s %14.1f %22.6f   (%.1f us per Mbit)\n", "aes-256-gcm seal", aes_s * 1e6,
              aes_core, aes_s_per_mbit * 1e6);
  if (o.json) {
    std::printf(
        "{\"bitrate_mbps\": %.3f, \"chunk_bytes\": %zu, \"chunks_per_s\": %.3f, "
        "\"ed25519_verify_us_per_chunk\": %.3f, \"ed25519_verify_core_fraction\": %.8f, "
        "\"ed25519_sign_us_per_chunk\": %.3f, \"ed25519_sign_core_fraction\": %.8f, "
        "\"aes_gcm_us_per_mbit\": %.3f, \"aes_gcm_core_fraction\": %.8f}\n",
        o.bitrate_mbps, chunk_bytes, chunks_per_s, verify_s * 1e6, verify_core, sign_s * 1e6,
        sign_core, aes_s_per_mbit * 1e6, aes_core);
  }
  return 0;
}

}  // namespace treecast::bench
