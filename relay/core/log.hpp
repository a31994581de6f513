// Logging from the engine goes through an injected sink stamped with the
// node's `now`, so simulator logs show simulated time.
#pragma once

#include <functional>
#include <string_view>

#include "core/time.hpp"

namespace treecast::core {

enum class log_level { debug = 0, info = 1, warn = 2, error = 3 };

const char* log_level_name(log_level level);

using log_sink = std::function<void(log_level, time_point, std::string_view)>;

}  // namespace treecast::core
