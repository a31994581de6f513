// Text forms of peer addresses: "HOST:PORT", "[V6]:PORT" and invite links
// "treecast://HOST:PORT".
#pragma once

#include <optional>
#include <string>

#include "wire/messages.hpp"

namespace treecast::runtime {

// Parses "HOST:PORT", "[V6ADDR]:PORT" or "treecast://HOST:PORT[/...]".
// Returns nullopt when the text is none of these or the port is not 1-65535.
// `why`, when given, receives what is wrong with `text` when it is not one.
std::optional<wire::endpoint> parse_address(const std::string& text, std::string* why = nullptr);

// Whether `host` is the any-address a listener binds to reach every
// interface ("0.0.0.0" or "::"), which names no one machine.
bool is_wildcard_host(const std::string& host);

// Like parse_address, but port 0 is allowed: an address to listen on, where
// 0 asks for any free port.
std::optional<wire::endpoint> parse_listen_address(const std::string& text,
                                                   std::string* why = nullptr);

// "host:port", with brackets around an IPv6 host.
std::string format_address(const wire::endpoint& e);

// The invite link for a tree whose entry point is `e`, carrying the stream
// id (hex of the broadcaster's public key) and an invite token (hex):
// "treecast://HOST:PORT/?stream=HEX&token=HEX".
std::string format_link(const wire::endpoint& e, const std::string& stream_hex,
                        const std::string& token_hex);

// The value of query parameter `name` in a link ("...?a=1&stream=ab"), or
// nullopt.
std::optional<std::string> link_parameter(const std::string& link, const std::string& name);

// Percent-encoding of a link parameter's value (RFC 3986 unreserved
// characters stay as they are), and back; a malformed escape is kept as is.
std::string percent_encode(const std::string& text);
std::string percent_decode(const std::string& text);

// The stream's title carried in a link (`title=`, set by the broadcaster's
// --title), or `fallback` when the link has none.
std::string link_title(const std::string& link, const std::string& fallback);

}  // namespace treecast::runtime
