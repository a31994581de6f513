// What a person sees, for tests: an Xvfb display of the test's own,
// screenshots of it (binary PPM) and simple measures of a picture.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "child_process.hpp"

namespace treecast::testing {

// Runs a short command to completion; its exit code (-1 when it did not end
// within a minute). `output`, when given, receives its stdout lines.
int run(std::vector<std::string> argv, const std::string& log,
        std::vector<std::string>* output = nullptr);

// <build>/tests/artifacts, where screenshots are kept for people to look at.
std::string artifact_dir();

// An Xvfb of `width` x `height` on a free display number, with a black root
// window (so that anything not black was drawn by a client); stopped by the
// destructor.
class xvfb_display {
 public:
  xvfb_display(int width, int height, const std::string& log);
  ~xvfb_display();

  // ":N", or "" when Xvfb did not start.
  const std::string& name() const { return name_; }

 private:
  std::unique_ptr<child_process> server_;
  std::string name_;
};

// A binary PPM (P6) picture, 8 bits per channel.
struct image {
  int width = 0;
  int height = 0;
  std::string rgb;  // empty when the file could not be read
};

image read_ppm(const std::string& path);

// Takes a screenshot of the whole of `display` into `path` (PPM); false on
// failure.
bool screenshot(const std::string& display, const std::string& path, const std::string& log);

// The spread of luminance over the picture, or over the rectangle at (x, y)
// of `w` x `h`: ~0 for a flat colour, tens for a test pattern.
double luminance_stddev(const image& img);
double luminance_stddev(const image& img, int x, int y, int w, int h);

// Share of pixels that differ by more than a little between two pictures of
// the same size.
double fraction_differing(const image& a, const image& b);

}  // namespace treecast::testing
