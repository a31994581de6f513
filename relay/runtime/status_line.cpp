#include "runtime/status_line.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>

#include "runtime/program_loop.hpp"

namespace treecast::runtime {

namespace {

// Back to the start of the terminal line and clear it.
constexpr const char* clear_line = "\r\033[K";

// Characters on screen of UTF-8 text (continuation bytes take no column).
std::size_t columns_of(const std::string& text) {
  std::size_t n = 0;
  for (const unsigned char c : text) {
    n += (c & 0xC0) != 0x80 ? 1 : 0;
  }
  return n;
}

// The width of the terminal `out` is; 0 when unknown.
std::size_t terminal_columns(std::FILE* out) {
  winsize size{};
  return ioctl(fileno(out), TIOCGWINSZ, &size) == 0 ? size.ws_col : 0;
}

}  // namespace

std::string counted(std::uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

status_style parse_status_style(const std::string& text) {
  if (text == "auto") {
    return status_style::automatic;
  }
  if (text == "kv") {
    return status_style::kv;
  }
  if (text == "line") {
    return status_style::line;
  }
  throw std::invalid_argument("--status must be auto, kv or line, not '" + text + "'");
}

status_printer::status_printer(status_style style, std::FILE* out)
    : out_(out),
      in_place_(style == status_style::line ||
                (style == status_style::automatic && isatty(fileno(out)) == 1)) {}

status_printer::~status_printer() {
  if (in_place_ && !shown_.empty()) {
    std::fputs("\n", out_);
  }
}

void status_printer::report(const status_report& r) {
  if (!in_place_) {
    std::string line = "status t=" + std::to_string(wall_time_ms());
    for (const auto& [key, value] : r.fields) {
      line += " " + key + "=" + value;
    }
    std::fprintf(out_, "%s\n", line.c_str());
    return;
  }
  // A line longer than the terminal would wrap, and only its last row be
  // rewritten: the words that do not fit are left out.
  const std::size_t width = terminal_columns(out_);
  shown_.clear();
  for (const auto& words : r.words) {
    const std::string longer = shown_ + (shown_.empty() ? "" : " · ") + words;
    if (width > 0 && columns_of(longer) >= width) {
      break;
    }
    shown_ = longer;
  }
  std::fprintf(out_, "%s%s", clear_line, shown_.c_str());
  std::fflush(out_);
}

void status_printer::note(const std::string& text) {
  if (!in_place_) {
    std::fprintf(out_, "%s\n", text.c_str());
    return;
  }
  std::fprintf(out_, "%s%s\n%s", clear_line, text.c_str(), shown_.c_str());
  std::fflush(out_);
}

}  // namespace treecast::runtime
