// TLS 1.3 for every peer link. Each process makes a fresh Ed25519 key and a
// self-signed certificate at start: links are encrypted and integrity
// protected; who may join is decided by invite tokens (core::admission_policy),
// not by certificates, so peers do not verify each other's certificate.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <cstddef>
#include <memory>

namespace treecast::runtime {

// TLS records on a link paced for a narrow child (tls_context.cpp says why);
// 16 KiB on every other link.
inline constexpr std::size_t narrow_link_record_bytes = 4096;

// A context usable for both ends of a link (client and server), TLS 1.3
// only. Throws std::runtime_error when OpenSSL cannot make the key or
// certificate.
std::shared_ptr<boost::asio::ssl::context> make_tls_context();

}  // namespace treecast::runtime
