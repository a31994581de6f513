// Debian's Chromium, headless, driven over the DevTools protocol (one
// WebSocket to one page) so a test can load a page served on loopback, read
// what it drew and save a screenshot. Flags from ../shared/STACK.md: no
// sandbox as root, no background networking on this closed network, and a
// fresh profile per run; WebRTC may use loopback.
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "child_process.hpp"

namespace treecast::testing {

class headless_chromium {
 public:
  // Starts /usr/bin/chromium on `url` with a profile under `profile_dir`
  // (emptied first) and attaches to its page. Throws std::runtime_error when
  // Chromium is missing or does not answer within 30 s.
  headless_chromium(const std::string& url, const std::string& profile_dir,
                    const std::string& log_path);
  ~headless_chromium();  // stops the browser and waits for its helper processes

  headless_chromium(const headless_chromium&) = delete;
  headless_chromium& operator=(const headless_chromium&) = delete;

  // The value of a JavaScript expression in the page (JSON-serialisable);
  // throws when the page throws or Chromium does not reply within 10 s.
  nlohmann::json evaluate(const std::string& expression);

  // Waits until the JavaScript `condition` is true in the page, re-checked on
  // every change to the document; false when `timeout` passes first.
  bool wait_until(const std::string& condition, std::chrono::milliseconds timeout);

  // Writes a PNG of the page's viewport to `path`; throws on failure.
  void screenshot(const std::string& path);

 private:
  class devtools_socket;

  // One DevTools command; its result, or throws on an error reply or when no
  // reply comes within `timeout` + 10 s.
  nlohmann::json call(const std::string& method, nlohmann::json params,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  std::string profile_flag_;  // "--user-data-dir=...": finds the browser's helpers
  std::unique_ptr<child_process> process_;
  std::unique_ptr<devtools_socket> socket_;
  int next_id_ = 1;
};

}  // namespace treecast::testing
