#include "util/heap_policy.h"

#include <cstdlib>  // defines __GLIBC__ where glibc is the C library
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace rope {

#if defined(__GLIBC__)
namespace {
constexpr int kRetain = 1 << 30;  // 1 GiB: blocks up to this come from, and go back to, the heap
}  // namespace

RetainedHeap::RetainedHeap() {
  if (getenv("ROPE_NO_RETAIN")) return;
  mallopt(M_MMAP_THRESHOLD, kRetain);
  mallopt(M_TRIM_THRESHOLD, kRetain);
}

RetainedHeap::~RetainedHeap() { malloc_trim(0); }
#else
RetainedHeap::RetainedHeap() = default;
RetainedHeap::~RetainedHeap() = default;
#endif

}  // namespace rope
