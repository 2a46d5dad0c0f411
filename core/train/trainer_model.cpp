#include "train/trainer_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace rope {
namespace {

torch::nn::Linear linear(int in, int out) {
  return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(false));
}

torch::Tensor rotateHalf(const torch::Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  return torch::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

}  // namespace

RmsNormImpl::RmsNormImpl(int hidden, double eps_) : eps(eps_) {
  weight = register_parameter("weight", torch::ones({hidden}));
}

// HF LlamaRMSNorm: x * rsqrt(mean(x^2) + eps), computed in float32, times the weight.
torch::Tensor RmsNormImpl::forward(const torch::Tensor& x) {
  const auto xf = x.to(torch::kFloat32);
  const auto normed = xf * torch::rsqrt(xf.pow(2).mean(-1, true) + eps);
  return weight * normed.to(x.scalar_type());
}

AttentionImpl::AttentionImpl(int hidden, int heads_, int kvHeads_)
    : heads(heads_), kvHeads(kvHeads_), headDim(hidden / heads_) {
  q_proj = register_module("q_proj", linear(hidden, heads * headDim));
  k_proj = register_module("k_proj", linear(hidden, kvHeads * headDim));
  v_proj = register_module("v_proj", linear(hidden, kvHeads * headDim));
  o_proj = register_module("o_proj", linear(heads * headDim, hidden));
}

// Causal attention in blocks of query rows: block [s, e) scores only keys 0..e-1, so the
// products and the softmax skip the masked upper triangle except inside the diagonal blocks
// (with n blocks, (n + 1) / 2n of the full T x T work, forward and backward). Each block's
// scores come from one baddbmm whose epilogue adds the causal bias (0 / -inf) and applies
// 1/sqrt(d), where separate scale and masked_fill passes would each cost a pass over the
// scores. Grouped-query heads share their K/V without copies: the g query heads of one KV head
// are stacked as g x rows against its keys.
torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& cos,
                                     const torch::Tensor& sin, const torch::Tensor& bias) {
  const int64_t b = x.size(0), t = x.size(1), groups = heads / kvHeads;
  auto q = q_proj(x).view({b, t, heads, headDim}).transpose(1, 2);
  auto k = k_proj(x).view({b, t, kvHeads, headDim}).transpose(1, 2);
  auto v = v_proj(x).view({b, t, kvHeads, headDim}).transpose(1, 2);
  q = q * cos + rotateHalf(q) * sin;
  k = k * cos + rotateHalf(k) * sin;
  const auto q4 = q.reshape({b * kvHeads, groups, t, headDim});
  const auto k3 = k.reshape({b * kvHeads, t, headDim});
  const auto v3 = v.reshape({b * kvHeads, t, headDim});
  const double scale = 1.0 / std::sqrt(double(headDim));
  // Blocks of about 128 rows, at least 4 (measured: 8 blocks at T = 1024 beat 4 by 4-30%).
  const int64_t blocks = t >= 32 ? std::max<int64_t>(4, t / 128) : 1;
  const int64_t rows = (t + blocks - 1) / blocks;
  std::vector<torch::Tensor> out;
  for (int64_t s = 0; s < t; s += rows) {
    const int64_t n = std::min(rows, t - s), e = s + n;
    const auto qb = q4.narrow(2, s, n).reshape({b * kvHeads, groups * n, headDim});
    const auto biasb = bias.narrow(0, s, n).narrow(1, 0, e).repeat({groups, 1});
    const auto scores = torch::baddbmm(biasb, qb, k3.narrow(1, 0, e).transpose(1, 2), 1.0, scale);
    out.push_back(torch::bmm(torch::softmax(scores, -1), v3.narrow(1, 0, e))
                      .view({b * kvHeads, groups, n, headDim}));
  }
  const auto y = out.size() == 1 ? out.front() : torch::cat(out, 2);  // [b kv, g, t, d]
  return o_proj(y.view({b, heads, t, headDim}).transpose(1, 2).reshape({b, t, heads * headDim}));
}

MlpImpl::MlpImpl(int hidden, int intermediate) {
  gate_proj = register_module("gate_proj", linear(hidden, intermediate));
  up_proj = register_module("up_proj", linear(hidden, intermediate));
  down_proj = register_module("down_proj", linear(intermediate, hidden));
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x) {
  return down_proj(torch::silu(gate_proj(x)) * up_proj(x));
}

DecoderLayerImpl::DecoderLayerImpl(int hidden, int heads, int kvHeads, int intermediate,
                                   double eps) {
  input_layernorm = register_module("input_layernorm", RmsNorm(hidden, eps));
  self_attn = register_module("self_attn", Attention(hidden, heads, kvHeads));
  post_attention_layernorm = register_module("post_attention_layernorm", RmsNorm(hidden, eps));
  mlp = register_module("mlp", Mlp(hidden, intermediate));
}

torch::Tensor DecoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& cos,
                                        const torch::Tensor& sin, const torch::Tensor& mask) {
  auto h = x + self_attn(input_layernorm(x), cos, sin, mask);
  return h + mlp(post_attention_layernorm(h));
}

LlamaBodyImpl::LlamaBodyImpl(int vocab, int hidden, int nLayers, int heads, int kvHeads,
                             int intermediate, double eps) {
  embed_tokens = register_module("embed_tokens", torch::nn::Embedding(vocab, hidden));
  for (int i = 0; i < nLayers; ++i) {
    layers->push_back(DecoderLayer(hidden, heads, kvHeads, intermediate, eps));
  }
  register_module("layers", layers);
  norm = register_module("norm", RmsNorm(hidden, eps));
}

TinyLlamaImpl::TinyLlamaImpl(int vocab, int hidden, int layers, int heads, int kvHeads,
                             int intermediate, double eps) {
  model =
      register_module("model", LlamaBody(vocab, hidden, layers, heads, kvHeads, intermediate, eps));
}

torch::Tensor TinyLlamaImpl::forward(const torch::Tensor& ids, const torch::Tensor& cos,
                                     const torch::Tensor& sin) {
  const int64_t t = ids.size(1);
  // The causal bias of the attention's baddbmm: -inf above the diagonal.
  const auto mask = torch::full({t, t}, -std::numeric_limits<float>::infinity(),
                                torch::TensorOptions().dtype(torch::kFloat32).device(ids.device()))
                        .triu(1);
  auto h = model->embed_tokens(ids);
  for (const auto& layer : *model->layers) {
    h = layer->as<DecoderLayer>()->forward(h, cos, sin, mask);
  }
  h = model->norm(h);
  return torch::matmul(h, model->embed_tokens->weight.t());  // tied output embedding
}

void initialiseWeights(TinyLlama& m, int layers) {
  torch::NoGradGuard noGrad;
  const double outStd = 0.02 / std::sqrt(2.0 * layers);
  for (auto& p : m->named_parameters()) {
    const std::string& name = p.key();
    if (name.find("layernorm") != std::string::npos || name.find("model.norm") == 0) {
      p.value().fill_(1.0);
    } else if (name.find("o_proj") != std::string::npos ||
               name.find("down_proj") != std::string::npos) {
      p.value().normal_(0.0, outStd);
    } else {
      p.value().normal_(0.0, 0.02);
    }
  }
}

}  // namespace rope
