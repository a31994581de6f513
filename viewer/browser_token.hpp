// The token a browser's page address carries. It is derived from the viewer
// link's content key (HMAC-SHA256, 16 bytes in hex), so whoever was invited
// can open the page, the gateway checks it without a list, and the address
// does not give away the key that opens the stream's chunks.
#pragma once

#include <string>
#include <string_view>

namespace treecast::viewer {

// `content_key`: the 32 key bytes (content_key_of()).
std::string browser_token(const std::string& content_key);

// Constant-time comparison of `token` with browser_token(content_key).
bool browser_token_matches(const std::string& content_key, std::string_view token);

}  // namespace treecast::viewer
