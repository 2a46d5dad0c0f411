// The engine's runtime around the forward pass: compute dtypes, devices, the CPU thread policy
// and the matrix-product rate benchmarks compare with (declared in model/transformer.h).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "model/aten_types.h"
#include "model/transformer.h"
#include "util/error.h"

namespace rope {

at::ScalarType scalarType(ComputeDType d) {
  switch (d) {
    case ComputeDType::BFloat16: return at::kBFloat16;
    case ComputeDType::Float16: return at::kHalf;
    case ComputeDType::Float32: break;
  }
  return at::kFloat;
}

std::string computeDTypeName(ComputeDType d) {
  switch (d) {
    case ComputeDType::BFloat16: return "bfloat16";
    case ComputeDType::Float16: return "float16";
    case ComputeDType::Float32: break;
  }
  return "float32";
}

ComputeDType parseComputeDType(const std::string& name) {
  if (name == "float32" || name == "fp32") return ComputeDType::Float32;
  if (name == "bfloat16" || name == "bf16") return ComputeDType::BFloat16;
  if (name == "float16" || name == "fp16") return ComputeDType::Float16;
  throw InputError("unknown dtype '" + name + "' (float32, bfloat16, float16)");
}

std::vector<std::string> availableDevices() {
  std::vector<std::string> out = {"cpu"};
  if (at::hasCUDA()) out.push_back("cuda");
  return out;
}

void applyCpuThreadPolicy(int threads) {
  const int n =
      threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // OpenBLAS (Debian's pthread build) has its own pool. With both pools at n threads, torch's
  // OpenMP threads spin after each parallel region while OpenBLAS's want the same cores, and on
  // a loaded machine every OpenMP barrier waits for a descheduled thread; OpenBLAS's threads
  // yield while they wait (bench/RESULTS.md, "Threads"). The symbol is looked up, not linked:
  // with another BLAS behind LibTorch, torch's pool gets the threads instead.
  using SetThreads = void (*)(int);
  static const auto setBlasThreads =
      reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  const int torchThreads = setBlasThreads ? 1 : n;
  if (at::get_num_threads() != torchThreads) at::set_num_threads(torchThreads);
  if (setBlasThreads && !std::getenv("OPENBLAS_NUM_THREADS")) setBlasThreads(n);
}

std::string defaultDevice() { return at::hasCUDA() ? "cuda" : "cpu"; }

int cudaDeviceCount() { return at::hasCUDA() ? static_cast<int>(at::getNumGPUs()) : 0; }

double matmulFlopsPerSecond(const std::string& device, ComputeDType dtype, int n, double seconds) {
  c10::InferenceMode guard;
  const at::Device dev(device);
  if (dev.is_cuda() && !at::hasCUDA()) throw InputError("device " + device + " is not available");
  const auto opts = at::TensorOptions().dtype(scalarType(dtype)).device(dev);
  const at::Tensor a = at::randn({n, n}, opts), b = at::randn({n, n}, opts);
  at::Tensor c = at::matmul(a, b);  // warm-up
  auto sync = [&] { (void)c.sum().item<double>(); };
  sync();
  const auto t0 = std::chrono::steady_clock::now();
  int reps = 0;
  double elapsed = 0;
  do {
    for (int i = 0; i < 4; ++i) c = at::matmul(a, b);
    sync();
    reps += 4;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  } while (elapsed < seconds);
  return 2.0 * n * n * static_cast<double>(n) * reps / elapsed;
}

}  // namespace rope
