// The dashboard page (broadcaster/dashboard/index.html), compiled in.
#pragma once

namespace treecast::broadcaster {

extern const char* const dashboard_page;

}  // namespace treecast::broadcaster
