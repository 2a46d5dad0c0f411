#pragma once
// Internal to the engine and the trainer (includes ATen): work items on threads of one's own
// under the CPU policy (applyCpuThreadPolicy: torch's pool one thread, OpenBLAS's pool n).
// There, small products between tensor ops would each be split n ways while every op between
// them runs on one thread; whole items on n threads of their own, each with single-threaded
// products, keep every core busy. Not a public header of core.

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>

namespace rope {

// Threads for work items on `tensor`'s device: OpenBLAS's n when it runs on the CPU under the
// policy (torch's pool one thread; OpenBLAS found through openblas_set_num_threads at run
// time), else 1.
int itemThreads(const at::Tensor& tensor);

// work(i) for every i in [0, items), handed out one at a time in order of i. threads > 1: on
// that many threads of one's own, each with the caller's ThreadLocalState (grad mode, inference
// mode: as torch's pool does), OpenBLAS single-threaded meanwhile and given back its threads
// after; the first exception of an item is rethrown here. threads <= 1: torch's intra-op pool
// (ops inside run single-threaded: one synchronisation per call, not one per op).
void runItems(int threads, int64_t items, const std::function<void(int64_t)>& work);

}  // namespace rope
