#include "runtime/tls_context.hpp"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <stdexcept>

namespace treecast::runtime {
namespace {

std::unique_ptr<X509, decltype(&X509_free)> self_signed(EVP_PKEY* key) {
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!cert) {
    throw std::runtime_error("cannot allocate a certificate");
  }
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 60L * 60 * 24 * 365);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("treecast peer"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (X509_sign(cert.get(), key, nullptr) == 0) {  // Ed25519: no separate digest
    throw std::runtime_error("cannot sign the TLS certificate");
  }
  return cert;
}

}  // namespace

std::shared_ptr<boost::asio::ssl::context> make_tls_context() {
  namespace ssl = boost::asio::ssl;
  auto context = std::make_shared<ssl::context>(ssl::context::tls);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_3_VERSION);
  // Records of 16 KiB (TLS's largest), but 4 KiB on a link paced for a
  // narrow child (link_connection::pace): a record is read only once whole,
  // and on a narrow downlink (150 kbit/s) a 16 KiB one takes 0.9 s, longer
  // than the silence after which a child looks for another parent; 4 KiB
  // takes 0.2 s. Everywhere else the larger records cost a forwarding relay
  // less CPU: treecast-bench fanout, five runs each way alternately, median
  // CPU s per Gbit 0.47 -> 0.43 at 10 children, 0.25 -> 0.23 at 50.
  SSL_CTX_set_max_send_fragment(native, 16384);
  // No session tickets: peers never resume a session (each link is new and
  // admitted by its Hello), so tickets would be bytes and CPU for nothing.
  SSL_CTX_set_num_tickets(native, 0);

  EVP_PKEY* raw_key = nullptr;
  EVP_PKEY_CTX* key_ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
  const bool made =
      key_ctx && EVP_PKEY_keygen_init(key_ctx) == 1 && EVP_PKEY_keygen(key_ctx, &raw_key) == 1;
  EVP_PKEY_CTX_free(key_ctx);
  if (!made) {
    throw std::runtime_error("cannot generate the TLS key");
  }
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(raw_key, EVP_PKEY_free);
  const auto cert = self_signed(key.get());
  if (SSL_CTX_use_certificate(native, cert.get()) != 1 ||
      SSL_CTX_use_PrivateKey(native, key.get()) != 1) {
    throw std::runtime_error("cannot install the TLS certificate");
  }
  context->set_verify_mode(ssl::verify_none);  // admission is by invite token
  return context;
}

}  // namespace treecast::runtime
