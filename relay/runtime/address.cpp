#include "runtime/address.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace treecast::runtime {

std::optional<wire::endpoint> parse_address(const std::string& text, std::string* why) {
  const auto fail = [why](std::string reason) -> std::optional<wire::endpoint> {
    if (why) {
      *why = std::move(reason);
    }
    return std::nullopt;
  };
  std::string rest = text;
  static const std::string scheme = "treecast://";
  if (rest.rfind(scheme, 0) == 0) {
    rest = rest.substr(scheme.size());
    if (const auto slash = rest.find('/'); slash != std::string::npos) {
      rest = rest.substr(0, slash);
    }
  }
  std::string host;
  std::string port_text;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
      return fail("an IPv6 address wants [HOST]:PORT");
    }
    host = rest.substr(1, close - 1);
    port_text = rest.substr(close + 2);
  } else {
    const auto colon = rest.rfind(':');
    if (colon == std::string::npos || rest.find(':') != colon) {
      return fail("no HOST:PORT in it");
    }
    host = rest.substr(0, colon);
    port_text = rest.substr(colon + 1);
  }
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (host.empty()) {
    return fail("the host is empty");
  }
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535) {
    return fail("port '" + port_text + "' is not a number from 1 to 65535");
  }
  return wire::endpoint{host, static_cast<std::uint16_t>(port)};
}

bool is_wildcard_host(const std::string& host) {
  return host == "0.0.0.0" || host == "::";
}

std::optional<wire::endpoint> parse_listen_address(const std::string& text, std::string* why) {
  if (text.size() > 2 && text.ends_with(":0")) {
    auto any_port = parse_address(text.substr(0, text.size() - 1) + "1", why);
    if (any_port) {
      any_port->port = 0;
    }
    return any_port;
  }
  return parse_address(text, why);
}

std::string format_address(const wire::endpoint& e) {
  const bool v6 = e.host.find(':') != std::string::npos;
  return (v6 ? "[" + e.host + "]" : e.host) + ":" + std::to_string(e.port);
}

std::string format_link(const wire::endpoint& e, const std::string& stream_hex,
                        const std::string& token_hex) {
  return "treecast://" + format_address(e) + "/?stream=" + stream_hex + "&token=" + token_hex;
}

std::optional<std::string> link_parameter(const std::string& link, const std::string& name) {
  const auto query = link.find('?');
  if (query == std::string::npos) {
    return std::nullopt;
  }
  std::size_t at = query + 1;
  while (at <= link.size()) {
    const auto end = std::min(link.find('&', at), link.size());
    const std::string pair = link.substr(at, end - at);
    if (pair.rfind(name + "=", 0) == 0) {
      return pair.substr(name.size() + 1);
    }
    at = end + 1;
  }
  return std::nullopt;
}

std::string percent_encode(const std::string& text) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

std::string percent_decode(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned value = 0;
    if (text[i] == '%' && i + 2 < text.size() &&
        std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16).ptr ==
            text.data() + i + 3) {
      out += static_cast<char>(value);
      i += 2;
    } else {
      out += text[i] == '+' ? ' ' : text[i];
    }
  }
  return out;
}

std::string link_title(const std::string& link, const std::string& fallback) {
  const auto title = link_parameter(link, "title");
  return title && !title->empty() ? percent_decode(*title) : fallback;
}

}  // namespace treecast::runtime
