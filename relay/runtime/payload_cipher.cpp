#include "runtime/payload_cipher.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>

namespace treecast::runtime {
namespace {

constexpr int tag_bytes = 16;

using cipher_ctx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

payload_cipher::payload_cipher(std::string key) : key_(std::move(key)) {
  if (key_.size() != key_bytes) {
    throw std::invalid_argument("a content key is 32 bytes");
  }
}

std::string payload_cipher::generate_key() {
  std::string key(key_bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), key_bytes) != 1) {
    throw std::runtime_error("no randomness for the content key");
  }
  return key;
}

std::string payload_cipher::load_or_create_key(const std::string& path) {
  {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      std::string key((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (key.size() != key_bytes) {
        throw std::runtime_error(path + " is not a 32-byte content key");
      }
      return key;
    }
  }
  const std::string key = generate_key();
  const mode_t old_mask = umask(077);
  std::FILE* out = std::fopen(path.c_str(), "wb");
  umask(old_mask);
  if (!out || std::fwrite(key.data(), 1, key.size(), out) != key.size()) {
    if (out) {
      std::fclose(out);
    }
    throw std::runtime_error("cannot write the content key to " + path);
  }
  std::fclose(out);
  return key;
}

std::string payload_cipher::seal(std::string_view plain, std::string& nonce) const {
  nonce.assign(nonce_bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), nonce_bytes) != 1) {
    throw std::runtime_error("no randomness for a nonce");
  }
  cipher_ctx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  std::string out(plain.size() + tag_bytes, '\0');
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  int n = 0;
  int tail = 0;
  const bool ok =
      ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(key_), bytes(nonce)) &&
      EVP_EncryptUpdate(ctx.get(), dst, &n, bytes(plain), static_cast<int>(plain.size())) &&
      EVP_EncryptFinal_ex(ctx.get(), dst + n, &tail) &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, tag_bytes, dst + n + tail);
  if (!ok) {
    throw std::runtime_error("AES-256-GCM encryption failed");
  }
  return out;
}

std::optional<std::string> payload_cipher::open(std::string_view sealed,
                                                std::string_view nonce) const {
  if (sealed.size() < tag_bytes || nonce.size() != nonce_bytes) {
    return std::nullopt;
  }
  const std::size_t length = sealed.size() - tag_bytes;
  cipher_ctx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  std::string plain(length, '\0');
  auto* dst = reinterpret_cast<unsigned char*>(plain.data());
  int n = 0;
  int tail = 0;
  std::string tag(sealed.substr(length));
  const bool ok =
      ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(key_), bytes(nonce)) &&
      EVP_DecryptUpdate(ctx.get(), dst, &n, bytes(sealed), static_cast<int>(length)) &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, tag_bytes, tag.data()) &&
      EVP_DecryptFinal_ex(ctx.get(), dst + n, &tail) == 1;
  if (!ok) {
    return std::nullopt;
  }
  return plain;
}

}  // namespace treecast::runtime
