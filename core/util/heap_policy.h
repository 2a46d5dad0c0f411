#pragma once
// A training step allocates and frees the same large blocks every time (activations,
// gradients, logits: megabytes each). glibc's malloc serves a block above its mmap threshold
// with fresh pages from the system and hands freed memory at the heap's top back above its trim
// threshold, so every step pays page faults to zero pages it has just returned (measured: 5-10%
// of a demo-shape fine-tuning step on 2 cores, bench/RESULTS.md). While a RetainedHeap lives,
// freed memory stays in the process for reuse; when it ends, the unused memory is handed back
// (malloc_trim). glibc offers no way back to its self-adjusting thresholds, so the retaining
// thresholds stay set for the rest of the process (later work reuses memory the same way).
// Process-wide; no effect without glibc. ROPE_NO_RETAIN=1 in the environment leaves glibc's
// defaults (for side-by-side measurements).

namespace rope {

class RetainedHeap {
 public:
  RetainedHeap();
  ~RetainedHeap();
  RetainedHeap(const RetainedHeap&) = delete;
  RetainedHeap& operator=(const RetainedHeap&) = delete;
};

}  // namespace rope
