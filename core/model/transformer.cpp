// The engine's LibTorch code: weights as plain tensors (no torch::nn modules: inference only,
// and the nn headers would double this file's compile time), the forward pass of HF's
// Llama/Mistral/Qwen2/Phi-3 modelling code with eager-attention numerics.
#include "model/transformer.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <torch/version.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "model/attention.h"
#include "model/aten_types.h"
#include "model/checkpoint.h"
#include "model/model_spec.h"
#include "rope/rope_math.h"
#include "util/error.h"

namespace rope {
namespace {

// At most this many bytes of float32 logits (vocabulary projection) exist at once.
constexpr int64_t kLogitsChunkBytes = 64ll << 20;
// Rows per block of the MLP in hidden().
constexpr int64_t kMlpRows = 4096;

struct Layer {
  at::Tensor inputNorm, postNorm;
  at::Tensor qkv, qkvBias;        // [(nH + 2 nKV) hd, H]: q, k, v rows fused
  at::Tensor o, oBias;            // [H, nH hd]
  at::Tensor gateUp, gateUpBias;  // [2 I, H]: gate, up rows fused
  at::Tensor down, downBias;      // [H, I]
  int slidingWindow = 0;
};

at::Tensor toTensor(const TensorView& t, at::ScalarType dtype, const at::Device& device) {
  const at::ScalarType src = t.dtype == DType::F32   ? at::kFloat
                             : t.dtype == DType::F16 ? at::kHalf
                                                     : at::kBFloat16;
  // Copy out of the mapping: its data may be unaligned, and the file may be closed later.
  at::Tensor cpu = at::empty(t.shape, at::TensorOptions().dtype(src));
  std::memcpy(cpu.data_ptr(), t.data, t.bytes);
  return cpu.to(device, dtype).contiguous();
}

// HF LlamaRMSNorm: normalise in float32, round to the input dtype, then scale.
at::Tensor rmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  const at::Tensor h = x.to(at::kFloat);
  const at::Tensor var = h.pow(2).mean(-1, true);
  return weight * (h * at::rsqrt(var + eps)).to(x.scalar_type());
}

at::Tensor linear(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  return b.defined() ? at::linear(x, w, b) : at::matmul(x, w.t());
}

// q' = q cos + rotate_half(q) sin on the first d dims; the rest passes (partial rotary).
// x: [..., T, hd]; cos, sin: [T, d] or broadcastable to x's leading dims ([B, 1, T, d]).
at::Tensor applyRope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  const int64_t d = cos.size(-1), hd = x.size(-1);
  const at::Tensor rot = d == hd ? x : x.narrow(-1, 0, d);
  const at::Tensor half1 = rot.narrow(-1, 0, d / 2), half2 = rot.narrow(-1, d / 2, d / 2);
  const at::Tensor rotated = at::cat({-half2, half1}, -1);
  const at::Tensor out = rot * cos + rotated * sin;
  return d == hd ? out : at::cat({out, x.narrow(-1, d, hd - d)}, -1);
}

}  // namespace

struct Transformer::Impl {
  ModelSpec spec;
  Options options;
  RopeParams rope;
  int rotaryDim = 0;
  at::Device device = at::kCPU;
  at::ScalarType dtype = at::kFloat;
  at::Tensor embed, finalNorm, lmHead;
  std::vector<Layer> layers;

  // cos/sin for the last length: one pair, or one per layer with per-layer factors.
  int cachedLength = -1;
  std::vector<at::Tensor> cos, sin;
  // The tokens appended so far, and their keys (after RoPE) and values per layer
  // [nKV, capacity, hd], of which positions [0, kvIds.size()) are valid.
  std::vector<int64_t> kvIds;
  std::vector<at::Tensor> kvKeys, kvValues;
  bool kvLong = false;  // LongRoPE: the cached keys were rotated with the long factors
  // When set, hidden() hands each layer's rotated q/k to it and stops when it returns false.
  std::function<bool(size_t layer, const at::Tensor& q, const at::Tensor& k)> qkProbe;

  void load(const std::string& folder, const LoadProgress& progress);
  void checkRope(const RopeParams& params) const;
  // cos/sin [length - start, rotaryDim] in the compute dtype for positions start..length-1 of
  // a pass of `length` tokens: one pair, or one per layer.
  void ropeTables(const RopeParams& params, int length, std::vector<at::Tensor>& cosOut,
                  std::vector<at::Tensor>& sinOut, int start = 0) const;
  void prepareRope(int length);
  at::Tensor idsTensor(const std::vector<int64_t>& ids) const;
  // Room in the key/value cache for `length` positions.
  void reserveCache(int64_t length);
  // With cached = true, ids follow the cached positions and their keys and values are cached.
  at::Tensor hidden(const at::Tensor& ids, bool cached = false);
  // Float32 logits rows firstRow.. of final-normed hidden states h, on the CPU.
  std::vector<float> logitRows(const at::Tensor& h, int64_t firstRow) const;
  at::Tensor hiddenBatch(const at::Tensor& ids, const std::vector<RopeParams>& ropes) const;
  template <typename Fn>
  void forEachLogitChunk(const at::Tensor& h, int64_t first, int64_t count, Fn&& fn) const;
};

void Transformer::Impl::load(const std::string& folder, const LoadProgress& progress) {
  spec = modelSpec(folder);
  const ModelConfig& m = spec.config;
  rope = m.rope;
  rotaryDim = rope::rotaryDim(rope);
  validateParams(rope);
  const Checkpoint ckpt(folder);
  checkWeights(spec, ckpt);

  const int total = static_cast<int>(spec.weights.size());
  int done = 0;
  auto get = [&](const std::string& name) {
    at::Tensor t = toTensor(*ckpt.find(name), dtype, device);
    ++done;
    if (progress && !progress(done, total)) throw CancelledError();
    return t;
  };
  embed = get("model.embed_tokens.weight");
  layers.resize(m.numLayers);
  for (int l = 0; l < m.numLayers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    Layer& L = layers[l];
    L.slidingWindow = spec.slidingWindow[l];
    L.inputNorm = get(p + "input_layernorm.weight");
    L.postNorm = get(p + "post_attention_layernorm.weight");
    if (spec.fusedQkv) {
      L.qkv = get(p + "self_attn.qkv_proj.weight");
    } else {
      L.qkv = at::cat({get(p + "self_attn.q_proj.weight"), get(p + "self_attn.k_proj.weight"),
                       get(p + "self_attn.v_proj.weight")});
    }
    if (spec.qkvBias) {
      L.qkvBias = at::cat({get(p + "self_attn.q_proj.bias"), get(p + "self_attn.k_proj.bias"),
                           get(p + "self_attn.v_proj.bias")});
    }
    L.o = get(p + "self_attn.o_proj.weight");
    if (spec.oBias) L.oBias = get(p + "self_attn.o_proj.bias");
    if (spec.fusedGateUp) {
      L.gateUp = get(p + "mlp.gate_up_proj.weight");
    } else {
      L.gateUp = at::cat({get(p + "mlp.gate_proj.weight"), get(p + "mlp.up_proj.weight")});
    }
    L.down = get(p + "mlp.down_proj.weight");
    if (spec.mlpBias) {
      L.gateUpBias = at::cat({get(p + "mlp.gate_proj.bias"), get(p + "mlp.up_proj.bias")});
      L.downBias = get(p + "mlp.down_proj.bias");
    }
  }
  finalNorm = get("model.norm.weight");
  lmHead = m.tieWordEmbeddings ? embed : get("lm_head.weight");
}

void Transformer::Impl::ropeTables(const RopeParams& params, int length,
                                   std::vector<at::Tensor>& cosOut, std::vector<at::Tensor>& sinOut,
                                   int start) const {
  cosOut.clear();
  sinOut.clear();
  const bool perLayer = params.method == RopeMethod::LongRope && !params.layerFactors.empty();
  const int tables = perLayer ? static_cast<int>(layers.size()) : 1;
  for (int l = 0; l < tables; ++l) {
    // HF's float32 arithmetic, step by step: inv_freq = 1 / (lambda * base^(2i/d)), angles
    // inv_freq * p, cos/sin, times the attention factor, all in float32, then rounded to the
    // compute dtype. (Exact double angles differ from HF's by ~1e-5 rad at position 300, which
    // peaked attention turns into probability differences above 1e-5.) Positions below n_hat
    // keep the original frequencies at magnitude 1 (LongRoPE paper).
    const RopeFrequencies fr = computeFrequencies(params, length, perLayer ? l : -1);
    const int half = static_cast<int>(fr.invFreq.size());
    const auto f32 = at::TensorOptions().dtype(at::kFloat);
    const at::Tensor shape = at::arange(0, 2 * half, 2, at::kLong).to(at::kFloat) / (2 * half);
    const at::Tensor power = at::pow(params.base, shape);
    std::vector<float> lambda(fr.factors.begin(), fr.factors.end());
    const at::Tensor scaled = 1.0 / (at::from_blob(lambda.data(), {half}, f32) * power);
    const at::Tensor original = 1.0 / (at::ones({half}, f32) * power);
    const at::Tensor pos = at::arange(start, length, at::kLong).to(at::kFloat).unsqueeze(1);
    at::Tensor freqs = pos * scaled.unsqueeze(0);  // [T, d/2]
    at::Tensor mag = at::full({length - start, 1}, fr.attentionFactor, f32);
    if (params.nHat > start) {
      const int64_t n = std::min(params.nHat, length) - start;
      freqs.narrow(0, 0, n).copy_(pos.narrow(0, 0, n) * original.unsqueeze(0));
      mag.narrow(0, 0, n).fill_(1.0);
    }
    const at::Tensor emb = at::cat({freqs, freqs}, -1);
    auto toDevice = [&](const at::Tensor& t) {
      return fr.attentionFactor == 1.0 && params.nHat <= 0 ? t.to(device, dtype).contiguous()
                                                           : (t * mag).to(device, dtype).contiguous();
    };
    cosOut.push_back(toDevice(emb.cos()));
    sinOut.push_back(toDevice(emb.sin()));
  }
}

void Transformer::Impl::prepareRope(int length) {
  if (length == cachedLength) return;
  ropeTables(rope, length, cos, sin);
  cachedLength = length;
}

at::Tensor Transformer::Impl::idsTensor(const std::vector<int64_t>& ids) const {
  if (ids.empty()) throw InputError("no input tokens");
  const int64_t vocab = spec.config.vocabSize;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= vocab) {
      throw InputError("token id " + std::to_string(ids[i]) + " at position " +
                       std::to_string(i) + " is outside the vocabulary [0, " +
                       std::to_string(vocab) + ")");
    }
  }
  if (ids.size() > static_cast<size_t>(1) << 30) throw InputError("input too long");
  return at::from_blob(const_cast<int64_t*>(ids.data()), {static_cast<int64_t>(ids.size())},
                       at::kLong)
      .to(device)
      .clone();
}

void Transformer::Impl::reserveCache(int64_t length) {
  const int64_t capacity = kvKeys.empty() ? 0 : kvKeys[0].size(1);
  if (length <= capacity) return;
  const ModelConfig& m = spec.config;
  const int64_t grown = std::max<int64_t>({length, 2 * capacity, 256});
  const auto opts = at::TensorOptions().dtype(dtype).device(device);
  kvKeys.resize(layers.size());
  kvValues.resize(layers.size());
  for (size_t l = 0; l < layers.size(); ++l) {
    for (at::Tensor* t : {&kvKeys[l], &kvValues[l]}) {
      at::Tensor bigger = at::empty({m.numKvHeads, grown, m.headDim}, opts);
      const int64_t n = static_cast<int64_t>(kvIds.size());
      if (n > 0) bigger.narrow(1, 0, n).copy_(t->narrow(1, 0, n));
      *t = bigger;
    }
  }
}

// The final-normed hidden states [T, H] of one sequence: ids at positions 0..T-1, or with
// cached = true at C..C+T-1 after the C cached ones (HF's per-pass RoPE: the tables of a pass
// of C + T tokens), whose keys and values it caches; the caller appends ids to kvIds.
at::Tensor Transformer::Impl::hidden(const at::Tensor& ids, bool cached) {
  const ModelConfig& m = spec.config;
  const int64_t T = ids.size(0), hd = m.headDim;
  const int64_t nq = m.numHeads * hd, nkv = m.numKvHeads * hd, inter = m.intermediateSize;
  const int64_t start = cached ? static_cast<int64_t>(kvIds.size()) : 0;
  std::vector<at::Tensor> passCos, passSin;
  if (cached) {  // (append() checked that start + T fits an int)
    ropeTables(rope, static_cast<int>(start + T), passCos, passSin, static_cast<int>(start));
    reserveCache(start + T);
  } else {
    prepareRope(static_cast<int>(T));
  }
  const std::vector<at::Tensor>& cosT = cached ? passCos : cos;
  const std::vector<at::Tensor>& sinT = cached ? passSin : sin;
  at::Tensor x = at::embedding(embed, ids);
  for (size_t l = 0; l < layers.size(); ++l) {
    const Layer& L = layers[l];
    const at::Tensor& c = cosT[cosT.size() == 1 ? 0 : l];
    const at::Tensor& s = sinT[sinT.size() == 1 ? 0 : l];
    {  // attention; its [T, ...] temporaries end with this scope, before the MLP's begin
      const at::Tensor qkv = linear(rmsNorm(x, L.inputNorm, m.rmsNormEps), L.qkv, L.qkvBias);
      // [T, n hd] -> [n, T, hd]
      at::Tensor q = qkv.narrow(1, 0, nq).view({T, m.numHeads, hd}).transpose(0, 1);
      at::Tensor k = qkv.narrow(1, nq, nkv).view({T, m.numKvHeads, hd}).transpose(0, 1);
      const at::Tensor v = qkv.narrow(1, nq + nkv, nkv).view({T, m.numKvHeads, hd}).transpose(0, 1);
      q = applyRope(q, c, s);
      k = applyRope(k, c, s);
      if (qkProbe && !qkProbe(l, q, k)) return at::Tensor();
      at::Tensor keys = k, values = v;
      if (cached) {
        kvKeys[l].narrow(1, start, T).copy_(k);
        kvValues[l].narrow(1, start, T).copy_(v);
        keys = kvKeys[l].narrow(1, 0, start + T);
        values = kvValues[l].narrow(1, 0, start + T);
      }
      const at::Tensor attn = causalAttention(q, keys, values, L.slidingWindow);  // [T, nH hd]
      x = x + linear(attn, L.o, L.oBias);
    }
    // The MLP over blocks of rows: its [rows, 2 I] activations are the layer's largest, and
    // long inputs then never hold them for every position at once.
    for (int64_t r0 = 0; r0 < T; r0 += kMlpRows) {
      at::Tensor xr = x.narrow(0, r0, std::min(kMlpRows, T - r0));
      const at::Tensor gu = linear(rmsNorm(xr, L.postNorm, m.rmsNormEps), L.gateUp, L.gateUpBias);
      const at::Tensor act = at::silu(gu.narrow(1, 0, inter)) * gu.narrow(1, inter, inter);
      xr.add_(linear(act, L.down, L.downBias));
    }
  }
  return rmsNorm(x, finalNorm, m.rmsNormEps);
}

// The final-normed hidden states [B, T, H] of one sequence under B RoPEs: hidden() with a
// batch dimension; attention runs over B x heads as independent heads.
at::Tensor Transformer::Impl::hiddenBatch(const at::Tensor& ids,
                                          const std::vector<RopeParams>& ropes) const {
  const ModelConfig& m = spec.config;
  const int64_t B = static_cast<int64_t>(ropes.size()), T = ids.size(0), hd = m.headDim;
  const int64_t nq = m.numHeads * hd, nkv = m.numKvHeads * hd, inter = m.intermediateSize;
  // Per candidate, its tables; stacked per layer to [B, 1, T, d].
  std::vector<std::vector<at::Tensor>> cs(ropes.size()), ss(ropes.size());
  bool perLayer = false;
  for (size_t b = 0; b < ropes.size(); ++b) {
    ropeTables(ropes[b], static_cast<int>(T), cs[b], ss[b]);
    perLayer = perLayer || cs[b].size() > 1;
  }
  auto stacked = [&](const std::vector<std::vector<at::Tensor>>& t, size_t l) {
    std::vector<at::Tensor> parts;
    for (const auto& per : t) parts.push_back(per[per.size() == 1 ? 0 : l]);
    return at::stack(parts).unsqueeze(1);
  };
  std::vector<at::Tensor> cosL, sinL;
  for (size_t l = 0; l < (perLayer ? layers.size() : 1); ++l) {
    cosL.push_back(stacked(cs, l));
    sinL.push_back(stacked(ss, l));
  }
  at::Tensor x = at::embedding(embed, ids).unsqueeze(0).expand({B, T, m.hiddenSize}).contiguous();
  for (size_t l = 0; l < layers.size(); ++l) {
    const Layer& L = layers[l];
    const at::Tensor& c = cosL[perLayer ? l : 0];
    const at::Tensor& s = sinL[perLayer ? l : 0];
    at::Tensor h = rmsNorm(x, L.inputNorm, m.rmsNormEps);
    const at::Tensor qkv = linear(h, L.qkv, L.qkvBias);
    // [B, T, n hd] -> [B, n, T, hd]
    auto heads = [&](int64_t from, int64_t width, int64_t n) {
      return qkv.narrow(2, from, width).view({B, T, n, hd}).permute({0, 2, 1, 3});
    };
    const at::Tensor q = applyRope(heads(0, nq, m.numHeads), c, s);
    const at::Tensor k = applyRope(heads(nq, nkv, m.numKvHeads), c, s);
    const at::Tensor v = heads(nq + nkv, nkv, m.numKvHeads);
    // Query head b nH + h reads kv head (b nH + h) / rep = b nKV + h / rep: GQA per candidate.
    const at::Tensor attn =
        causalAttention(q.reshape({B * m.numHeads, T, hd}), k.reshape({B * m.numKvHeads, T, hd}),
                        v.reshape({B * m.numKvHeads, T, hd}), L.slidingWindow)
            .view({T, B, nq})
            .transpose(0, 1);
    x = x + linear(attn, L.o, L.oBias);
    h = rmsNorm(x, L.postNorm, m.rmsNormEps);
    const at::Tensor gu = linear(h, L.gateUp, L.gateUpBias);
    const at::Tensor act = at::silu(gu.narrow(-1, 0, inter)) * gu.narrow(-1, inter, inter);
    x = x + linear(act, L.down, L.downBias);
  }
  return rmsNorm(x, finalNorm, m.rmsNormEps);
}

// Calls fn(start, float32 logits [n, vocab]) for rows [first, first + count) of h in chunks.
template <typename Fn>
void Transformer::Impl::forEachLogitChunk(const at::Tensor& h, int64_t first, int64_t count,
                                          Fn&& fn) const {
  const int64_t vocab = spec.config.vocabSize;
  const int64_t rows = std::max<int64_t>(1, kLogitsChunkBytes / (vocab * 4));
  for (int64_t start = first; start < first + count; start += rows) {
    const int64_t n = std::min(rows, first + count - start);
    fn(start, at::matmul(h.narrow(0, start, n), lmHead.t()).to(at::kFloat));
  }
}

Transformer::Transformer(const std::string& folder, const Options& options,
                         const LoadProgress& progress)
    : m_impl(std::make_unique<Impl>()) {
  Impl& d = *m_impl;
  d.options = options;
  try {
    d.device = at::Device(options.device);
  } catch (const std::exception&) {
    throw InputError("unknown device '" + options.device + "' (cpu, cuda, cuda:N)");
  }
  if (d.device.is_cuda() && !at::hasCUDA()) {
    throw InputError("device " + options.device +
                     " is not available (no CUDA in this LibTorch build or no visible GPU); "
                     "use --device cpu");
  }
  if (!d.device.is_cpu() && !d.device.is_cuda()) {
    throw InputError("device '" + options.device + "' is not supported (cpu, cuda)");
  }
  d.dtype = scalarType(options.dtype);
  if (d.device.is_cpu()) applyCpuThreadPolicy(options.threads);
  c10::InferenceMode guard;
  d.load(folder, progress);
}

Transformer::~Transformer() = default;

const ModelConfig& Transformer::config() const { return m_impl->spec.config; }
const Transformer::Options& Transformer::options() const { return m_impl->options; }
const RopeParams& Transformer::rope() const { return m_impl->rope; }

void Transformer::setRope(const RopeParams& params) {
  m_impl->checkRope(params);
  m_impl->rope = params;
  m_impl->cachedLength = -1;
}

void Transformer::Impl::checkRope(const RopeParams& params) const {
  if (params.headDim != spec.config.headDim || rope::rotaryDim(params) != rotaryDim) {
    throw InputError("RoPE for head dim " + std::to_string(params.headDim) + " / rotary dim " +
                     std::to_string(rope::rotaryDim(params)) + " does not fit the model (head dim " +
                     std::to_string(spec.config.headDim) + ", rotary dim " +
                     std::to_string(rotaryDim) + ")");
  }
  validateParams(params);
  if (!params.layerFactors.empty() && params.layerFactors.size() != layers.size()) {
    throw InputError("per-layer factors for " + std::to_string(params.layerFactors.size()) +
                     " layers, the model has " + std::to_string(layers.size()));
  }
}

void Transformer::setFactorSet(const FactorSet& set) {
  setRope(applyFactorSet(m_impl->spec.config.rope, set));
}

void Transformer::resetRope() { setRope(m_impl->spec.config.rope); }

std::vector<float> Transformer::Impl::logitRows(const at::Tensor& h, int64_t firstRow) const {
  const int64_t T = h.size(0), vocab = spec.config.vocabSize;
  std::vector<float> out(static_cast<size_t>((T - firstRow) * vocab));
  forEachLogitChunk(h, firstRow, T - firstRow, [&](int64_t start, const at::Tensor& chunk) {
    const at::Tensor cpu = chunk.to(at::kCPU).contiguous();
    std::memcpy(out.data() + (start - firstRow) * vocab, cpu.data_ptr<float>(),
                cpu.numel() * sizeof(float));
  });
  return out;
}

namespace {
void checkFirstRow(int firstRow, size_t tokens) {
  if (firstRow < 0 || firstRow >= std::max<int64_t>(1, static_cast<int64_t>(tokens))) {
    throw InputError("first logits row " + std::to_string(firstRow) + " outside [0, " +
                     std::to_string(tokens) + ")");
  }
}
}  // namespace

std::vector<float> Transformer::logits(const std::vector<int64_t>& ids, int firstRow) {
  c10::InferenceMode guard;
  checkFirstRow(firstRow, ids.size());
  Impl& d = *m_impl;
  return d.logitRows(d.hidden(d.idsTensor(ids)), firstRow);
}

std::vector<float> Transformer::append(const std::vector<int64_t>& ids, int firstRow) {
  c10::InferenceMode guard;
  checkFirstRow(firstRow, ids.size());
  Impl& d = *m_impl;
  const at::Tensor idt = d.idsTensor(ids);
  const int64_t cached = static_cast<int64_t>(d.kvIds.size());
  const int64_t total = cached + static_cast<int64_t>(ids.size());
  if (total > std::numeric_limits<int>::max()) throw InputError("input too long");
  const bool passLong = d.rope.method == RopeMethod::LongRope &&
                        computeFrequencies(d.rope, static_cast<int>(total)).longFactorsUsed;
  std::vector<float> rows;
  if (cached > 0 && passLong != d.kvLong) {
    // The switch flipped: the cached keys were rotated with the other factor set. As
    // transformers' Phi-3 generate() does, the cache is dropped and the whole sequence runs
    // again in this pass.
    std::vector<int64_t> all = std::move(d.kvIds);
    all.insert(all.end(), ids.begin(), ids.end());
    d.kvIds.clear();
    rows = d.logitRows(d.hidden(d.idsTensor(all), true), cached + firstRow);
    d.kvIds = std::move(all);
  } else {
    rows = d.logitRows(d.hidden(idt, true), firstRow);
    d.kvIds.insert(d.kvIds.end(), ids.begin(), ids.end());
  }
  d.kvLong = passLong;
  return rows;
}

void Transformer::truncateCache(int64_t n) {
  Impl& d = *m_impl;
  const int64_t cached = static_cast<int64_t>(d.kvIds.size());
  if (n < 0 || n > cached) {
    throw InputError("cannot keep " + std::to_string(n) + " of " + std::to_string(cached) +
                     " cached positions");
  }
  d.kvIds.resize(n);
  if (n == 0) {  // an empty cache holds no memory
    d.kvKeys.clear();
    d.kvValues.clear();
  }
}

int64_t Transformer::cachedTokens() const { return static_cast<int64_t>(m_impl->kvIds.size()); }

Transformer::Nll Transformer::nll(const std::vector<int64_t>& ids, int firstScored) {
  c10::InferenceMode guard;
  Impl& d = *m_impl;
  const int64_t T = static_cast<int64_t>(ids.size());
  if (firstScored < 1 || firstScored >= T) {
    throw InputError("nothing to score: first scored position " + std::to_string(firstScored) +
                     " of " + std::to_string(T) + " tokens (need 1 <= first < length)");
  }
  const at::Tensor idt = d.idsTensor(ids);
  const at::Tensor h = d.hidden(idt);
  // Position t predicts token t + 1.
  at::Tensor total = at::zeros({}, at::TensorOptions().dtype(at::kDouble).device(d.device));
  d.forEachLogitChunk(h, firstScored - 1, T - firstScored,
                      [&](int64_t start, const at::Tensor& chunk) {
                        const at::Tensor target = idt.narrow(0, start + 1, chunk.size(0));
                        const at::Tensor logp = at::log_softmax(chunk, -1);
                        total -= logp.gather(1, target.unsqueeze(1)).sum().to(at::kDouble);
                      });
  return {total.item<double>(), T - firstScored};
}

std::vector<Transformer::Nll> Transformer::nllBatch(const std::vector<int64_t>& ids,
                                                   const std::vector<RopeParams>& ropes,
                                                   int firstScored) {
  c10::InferenceMode guard;
  Impl& d = *m_impl;
  const int64_t T = static_cast<int64_t>(ids.size());
  if (firstScored < 1 || firstScored >= T) {
    throw InputError("nothing to score: first scored position " + std::to_string(firstScored) +
                     " of " + std::to_string(T) + " tokens (need 1 <= first < length)");
  }
  if (ropes.empty()) return {};
  for (const auto& r : ropes) d.checkRope(r);
  const at::Tensor idt = d.idsTensor(ids);
  const at::Tensor h = d.hiddenBatch(idt, ropes);
  std::vector<Nll> out;
  for (int64_t b = 0; b < h.size(0); ++b) {
    at::Tensor total = at::zeros({}, at::TensorOptions().dtype(at::kDouble).device(d.device));
    d.forEachLogitChunk(h[b], firstScored - 1, T - firstScored,
                        [&](int64_t start, const at::Tensor& chunk) {
                          const at::Tensor target = idt.narrow(0, start + 1, chunk.size(0));
                          const at::Tensor logp = at::log_softmax(chunk, -1);
                          total -= logp.gather(1, target.unsqueeze(1)).sum().to(at::kDouble);
                        });
    out.push_back({total.item<double>(), T - firstScored});
  }
  return out;
}

bool Transformer::forEachLayerQK(const std::vector<int64_t>& ids, int lastLayer,
                                 const std::function<bool(const RotatedQK&)>& fn) {
  c10::InferenceMode guard;
  Impl& d = *m_impl;
  const ModelConfig& m = d.spec.config;
  if (lastLayer < 0 || lastLayer >= m.numLayers) {
    throw InputError("layer " + std::to_string(lastLayer) + " is out of range: the model has " +
                     std::to_string(m.numLayers) + " layers (0.." +
                     std::to_string(m.numLayers - 1) + ")");
  }
  const at::Tensor idt = d.idsTensor(ids);
  bool stopped = false;
  d.qkProbe = [&](size_t l, const at::Tensor& q, const at::Tensor& k) {
    const at::Tensor qf = q.to(at::kCPU, at::kFloat).contiguous();
    const at::Tensor kf = k.to(at::kCPU, at::kFloat).contiguous();
    RotatedQK r;
    r.layer = static_cast<int>(l);
    r.tokens = q.size(1);
    r.numHeads = m.numHeads;
    r.numKvHeads = m.numKvHeads;
    r.headDim = m.headDim;
    r.rotaryDim = d.rotaryDim;
    r.slidingWindow = d.layers[l].slidingWindow;
    r.q = qf.data_ptr<float>();
    r.k = kf.data_ptr<float>();
    stopped = !fn(r);
    return !stopped && static_cast<int>(l) < lastLayer;
  };
  struct Reset {
    Impl& d;
    ~Reset() { d.qkProbe = nullptr; }
  } reset{d};
  d.hidden(idt);
  return !stopped;
}

}  // namespace rope
