#include "model/item_threads.h"

#include <ATen/Parallel.h>
#include <ATen/ThreadLocalState.h>
#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>
#include <vector>

namespace rope {
namespace {

// OpenBLAS's own pool (Debian's pthread build), looked up rather than linked, as
// applyCpuThreadPolicy does: 1 when LibTorch runs on another BLAS.
using GetThreads = int (*)();
using SetThreads = void (*)(int);
const auto g_getBlasThreads =
    reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
const auto g_setBlasThreads =
    reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));

// OpenBLAS at `threads` for a scope, then back to `restore`.
class BlasThreadsFor {
 public:
  BlasThreadsFor(int threads, int restore) : m_restore(restore) { g_setBlasThreads(threads); }
  ~BlasThreadsFor() { g_setBlasThreads(m_restore); }
  BlasThreadsFor(const BlasThreadsFor&) = delete;
  BlasThreadsFor& operator=(const BlasThreadsFor&) = delete;

 private:
  int m_restore;
};

}  // namespace

int itemThreads(const at::Tensor& tensor) {
  if (!tensor.is_cpu() || at::get_num_threads() != 1) return 1;
  return g_getBlasThreads && g_setBlasThreads ? g_getBlasThreads() : 1;
}

void runItems(int threads, int64_t items, const std::function<void(int64_t)>& work) {
  std::atomic<int64_t> next{0};
  auto drain = [&] {
    for (int64_t i = next++; i < items; i = next++) work(i);
  };
  if (threads > 1 && items > 1) {
    const BlasThreadsFor single(1, threads);
    const at::ThreadLocalState callerState;
    const int n = static_cast<int>(std::min<int64_t>(threads, items));
    std::vector<std::thread> pool;
    std::vector<std::exception_ptr> errors(n);
    for (int t = 0; t < n; ++t) {
      pool.emplace_back([&, t] {
        try {
          const at::ThreadLocalStateGuard state(callerState);
          drain();
        } catch (...) {
          errors[t] = std::current_exception();
        }
      });
    }
    for (auto& t : pool) t.join();
    for (const auto& e : errors) {
      if (e) std::rethrow_exception(e);
    }
  } else {
    at::parallel_for(0, at::get_num_threads(), 1, [&](int64_t, int64_t) { drain(); });
  }
}

}  // namespace rope
