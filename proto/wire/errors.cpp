#include "wire/errors.hpp"

#include <string>

namespace treecast::wire {
namespace {

class wire_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "wire"; }

  std::string message(int value) const override {
    switch (static_cast<wire_errc>(value)) {
      case wire_errc::frame_too_large:
        return "frame larger than the maximum frame size";
      case wire_errc::truncated_frame:
        return "stream ended inside a frame";
      case wire_errc::malformed_message:
        return "frame is not a valid envelope";
      case wire_errc::empty_envelope:
        return "envelope carries no message";
      case wire_errc::malformed_chunk:
        return "chunk body is not valid";
      case wire_errc::field_out_of_range:
        return "field out of range";
    }
    return "unknown wire error";
  }
};

}  // namespace

const std::error_category& wire_category() noexcept {
  static const wire_category_impl category;
  return category;
}

}  // namespace treecast::wire
