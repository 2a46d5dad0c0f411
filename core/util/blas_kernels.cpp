#include "util/blas_kernels.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

namespace rope {

std::string blasCoreName() {
  using CoreName = char* (*)();
  static const auto coreName =
      reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  const char* name = coreName ? coreName() : nullptr;
  return name ? name : "";
}

std::string betterBlasCore() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  const std::string core = blasCoreName();
  if (core.empty()) return "";
  // Kernels that use AVX2 or AVX-512 (OpenBLAS's names for x86-64 cores); any other choice
  // is an older CPU's, right only on a CPU without AVX2.
  static const char* const kVector[] = {"Haswell",  "Zen",        "Excavator",
                                        "SkylakeX", "Cooperlake", "SapphireRapids"};
  if (std::any_of(std::begin(kVector), std::end(kVector),
                  [&](const char* k) { return core == k; })) {
    return "";
  }
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) {
    return "SkylakeX";
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
  return "";
}

void reexecWithBetterBlas(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") || std::getenv("ROPE_KEEP_BLAS_CORE")) return;
  const std::string core = betterBlasCore();
  if (core.empty() || setenv("OPENBLAS_CORETYPE", core.c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);
  unsetenv("OPENBLAS_CORETYPE");  // exec failed: run on as before
}

}  // namespace rope
