// Why the runtime ends a link on its own (as opposed to the peer or the
// engine ending it).
#pragma once

#include <system_error>

namespace treecast::runtime {

enum class link_errc {
  connect_timeout = 2,  // the connection was not up within the connect timeout
  closed_by_peer,       // the peer closed the connection cleanly between frames
};

const std::error_category& link_category() noexcept;

inline std::error_code make_error_code(link_errc e) noexcept {
  return {static_cast<int>(e), link_category()};
}

}  // namespace treecast::runtime

template <>
struct std::is_error_code_enum<treecast::runtime::link_errc> : std::true_type {};
