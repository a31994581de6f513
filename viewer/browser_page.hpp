// The gateway's page for browsers (viewer/browser/index.html), compiled in.
#pragma once

namespace treecast::viewer {

extern const char* const browser_page;

}  // namespace treecast::viewer
