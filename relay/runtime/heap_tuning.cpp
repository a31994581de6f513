#include "runtime/heap_tuning.hpp"

#include <malloc.h>

namespace treecast::runtime {

void keep_freed_heap() {
  mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
}

}  // namespace treecast::runtime
