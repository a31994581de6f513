#include "runtime/ed25519.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>

namespace treecast::runtime {
namespace {

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* key) {
  return {key, EVP_PKEY_free};
}

constexpr std::size_t public_key_bytes = 32;
constexpr std::size_t signature_bytes = 64;

}  // namespace

ed25519_key::ed25519_key(EVP_PKEY* key) : key_(own(key)) {}

ed25519_key ed25519_key::generate() {
  EVP_PKEY* key = nullptr;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
  const bool ok = ctx && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_keygen(ctx, &key) == 1;
  EVP_PKEY_CTX_free(ctx);
  if (!ok) {
    throw std::runtime_error("cannot generate an Ed25519 key");
  }
  return ed25519_key(key);
}

ed25519_key ed25519_key::load_or_create(const std::string& path) {
  if (std::FILE* in = std::fopen(path.c_str(), "r")) {
    EVP_PKEY* key = PEM_read_PrivateKey(in, nullptr, nullptr, nullptr);
    std::fclose(in);
    if (!key || EVP_PKEY_id(key) != EVP_PKEY_ED25519) {
      EVP_PKEY_free(key);
      throw std::runtime_error(path + " is not an Ed25519 private key in PEM");
    }
    return ed25519_key(key);
  }
  ed25519_key created = generate();
  const std::filesystem::path file(path);
  if (file.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    chmod(file.parent_path().c_str(), 0700);
  }
  const mode_t old_mask = umask(077);
  std::FILE* out = std::fopen(path.c_str(), "w");
  umask(old_mask);
  if (!out) {
    throw std::runtime_error("cannot write the stream key to " + path);
  }
  const bool written =
      PEM_write_PrivateKey(out, created.key_.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  std::fclose(out);
  if (!written) {
    throw std::runtime_error("cannot write the stream key to " + path);
  }
  return created;
}

std::string ed25519_key::public_key() const {
  std::string out(public_key_bytes, '\0');
  std::size_t size = out.size();
  if (EVP_PKEY_get_raw_public_key(key_.get(), reinterpret_cast<unsigned char*>(out.data()),
                                  &size) != 1 ||
      size != public_key_bytes) {
    throw std::runtime_error("cannot read the Ed25519 public key");
  }
  return out;
}

std::string ed25519_key::sign(std::string_view message) const {
  std::string signature(signature_bytes, '\0');
  std::size_t size = signature.size();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      ctx && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, key_.get()) == 1 &&
      EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &size,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) {
    throw std::runtime_error("Ed25519 signing failed");
  }
  return signature;
}

ed25519_verifier::ed25519_verifier(std::string_view public_key) {
  if (public_key.size() != public_key_bytes) {
    throw std::invalid_argument("an Ed25519 public key is 32 bytes");
  }
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(public_key.data()),
      public_key.size());
  if (!key) {
    throw std::invalid_argument("not an Ed25519 public key");
  }
  key_ = own(key);
  initialized_ = {EVP_MD_CTX_new(), EVP_MD_CTX_free};
  if (!initialized_ ||
      EVP_DigestVerifyInit(initialized_.get(), nullptr, nullptr, nullptr, key_.get()) != 1) {
    throw std::runtime_error("cannot set up Ed25519 verification");
  }
}

bool ed25519_verifier::verify(std::string_view body, std::string_view signature) const {
  if (signature.size() != signature_bytes) {
    return false;
  }
  // A copy of the context initialised once: EVP_DigestVerifyInit looks the
  // algorithm up in OpenSSL's provider tables every time, a quarter of a
  // verification's cost in a relay (the tables are cold 30 times a second).
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      ctx && EVP_MD_CTX_copy_ex(ctx, initialized_.get()) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(body.data()),
                       body.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::string from_hex(std::string_view hex) {
  auto value = [](char c) -> int {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  };
  if (hex.size() % 2 != 0) {
    throw std::invalid_argument("odd number of hex digits");
  }
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = value(hex[i]);
    const int lo = value(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      throw std::invalid_argument("not a hex digit");
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

}  // namespace treecast::runtime
