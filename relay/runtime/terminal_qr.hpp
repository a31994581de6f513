// A QR code for a terminal: two modules per character row, drawn with
// Unicode half blocks in black on white (explicit colours, so it scans on
// dark and light terminal themes alike), with a quiet zone around it. The
// broadcaster shows its viewer link this way for phones and tablets.
#pragma once

#include <string>

namespace treecast::runtime {

// The lines of the QR code of `text` (each ending in a newline); "" when the
// text is too long for a QR code.
std::string terminal_qr(const std::string& text);

}  // namespace treecast::runtime
