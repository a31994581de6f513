// TLS 1.3 for every peer link. Each process makes a fresh Ed25519 key and a
// self-signed certificate at start: links are encrypted and integrity
// protected; who may join is decided by invite tokens (core::admission_policy),
// not by certificates, so peers do not verify each other's certificate.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>

namespace treecast::runtime {

// A context usable for both ends of a link (client and server), TLS 1.3
// only. Throws std::runtime_error when OpenSSL cannot make the key or
// certificate.
std::shared_ptr<boost::asio::ssl::context> make_tls_context();

}  // namespace treecast::runtime
