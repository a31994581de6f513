// Links that open: the broadcaster shows its viewer link as a QR code on a
// terminal (decoded here with zbarimg), and `cmake --install` registers the
// viewer as the handler of treecast:// links (asked of xdg-mime).
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "local_tree.hpp"
#include "screen.hpp"

namespace treecast::testing {
namespace {

using namespace std::chrono_literals;

// The modules of a QR code drawn in half blocks (terminal_qr), row by row,
// true = dark.
std::vector<std::vector<bool>> qr_modules(const std::vector<std::string>& lines) {
  const std::string start = "\033[30;47m";
  const std::string end = "\033[0m";
  std::vector<std::vector<bool>> rows;
  for (const auto& line : lines) {
    const auto from = line.find(start);
    const auto to = line.find(end);
    if (from == std::string::npos || to == std::string::npos) {
      continue;
    }
    std::vector<bool> top;
    std::vector<bool> bottom;
    const std::string body = line.substr(from + start.size(), to - from - start.size());
    for (std::size_t i = 0; i < body.size();) {
      if (body[i] == ' ') {
        top.push_back(false);
        bottom.push_back(false);
        ++i;
        continue;
      }
      const std::string glyph = body.substr(i, 3);  // the blocks are 3 bytes of UTF-8
      top.push_back(glyph == "█" || glyph == "▀");
      bottom.push_back(glyph == "█" || glyph == "▄");
      i += 3;
    }
    rows.push_back(top);
    rows.push_back(bottom);
  }
  return rows;
}

// Writes the modules as a plain PBM, 8 pixels a module.
void write_pbm(const std::vector<std::vector<bool>>& modules, const std::string& path) {
  constexpr int scale = 8;
  std::ofstream out(path);
  out << "P1\n" << modules.front().size() * scale << " " << modules.size() * scale << "\n";
  for (const auto& row : modules) {
    std::string line;
    for (const bool dark : row) {
      for (int i = 0; i < scale; ++i) {
        line += dark ? "1 " : "0 ";
      }
    }
    for (int i = 0; i < scale; ++i) {
      out << line << "\n";
    }
  }
}

TEST(links, the_broadcaster_shows_its_viewer_link_as_a_qr_code_that_scans) {
  local_tree tree("qr_link");
  // script(1): the broadcaster on a pseudo-terminal, as a person runs it.
  child_process broadcaster(
      {"/usr/bin/script", "-q", "-e", "-c",
       std::string(TREECAST_BROADCASTER) + " --listen 127.0.0.1:0 --log-level warn --key '" +
           tree.key_path() + "'",
       "/dev/null"},
      tree.log_path("broadcaster-on-terminal"));
  ASSERT_TRUE(broadcaster.wait_for_line(
      [](const std::string& l) {
        return l.find("the viewer link, as a QR code") != std::string::npos;
      },
      20s))
      << "no QR code; see " << tree.log_path("broadcaster-on-terminal");
  broadcaster.send_signal(SIGINT);
  ASSERT_TRUE(broadcaster.wait_exit(20s));
  const auto lines = broadcaster.lines();

  std::string link;
  for (const auto& line : lines) {
    const auto at = line.find("link: treecast://");
    if (at != std::string::npos && line.find("relay-link") == std::string::npos) {
      link = line.substr(at + 6);
      link = link.substr(0, link.find_first_of("\r\n"));
    }
  }
  ASSERT_FALSE(link.empty());
  const auto modules = qr_modules(lines);
  ASSERT_GT(modules.size(), 21u) << "no QR code drawn";
  const std::string pbm = artifact_dir() + "/viewer_link_qr.pbm";
  write_pbm(modules, pbm);
  std::vector<std::string> decoded;
  ASSERT_EQ(run({"/usr/bin/zbarimg", "-q", "--raw", pbm}, tree.log_path("zbarimg"), &decoded), 0)
      << "the QR code does not scan; see " << pbm;
  ASSERT_FALSE(decoded.empty());
  EXPECT_EQ(decoded.front(), link);
  // 80 columns are enough to show it.
  EXPECT_LE(modules.front().size(), 80u);
}

TEST(links, cmake_install_makes_the_viewer_the_handler_of_treecast_links) {
  local_tree tree("install");
  const std::string root = std::string(TREECAST_TEST_LOG_DIR) + "/install-root";
  std::filesystem::remove_all(root);
  ASSERT_EQ(run({"/usr/bin/env", "DESTDIR=" + root, TREECAST_CMAKE, "--install", TREECAST_BUILD_DIR,
                 "--prefix", "/usr/local"},
                tree.log_path("cmake-install")),
            0)
      << "see " << tree.log_path("cmake-install");
  const std::string share = root + "/usr/local/share";
  EXPECT_TRUE(std::filesystem::exists(root + "/usr/local/bin/treecast-viewer"));
  EXPECT_TRUE(std::filesystem::exists(root + "/usr/local/bin/treecast-broadcaster"));
  EXPECT_TRUE(std::filesystem::exists(root + "/usr/local/bin/treecast-relay"));
  EXPECT_EQ(run({"/usr/bin/desktop-file-validate", share + "/applications/treecast-viewer.desktop"},
                tree.log_path("desktop-file-validate")),
            0);
  const std::string home = root + "/home";
  std::filesystem::create_directories(home);
  std::vector<std::string> handler;
  ASSERT_EQ(run({"/usr/bin/env", "-u", "DISPLAY", "XDG_DATA_DIRS=" + share, "XDG_DATA_HOME=" + home,
                 "XDG_CONFIG_HOME=" + home, "HOME=" + home, "/usr/bin/xdg-mime", "query", "default",
                 "x-scheme-handler/treecast"},
                tree.log_path("xdg-mime"), &handler),
            0);
  ASSERT_FALSE(handler.empty());
  EXPECT_EQ(handler.front(), "treecast-viewer.desktop");
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace treecast::testing
