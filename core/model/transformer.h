#pragma once
// A decoder-only transformer that computes what Hugging Face transformers computes (eager
// attention) for LlamaForCausalLM, MistralForCausalLM (sliding window), Qwen2ForCausalLM (q/k/v
// biases) and Phi3ForCausalLM (fused qkv_proj / gate_up_proj, partial rotary, longrope).
// RMSNorm, SwiGLU, grouped-query attention, tied or separate embeddings, causal attention.
//
// RoPE cos/sin come from core's double-precision math (rope::computeFrequencies with the
// forward pass's length, rotate_half layout, attention factor included, nHat and per-layer
// factors honoured) and are rounded to the compute dtype once per (length, RoPE). setRope /
// setFactorSet swap the RoPE without touching the weights.
//
// The LibTorch code lives behind a pimpl: this header is torch-free. A Transformer is not
// thread-safe (it caches cos/sin tables and keys/values); use one per thread. On the CPU the
// constructor applies applyCpuThreadPolicy(Options::threads), which is process-wide.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/hf_config.h"
#include "rope/factor_set.h"
#include "rope/rope_params.h"

namespace rope {

enum class ComputeDType { Float32, BFloat16, Float16 };
std::string computeDTypeName(ComputeDType dtype);  // "float32", "bfloat16", "float16"
ComputeDType parseComputeDType(const std::string& name);  // throws InputError

// "cpu" always; "cuda" when a CUDA device is usable by this LibTorch build.
std::vector<std::string> availableDevices();
// "cuda" when available, else "cpu".
std::string defaultDevice();
// The number of visible CUDA devices (0 without CUDA).
int cudaDeviceCount();

// The rate of an n x n x n matrix product in the compute dtype on device, in FLOP/s (2 n^3 per
// product), measured for about `seconds`, with the threads the process has (see
// applyCpuThreadPolicy). For benchmarks: the reference a forward pass's FLOP rate is compared
// with.
double matmulFlopsPerSecond(const std::string& device, ComputeDType dtype, int n = 1024,
                            double seconds = 1.0);

// The CPU thread policy, applied by every Transformer on the CPU (bench/RESULTS.md, "Threads", has
// the measurements behind it): one pool does the parallel work. With OpenBLAS behind LibTorch
// (found through openblas_set_num_threads at run time), OpenBLAS's pool gets `threads` threads (0:
// one per hardware thread; an OPENBLAS_NUM_THREADS in the environment wins) and torch's intra-op
// pool one; with another BLAS, torch's pool gets them. Process-wide, like both pools; call before
// starting work, not during it.
void applyCpuThreadPolicy(int threads);

// done/total weights loaded; returning false cancels loading (CancelledError).
using LoadProgress = std::function<bool(int done, int total)>;

class Transformer {
 public:
  struct Options {
    std::string device = "cpu";  // "cpu", "cuda" or "cuda:N"
    ComputeDType dtype = ComputeDType::Float32;
    int threads = 0;  // CPU threads (applyCpuThreadPolicy); 0: one per hardware thread
  };

  // Loads a HF model folder (config.json + model.safetensors or a sharded index). Throws
  // InputError for an unsupported architecture, a missing, unexpected or mis-shaped tensor
  // ("tensor model.layers.3.mlp.up_proj.weight: shape [128, 64], expected [256, 64]"), an
  // unsupported weight dtype or an unavailable device; CancelledError when progress says stop.
  Transformer(const std::string& folder, const Options& options, const LoadProgress& progress = {});
  ~Transformer();
  Transformer(const Transformer&) = delete;
  Transformer& operator=(const Transformer&) = delete;

  const ModelConfig& config() const;
  const Options& options() const;
  // The RoPE in use: the config's, or what setRope / setFactorSet installed.
  const RopeParams& rope() const;
  // Replaces the RoPE (validated: InputError if it does not fit the model's rotary dim).
  void setRope(const RopeParams& params);
  // The config's RoPE with the set's factors (rope::applyFactorSet).
  void setFactorSet(const FactorSet& set);
  // Back to the config's RoPE.
  void resetRope();

  // Logits [T x vocab] row-major, float32, for token ids (one sequence, positions 0..T-1).
  // With firstRow > 0 only rows firstRow..T-1 are projected and returned ((T - firstRow) x
  // vocab; e.g. T - 1 for the next token only, as in greedy decoding). Throws InputError for
  // an empty input, an id outside [0, vocab) or firstRow outside [0, T).
  std::vector<float> logits(const std::vector<int64_t>& ids, int firstRow = 0);

  // Incremental decoding, as Hugging Face's generate() runs with a key/value cache. append()
  // runs one forward pass over ids at positions cachedTokens() .. cachedTokens() + n - 1, whose
  // attention reads the cached keys and values of the positions before them, caches this
  // pass's and returns its logits rows firstRow..n-1 as logits() does. Each pass gets the RoPE
  // a pass of its length gets in HF (computeFrequencies with seqLen = cachedTokens() + n, the
  // max position + 1), and cached keys keep the rotation of the pass that made them (dynamic
  // NTK's base, for one). A LongRoPE pass whose factor set (short or long) differs from the
  // cached keys' drops the cache and runs over the whole sequence, as transformers' Phi-3
  // generate() does when the sequence first grows past the original window: a prompt within
  // the window is read with the short factors, and from the first token beyond it everything
  // with the long ones. setRope() leaves the cache as it is; logits(), nll() and the other
  // passes neither read nor change it. InputError as logits(), the cache then unchanged.
  std::vector<float> append(const std::vector<int64_t>& ids, int firstRow = 0);
  // Keeps the first n cached positions (0 <= n <= cachedTokens(), else InputError); 0 also
  // frees the cache's memory.
  void truncateCache(int64_t n);
  int64_t cachedTokens() const;

  struct Nll {
    double sum = 0;      // sum of -log p(ids[t] | ids[<t]) over the scored tokens, nats
    int64_t tokens = 0;  // number of scored tokens
  };
  // Next-token NLL of ids[firstScored .. T-1] (firstScored >= 1), from one forward pass over all
  // of ids. The vocabulary projection and log-softmax run over chunks of positions, so at most
  // chunk x vocab float32 logits exist at once.
  Nll nll(const std::vector<int64_t>& ids, int firstScored = 1);

  // One layer's queries and keys after RoPE (attention factor and n_hat included), exactly as
  // that layer's attention sees them, converted to float32 on the CPU; valid only during the
  // callback. Query head h reads kv head h / (numHeads / numKvHeads).
  struct RotatedQK {
    int layer = 0;
    int64_t tokens = 0;  // T
    int numHeads = 0, numKvHeads = 0, headDim = 0, rotaryDim = 0;
    int slidingWindow = 0;     // > 0: a query at i sees keys j with i - j < slidingWindow
    const float* q = nullptr;  // [numHeads, T, headDim], row-major
    const float* k = nullptr;  // [numKvHeads, T, headDim], row-major
  };
  // Runs the forward pass over ids through layer lastLayer, calling fn with the rotated q/k of
  // layers 0..lastLayer in order (analyses of attention). fn returning false stops the pass;
  // the result is then false. InputError for bad ids or a layer outside [0, layers).
  bool forEachLayerQK(const std::vector<int64_t>& ids, int lastLayer,
                      const std::function<bool(const RotatedQK&)>& fn);
  // nll() of the same ids under several RoPEs in one batched forward pass [ropes, T] (each
  // with its own cos/sin tables; the installed RoPE is neither used nor changed). Memory grows
  // with ropes.size() x T x hidden. Throws InputError as nll() and for a RoPE that does not
  // fit the model (as setRope).
  std::vector<Nll> nllBatch(const std::vector<int64_t>& ids, const std::vector<RopeParams>& ropes,
                            int firstScored = 1);

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// Restores a Transformer's RoPE when the scope ends, however it ends (evaluations swap in
// factor sets and must leave the model as they found it).
class RopeRestore {
 public:
  explicit RopeRestore(Transformer& model) : m_model(model), m_saved(model.rope()) {}
  // Also installs an evaluation's RoPE for the scope: the factor set when given, else the
  // params when given, else the model's current RoPE stays.
  RopeRestore(Transformer& model, const std::optional<FactorSet>& set,
              const std::optional<RopeParams>& params)
      : RopeRestore(model) {
    if (set) {
      model.setFactorSet(*set);
    } else if (params) {
      model.setRope(*params);
    }
  }
  ~RopeRestore() {
    try {
      m_model.setRope(m_saved);
    } catch (...) {  // it was valid when it was saved
    }
  }
  RopeRestore(const RopeRestore&) = delete;
  RopeRestore& operator=(const RopeRestore&) = delete;

 private:
  Transformer& m_model;
  RopeParams m_saved;
};

}  // namespace rope
