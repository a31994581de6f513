#include "screen.hpp"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>

namespace treecast::testing {

using namespace std::chrono_literals;

int run(std::vector<std::string> argv, const std::string& log, std::vector<std::string>* output) {
  child_process p(std::move(argv), log);
  const auto code = p.wait_exit(60s);
  if (output) {
    *output = p.lines();
  }
  return code ? *code : -1;
}

std::string artifact_dir() {
  const std::string dir = std::string(TREECAST_TEST_LOG_DIR) + "/../artifacts";
  std::filesystem::create_directories(dir);
  return std::filesystem::canonical(dir).string();
}

xvfb_display::xvfb_display(int width, int height, const std::string& log) {
  // -displayfd: Xvfb picks a free display and prints its number when ready.
  server_ = std::make_unique<child_process>(
      std::vector<std::string>{"/usr/bin/Xvfb", "-displayfd", "1", "-screen", "0",
                               std::to_string(width) + "x" + std::to_string(height) + "x24", "-br",
                               "-nolisten", "tcp"},
      log);
  const auto number = server_->wait_for_line([](const std::string& l) { return !l.empty(); }, 20s);
  if (number) {
    name_ = ":" + *number;
  }
}

xvfb_display::~xvfb_display() {
  server_->send_signal(SIGTERM);
  server_->wait_exit(10s);
}

image read_ppm(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  image img;
  std::string magic;
  int max = 0;
  in >> magic >> img.width >> img.height >> max;
  in.get();
  img.rgb.resize(static_cast<std::size_t>(img.width) * img.height * 3);
  in.read(img.rgb.data(), static_cast<std::streamsize>(img.rgb.size()));
  if (magic != "P6" || max != 255 || !in) {
    img.rgb.clear();
  }
  return img;
}

bool screenshot(const std::string& display, const std::string& path, const std::string& log) {
  return run({"/usr/bin/import", "-display", display, "-window", "root", "-depth", "8", path},
             log) == 0;
}

double luminance_stddev(const image& img) {
  return luminance_stddev(img, 0, 0, img.width, img.height);
}

double luminance_stddev(const image& img, int x, int y, int w, int h) {
  double sum = 0;
  double sum2 = 0;
  std::size_t n = 0;
  for (int row = std::max(0, y); row < std::min(img.height, y + h); ++row) {
    for (int col = std::max(0, x); col < std::min(img.width, x + w); ++col) {
      const std::size_t i = static_cast<std::size_t>(row) * img.width + col;
      const double luma = 0.299 * static_cast<unsigned char>(img.rgb[3 * i]) +
                          0.587 * static_cast<unsigned char>(img.rgb[3 * i + 1]) +
                          0.114 * static_cast<unsigned char>(img.rgb[3 * i + 2]);
      sum += luma;
      sum2 += luma * luma;
      ++n;
    }
  }
  if (n == 0) {
    return 0;
  }
  const double mean = sum / static_cast<double>(n);
  return std::sqrt(std::max(0.0, sum2 / static_cast<double>(n) - mean * mean));
}

double fraction_differing(const image& a, const image& b) {
  std::size_t differing = 0;
  const std::size_t n = a.rgb.size() / 3;
  for (std::size_t i = 0; i < n; ++i) {
    for (int c = 0; c < 3; ++c) {
      if (std::abs(a.rgb[3 * i + c] - b.rgb[3 * i + c]) > 16) {
        ++differing;
        break;
      }
    }
  }
  return static_cast<double>(differing) / static_cast<double>(n);
}

}  // namespace treecast::testing
