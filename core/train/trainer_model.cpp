#include "train/trainer_model.h"

#include <cmath>
#include <limits>

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

// One GEMM per score block: baddbmm adds the causal bias (0 or -inf) and applies the 1/sqrt(d)
// scale in its epilogue, where separate scale and masked_fill passes (and their backward)
// each cost a pass over every score. Grouped-query heads share their K/V without copying
// them: the g query heads of one KV head are stacked as g x T rows against its T keys (the
// bias repeated g times; TinyLlamaImpl::forward builds it).
torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& cos,
                                     const torch::Tensor& sin, const torch::Tensor& bias) {
  const int64_t b = x.size(0), t = x.size(1), groups = heads / kvHeads;
  auto q = q_proj(x).view({b, t, heads, headDim}).transpose(1, 2);
  auto k = k_proj(x).view({b, t, kvHeads, headDim}).transpose(1, 2);
  auto v = v_proj(x).view({b, t, kvHeads, headDim}).transpose(1, 2);
  q = q * cos + rotateHalf(q) * sin;
  k = k * cos + rotateHalf(k) * sin;
  const auto q3 = q.reshape({b * kvHeads, groups * t, headDim});
  const auto k3 = k.reshape({b * kvHeads, t, headDim});
  const auto v3 = v.reshape({b * kvHeads, t, headDim});
  const auto scores =
      torch::baddbmm(bias, q3, k3.transpose(1, 2), 1.0, 1.0 / std::sqrt(double(headDim)));
  const auto y = torch::bmm(torch::softmax(scores, -1), v3);  // [b kv, g t, d] = [b, h, t, d]
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
                             int intermediate, double eps)
    : queryGroups(heads / kvHeads) {
  model =
      register_module("model", LlamaBody(vocab, hidden, layers, heads, kvHeads, intermediate, eps));
}

torch::Tensor TinyLlamaImpl::forward(const torch::Tensor& ids, const torch::Tensor& cos,
                                     const torch::Tensor& sin) {
  const int64_t t = ids.size(1);
  // The causal bias of the attention's baddbmm: -inf above the diagonal, once per group of
  // query heads that share a KV head (AttentionImpl::forward).
  const auto mask = torch::full({t, t}, -std::numeric_limits<float>::infinity(),
                                torch::TensorOptions().dtype(torch::kFloat32).device(ids.device()))
                        .triu(1)
                        .repeat({queryGroups, 1});
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
