// A log sink that writes one line per event to stderr, stamped with wall
// time, the program's name and the level. Thread-safe.
#pragma once

#include <string>

#include "core/log.hpp"

namespace treecast::runtime {

// Returns a sink that drops events below `min_level`.
core::log_sink console_log(std::string program, core::log_level min_level);

// Parses "debug", "info", "warn" or "error"; throws std::invalid_argument.
core::log_level parse_log_level(const std::string& text);

}  // namespace treecast::runtime
