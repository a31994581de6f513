// A blocking HTTP/1.1 GET (Connection: close; no chunked replies) against a loopback port, bounded
// in time, for tests of /metrics, /status and the dashboard's API.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace treecast::testing {

struct http_reply {
  int status = 0;
  std::string headers;
  std::string body;
};

// nullopt when nothing answered within 5 s.
std::optional<http_reply> http_get(std::uint16_t port, const std::string& path);
// The same against an IPv4 `host` (the lab's peers in network namespaces).
std::optional<http_reply> http_get(const std::string& host, std::uint16_t port,
                                   const std::string& path);

// The value of the Prometheus sample `name` (exact, with labels if any) in
// `text`; nullopt when absent.
std::optional<double> prometheus_value(const std::string& text, const std::string& name);

}  // namespace treecast::testing
