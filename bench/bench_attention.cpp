// rope-bench-attention: how fast an attention view appears and how much memory a long
// analysis takes, on the demo model (or --model DIR).
//
//   rope-bench-attention [--model DIR] [--threads N] [--view 4096] [--long 32768]
//                        [--layer L] [--head H] [--grid 512]
//
// 1. view: one head's attention map (pooled to grid x grid) with entropy and summaries at
//    --view tokens: the forward pass up to the layer plus the head, timed warm (model loaded,
//    after one untimed run) and cold (model load included).
// 2. long: every layer and head at --long tokens (entropy, sink mass, mass beyond the window,
//    attention vs distance, grids, logit share per RoPE pair), with the peak RSS of the
//    process before and after (getrusage), and the T x T bytes it did not need.
// Tokens: the demo test split's documents, concatenated, repeated if shorter than asked.
#include <sys/resource.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "analysis/attention_analysis.h"
#include "data/token_data.h"
#include "model/transformer.h"
#include "util/blas_kernels.h"
#include "train/demo_assets.h"

namespace {

using namespace rope;
using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// CPU seconds of this process (all threads): on a shared machine the wall time also counts
// the time other processes held the cores.
double cpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double peakRssMiB() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;  // KiB on Linux
}

std::vector<int64_t> tokens(const std::string& modelDir, int64_t count) {
  TokenSource src;
  src.paths = demoDataFiles("test");
  src.tokenizerPath = modelDir + "/tokenizer.model";
  const TokenDataset data = loadTokens(src);
  std::vector<int64_t> out;
  while (static_cast<int64_t>(out.size()) < count) {
    for (const auto& d : data.documents) out.insert(out.end(), d.begin(), d.end());
  }
  out.resize(count);
  return out;
}

std::string arg(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == "--" + name) return argv[i + 1];
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  rope::reexecWithBetterBlas(argv);  // before anything else: it may start the program again
  try {
    const std::string modelDir = resolveModel(arg(argc, argv, "model", "demo"));
    const int threads = std::stoi(arg(argc, argv, "threads", "2"));
    const int64_t viewT = std::stoll(arg(argc, argv, "view", "4096"));
    const int64_t longT = std::stoll(arg(argc, argv, "long", "32768"));
    const int grid = std::stoi(arg(argc, argv, "grid", "512"));
    auto t0 = Clock::now();
    const std::vector<int64_t> ids = tokens(modelDir, std::max(viewT, longT));
    const double tokenize = seconds(t0);
    std::printf("model %s, %d torch thread(s), grid %d\n", modelDir.c_str(), threads, grid);

    std::printf("demo test split read and tokenized in %.3f s\n", tokenize);
    t0 = Clock::now();
    Transformer::Options opt;
    opt.threads = threads;
    Transformer model(modelDir, opt);
    const double load = seconds(t0);
    const int layer = std::stoi(arg(argc, argv, "layer", std::to_string(model.config().numLayers - 1)));
    const int head = std::stoi(arg(argc, argv, "head", "0"));
    std::printf("model load %.3f s, peak RSS %.0f MiB\n", load, peakRssMiB());

    attention::Params view;
    view.ids.assign(ids.begin(), ids.begin() + viewT);
    view.layers = {layer};
    view.heads = {head};
    view.grid = grid;
    t0 = Clock::now();
    attention::Result r = attention::analyze(model, view);
    const double first = seconds(t0);
    if (!r.valid) throw std::runtime_error(r.error);
    double best = 1e9, bestCpu = 1e9, forward = 1e9;
    for (int rep = 0; rep < 3; ++rep) {
      t0 = Clock::now();
      const double c0 = cpuSeconds();
      r = attention::analyze(model, view);
      best = std::min(best, seconds(t0));
      bestCpu = std::min(bestCpu, cpuSeconds() - c0);
      // The forward pass alone, up to the layer's rotated q/k.
      t0 = Clock::now();
      model.forEachLayerQK(view.ids, layer, [](const Transformer::RotatedQK&) { return true; });
      forward = std::min(forward, seconds(t0));
    }
    std::printf("view: %lld tokens, layer %d head %d: first %.3f s, best of 3 %.3f s wall, "
                "%.3f s CPU (forward pass to the layer alone %.3f s wall); cold incl. model load "
                "%.3f s; mean entropy %.3f nats\n",
                static_cast<long long>(viewT), layer, head, first, best, bestCpu, forward,
                first + load, r.heads[0].meanEntropy);

    attention::Params all;
    all.ids.assign(ids.begin(), ids.begin() + longT);
    all.grid = grid;
    const double rssBefore = peakRssMiB();
    const double c0 = cpuSeconds();
    t0 = Clock::now();
    int64_t lastPct = -1;
    const attention::Result big = attention::analyze(model, all, [&](int64_t done, int64_t total) {
      const int64_t pct = 100 * done / total;
      if (pct / 10 != lastPct / 10) {
        std::fprintf(stderr, "  %lld%% (%.0f s, peak RSS %.0f MiB)\n", static_cast<long long>(pct),
                     seconds(t0), peakRssMiB());
      }
      lastPct = pct;
      return true;
    });
    const double longTime = seconds(t0), longCpu = cpuSeconds() - c0;
    if (!big.valid) throw std::runtime_error(big.error);
    const double full = static_cast<double>(longT) * longT * 4 / (1 << 20);
    std::printf("long: %lld tokens, %zu heads (every layer and head): %.1f s wall, %.1f s CPU; "
                "peak RSS %.0f MiB (before %.0f MiB); one head's full T x T in float32 would be "
                "%.0f MiB, all heads %.0f MiB\n",
                static_cast<long long>(longT), big.heads.size(), longTime, longCpu, peakRssMiB(),
                rssBefore, full, full * big.heads.size());
    double beyond = 0, entropy = 0;
    for (const auto& h : big.heads) {
      beyond += h.meanBeyondWindowMass / big.heads.size();
      entropy += h.meanEntropy / big.heads.size();
    }
    std::printf("long: mean entropy %.3f nats, mean mass beyond the %d-token window %.3f\n",
                entropy, big.trainingWindow, beyond);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
