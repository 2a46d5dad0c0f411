// rope-bench: tokens/s of a perplexity forward pass (Transformer::nll over T tokens) and the FLOP
// rate it implies, next to the matrix-product rate measured on the same device and dtype.
//
//   rope-bench [--model DIR | --synthetic H,LAYERS,HEADS,KV_HEADS,INTER,VOCAB[,HEAD_DIM]]
//   rope-bench --train H,LAYERS,HEADS,KV_HEADS,INTER,VOCAB [--context 512] [--batch 4]
//              [--steps 5] [--threads N]   (the trainer's optimizer step, tokens/s)
//              [--lengths 256,1024] [--repeats N] [--device cpu|cuda] [--dtype float32|...]
//              [--threads N]
//
// --synthetic writes a Llama-shaped checkpoint with random weights to a temporary folder.
// FLOPs per pass: 2 x (matmul parameters) x T for the projections and the LM head, plus
// 2 x 2 x heads x head_dim x T^2 / 2 for causal attention (QK^T and PV, lower triangle).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "model/safetensors.h"
#include "model/transformer.h"
#include "util/blas_kernels.h"
#include "train/trainer.h"
#include "util/files.h"

namespace {

using namespace rope;

std::vector<int> intList(const std::string& s) {
  std::vector<int> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) out.push_back(std::stoi(item));
  return out;
}

// A Llama checkpoint of the given shape with N(0, 0.02) weights and unit norms.
std::string writeSynthetic(const std::vector<int>& s) {
  if (s.size() < 6) throw std::runtime_error("--synthetic needs H,LAYERS,HEADS,KV_HEADS,INTER,VOCAB");
  const int64_t h = s[0], layers = s[1], heads = s[2], kv = s[3], inter = s[4], vocab = s[5];
  const int64_t hd = s.size() > 6 ? s[6] : h / heads;
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("rope-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ostringstream cfg;
  cfg << R"({"architectures": ["LlamaForCausalLM"], "hidden_size": )" << h
      << R"(, "num_hidden_layers": )" << layers << R"(, "num_attention_heads": )" << heads
      << R"(, "num_key_value_heads": )" << kv << R"(, "intermediate_size": )" << inter
      << R"(, "vocab_size": )" << vocab << R"(, "head_dim": )" << hd
      << R"(, "max_position_embeddings": 131072, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
          "tie_word_embeddings": false})";
  writeFileAtomic((dir / "config.json").string(), cfg.str());
  std::mt19937 rng(1234);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<std::vector<float>> storage;
  std::vector<TensorBlob> blobs;
  auto add = [&](const std::string& name, std::vector<int64_t> shape, bool ones = false) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::vector<float> v(n);
    for (auto& x : v) x = ones ? 1.0f : normal(rng);
    storage.push_back(std::move(v));
    blobs.push_back({name, DType::F32, shape, storage.back().data(), size_t(n) * 4});
  };
  storage.reserve(4 + 9 * layers);
  add("model.embed_tokens.weight", {vocab, h});
  for (int64_t l = 0; l < layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    add(p + "input_layernorm.weight", {h}, true);
    add(p + "post_attention_layernorm.weight", {h}, true);
    add(p + "self_attn.q_proj.weight", {heads * hd, h});
    add(p + "self_attn.k_proj.weight", {kv * hd, h});
    add(p + "self_attn.v_proj.weight", {kv * hd, h});
    add(p + "self_attn.o_proj.weight", {h, heads * hd});
    add(p + "mlp.gate_proj.weight", {inter, h});
    add(p + "mlp.up_proj.weight", {inter, h});
    add(p + "mlp.down_proj.weight", {h, inter});
  }
  add("model.norm.weight", {h}, true);
  add("lm_head.weight", {vocab, h});
  writeSafetensors((dir / "model.safetensors").string(), blobs);
  return dir.string();
}

double flopsPerPass(const ModelConfig& m, int64_t T) {
  const double h = m.hiddenSize, hd = m.headDim, nq = m.numHeads * hd, nkv = m.numKvHeads * hd;
  const double perLayer = h * (nq + 2 * nkv) + nq * h + 3 * h * m.intermediateSize;
  const double linear = 2.0 * (m.numLayers * perLayer * T + double(m.vocabSize) * h * (T - 1));
  const double attention = m.numLayers * 2.0 * 2.0 * m.numHeads * hd * double(T) * T / 2.0;
  return linear + attention;
}

}  // namespace

// The trainer's own optimizer step (rope::benchmarkTrainSteps) on a new model of the shape.
int benchmarkTraining(const std::vector<int>& s, int context, int batch, int steps, int threads) {
  if (s.size() < 6) throw std::runtime_error("--train needs H,LAYERS,HEADS,KV_HEADS,INTER,VOCAB");
  TrainParams p;
  p.hidden = s[0];
  p.layers = s[1];
  p.heads = s[2];
  p.kvHeads = s[3];
  p.intermediate = s[4];
  p.vocab = s[5];
  p.context = context;
  p.batch = batch;
  p.threads = threads;
  const TrainBenchmark b = benchmarkTrainSteps(p, steps);
  std::printf("trainer step: hidden %d, layers %d, heads %d/%d, inter %d, vocab %d, T %d, batch %d, "
              "threads %d: %.3f s/step, %.1f tokens/s\n",
              p.hidden, p.layers, p.heads, p.kvHeads, p.intermediate, p.vocab, context, batch,
              threads, b.secondsPerStep, b.tokensPerSecond);
  return 0;
}

int main(int argc, char** argv) {
  rope::reexecWithBetterBlas(argv);  // before anything else: it may start the program again
  try {
    std::string model, synthetic, device = "cpu", dtype = "float32";
    std::vector<int> lengths = {256, 1024};
    int repeats = 3, threads = 0, context = 512, batch = 4, steps = 5;
    std::string train;
    for (int i = 1; i + 1 < argc; i += 2) {
      const std::string k = argv[i], v = argv[i + 1];
      if (k == "--model") model = v;
      else if (k == "--synthetic") synthetic = v;
      else if (k == "--lengths") lengths = intList(v);
      else if (k == "--repeats") repeats = std::stoi(v);
      else if (k == "--device") device = v;
      else if (k == "--dtype") dtype = v;
      else if (k == "--threads") threads = std::stoi(v);
      else if (k == "--train") train = v;
      else if (k == "--context") context = std::stoi(v);
      else if (k == "--batch") batch = std::stoi(v);
      else if (k == "--steps") steps = std::stoi(v);
      else throw std::runtime_error("unknown option " + k);
    }
    if (!train.empty()) return benchmarkTraining(intList(train), context, batch, steps, threads);
    const bool synth = model.empty();
    if (synth) model = writeSynthetic(intList(synthetic.empty() ? "1024,8,16,4,2816,32000" : synthetic));
    Transformer::Options opts{device, parseComputeDType(dtype), threads};
    Transformer engine(model, opts);
    if (synth) std::filesystem::remove_all(model);
    const ModelConfig& m = engine.config();
    std::printf("model %s: %s, hidden %d, layers %d, heads %d/%d kv, head_dim %d, inter %d, vocab %d\n",
                synth ? "synthetic" : model.c_str(), m.architecture.c_str(), m.hiddenSize,
                m.numLayers, m.numHeads, m.numKvHeads, m.headDim, m.intermediateSize, m.vocabSize);
    const std::string blas = blasCoreName();
    std::printf("device %s, dtype %s, hardware threads %u, BLAS kernels %s\n", device.c_str(),
                dtype.c_str(), std::thread::hardware_concurrency(),
                blas.empty() ? "(not OpenBLAS)" : blas.c_str());
    const double mm = matmulFlopsPerSecond(device, opts.dtype, 1024, 2.0);
    const double mm2 = matmulFlopsPerSecond(device, opts.dtype, 2048, 2.0);
    std::printf("matmul 1024^3: %.1f GFLOP/s, 2048^3: %.1f GFLOP/s\n", mm / 1e9, mm2 / 1e9);
    const double peak = std::max(mm, mm2);
    std::printf("%8s %12s %12s %14s %10s\n", "tokens", "s/pass", "tokens/s", "GFLOP/s", "of matmul");
    std::mt19937 rng(7);
    std::uniform_int_distribution<int64_t> tok(0, m.vocabSize - 1);
    for (int T : lengths) {
      std::vector<int64_t> ids(T);
      for (auto& x : ids) x = tok(rng);
      engine.nll(ids);  // warm-up
      const auto t0 = std::chrono::steady_clock::now();
      for (int r = 0; r < repeats; ++r) engine.nll(ids);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / repeats;
      const double rate = flopsPerPass(m, T) / s;
      std::printf("%8d %12.4f %12.1f %14.1f %9.0f%%\n", T, s, T / s, rate / 1e9, 100 * rate / peak);
      std::fflush(stdout);
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
