#include "runtime/status_line.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace treecast::runtime {
namespace {

// Everything a printer wrote into a temporary file.
std::string written(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string text;
  for (int c; (c = std::fgetc(f)) != EOF;) {
    text += static_cast<char>(c);
  }
  return text;
}

status_report sample() {
  status_report r;
  r.field("depth", 3);
  r.field("parent", "10.0.0.1:7000");
  r.say("depth 3");
  r.say("0 missed");
  return r;
}

TEST(status_line, a_file_gets_key_value_lines) {
  std::FILE* f = std::tmpfile();
  {
    status_printer out(status_style::automatic, f);
    EXPECT_FALSE(out.in_place());
    out.note("listening on 127.0.0.1:7000");
    out.report(sample());
  }
  const std::string text = written(f);
  std::fclose(f);
  EXPECT_EQ(text.rfind("listening on 127.0.0.1:7000\nstatus t=", 0), 0u) << text;
  EXPECT_NE(text.find(" depth=3 parent=10.0.0.1:7000\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("·"), std::string::npos);
}

TEST(status_line, in_place_the_words_are_rewritten_and_notes_go_above) {
  std::FILE* f = std::tmpfile();
  {
    status_printer out(status_style::line, f);
    EXPECT_TRUE(out.in_place());
    out.report(sample());
    out.note("repair t=1 ms=85");
    status_report later = sample();
    later.words[1] = "1 missed";
    out.report(later);
  }
  const std::string text = written(f);
  std::fclose(f);
  EXPECT_EQ(text,
            "\r\033[Kdepth 3 · 0 missed"
            "\r\033[Krepair t=1 ms=85\ndepth 3 · 0 missed"
            "\r\033[Kdepth 3 · 1 missed\n");
  EXPECT_EQ(text.find("status t="), std::string::npos);
}

TEST(status_line, styles_are_named_and_others_refused) {
  EXPECT_EQ(parse_status_style("auto"), status_style::automatic);
  EXPECT_EQ(parse_status_style("kv"), status_style::kv);
  EXPECT_EQ(parse_status_style("line"), status_style::line);
  EXPECT_THROW(parse_status_style("json"), std::invalid_argument);
}

}  // namespace
}  // namespace treecast::runtime
