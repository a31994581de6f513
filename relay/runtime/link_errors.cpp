#include "runtime/link_errors.hpp"

#include <string>

namespace treecast::runtime {
namespace {

class link_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "link"; }

  std::string message(int value) const override {
    switch (static_cast<link_errc>(value)) {
      case link_errc::connect_timeout:
        return "connect timed out";
      case link_errc::closed_by_peer:
        return "closed by peer";
    }
    return "unknown link error";
  }
};

}  // namespace

const std::error_category& link_category() noexcept {
  static const link_category_impl category;
  return category;
}

}  // namespace treecast::runtime
