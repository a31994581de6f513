#include "runtime/console_log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <stdexcept>

namespace treecast::runtime {

core::log_sink console_log(std::string program, core::log_level min_level) {
  return [program = std::move(program), min_level](core::log_level level, core::time_point,
                                                   std::string_view text) {
    if (level < min_level) {
      return;
    }
    static std::mutex mutex;
    const auto wall = std::chrono::system_clock::now();
    const std::time_t seconds = std::chrono::system_clock::to_time_t(wall);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(wall.time_since_epoch()).count() %
        1000;
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%H:%M:%S", &parts);
    const std::lock_guard lock(mutex);
    std::fprintf(stderr, "%s.%03lld %s %s: %.*s\n", stamp, static_cast<long long>(millis),
                 program.c_str(), core::log_level_name(level), static_cast<int>(text.size()),
                 text.data());
  };
}

core::log_level parse_log_level(const std::string& text) {
  for (auto level : {core::log_level::debug, core::log_level::info, core::log_level::warn,
                     core::log_level::error}) {
    if (text == core::log_level_name(level)) {
      return level;
    }
  }
  throw std::invalid_argument("unknown log level '" + text + "' (debug, info, warn, error)");
}

}  // namespace treecast::runtime
