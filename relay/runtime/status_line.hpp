// What a program prints on stdout each second and between: on a terminal,
// one line in words, rewritten in place ("depth 3 · 0 missed · latency
// 254 ms"); otherwise (or with --status kv) a `status t=<unix ms> key=value
// ...` line a second for scripts and the lab. Other lines (links, repairs)
// are notes: printed on lines of their own, above the status line.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace treecast::runtime {

enum class status_style { automatic, kv, line };

// "auto" | "kv" | "line"; throws std::invalid_argument otherwise.
status_style parse_status_style(const std::string& text);

// "1 child", "3 children": a count in words.
std::string counted(std::uint64_t n, const char* one, const char* many);

// One second's report: the same figures as key=value fields and as words.
struct status_report {
  std::vector<std::pair<std::string, std::string>> fields;
  std::vector<std::string> words;

  void field(const std::string& key, const std::string& value) { fields.emplace_back(key, value); }
  void field(const std::string& key, long long value) { field(key, std::to_string(value)); }
  void say(std::string words_of_one_figure) { words.push_back(std::move(words_of_one_figure)); }
};

class status_printer {
 public:
  // automatic: a line in place when `out` is a terminal, else kv.
  explicit status_printer(status_style style, std::FILE* out = stdout);
  ~status_printer();

  status_printer(const status_printer&) = delete;
  status_printer& operator=(const status_printer&) = delete;

  void report(const status_report& r);
  void note(const std::string& text);

  bool in_place() const { return in_place_; }

 private:
  std::FILE* out_;
  bool in_place_ = false;
  std::string shown_;  // the line in place now ("" = none)
};

}  // namespace treecast::runtime
