#include "runtime/terminal_qr.hpp"

#include <qrencode.h>

#include <memory>

namespace treecast::runtime {

namespace {

// Light modules around the code (the standard asks for 4; readers manage
// with 2, and the code stays within 80 columns for invite links).
constexpr int quiet_zone = 2;

}  // namespace

std::string terminal_qr(const std::string& text) {
  const std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
      QRcode_encodeString8bit(text.c_str(), 0, QR_ECLEVEL_L), &QRcode_free);
  if (!code) {
    return "";
  }
  const int size = code->width;
  const auto dark = [&](int row, int col) {
    row -= quiet_zone;
    col -= quiet_zone;
    return row >= 0 && col >= 0 && row < size && col < size &&
           (code->data[static_cast<std::size_t>(row) * size + col] & 1) != 0;
  };
  const int side = size + 2 * quiet_zone;
  std::string out;
  for (int row = 0; row < side; row += 2) {
    out += "\033[30;47m";  // black on white
    for (int col = 0; col < side; ++col) {
      const bool top = dark(row, col);
      const bool bottom = row + 1 < side && dark(row + 1, col);
      out += top && bottom ? "█" : top ? "▀" : bottom ? "▄" : " ";
    }
    out += "\033[0m\n";
  }
  return out;
}

}  // namespace treecast::runtime
