#include "train/trainer_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "model/item_threads.h"

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

int64_t attentionBlockRows(int64_t t) {
  const int64_t blocks = t >= 32 ? std::max<int64_t>(4, t / 128) : 1;
  return (t + blocks - 1) / blocks;
}

// Each block's scores come from one baddbmm whose epilogue adds the causal bias and applies
// the scale, where separate scale and masked_fill passes would each cost a pass over the
// scores. Grouped-query heads share their K/V without copies: the G query heads of one KV head
// are stacked as G x rows against its keys.
torch::Tensor blockAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             const torch::Tensor& bias, double scale, int64_t rows) {
  const int64_t bk = q.size(0), groups = q.size(1), t = q.size(2), d = q.size(3);
  std::vector<torch::Tensor> out;
  for (int64_t s = 0; s < t; s += rows) {
    const int64_t n = std::min(rows, t - s), e = s + n;
    const auto qb = q.narrow(2, s, n).reshape({bk, groups * n, d});
    const auto biasb = bias.narrow(0, s, n).narrow(1, 0, e).repeat({groups, 1});
    const auto scores = torch::baddbmm(biasb, qb, k.narrow(1, 0, e).transpose(1, 2), 1.0, scale);
    out.push_back(
        torch::bmm(torch::softmax(scores, -1), v.narrow(1, 0, e)).view({bk, groups, n, d}));
  }
  return out.size() == 1 ? out.front() : torch::cat(out, 2);
}

namespace {

class BlockAttentionItems : public torch::autograd::Function<BlockAttentionItems> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& q,
                               const torch::Tensor& k, const torch::Tensor& v,
                               const torch::Tensor& bias, double scale, int64_t rows) {
    const auto qc = q.contiguous(), kc = k.contiguous(), vc = v.contiguous();
    const int64_t bk = q.size(0), groups = q.size(1), t = q.size(2), d = q.size(3);
    const int64_t blocks = (t + rows - 1) / rows;
    auto out = torch::empty_like(qc);
    std::vector<torch::Tensor> probs(bk * blocks), biases(blocks);
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t s = b * rows, n = std::min(rows, t - s);
      biases[b] = bias.narrow(0, s, n).narrow(1, 0, s + n).repeat({groups, 1});
    }
    runItems(itemThreads(qc), bk, [&](int64_t i) {
      const auto qi = qc[i], ki = kc[i], vi = vc[i], oi = out[i];
      for (int64_t b = 0; b < blocks; ++b) {
        const int64_t s = b * rows, n = std::min(rows, t - s), e = s + n;
        const auto scores = torch::addmm(biases[b], qi.narrow(1, s, n).reshape({groups * n, d}),
                                         ki.narrow(0, 0, e).t(), 1.0, scale);
        auto p = torch::softmax(scores, -1);
        oi.narrow(1, s, n).copy_(torch::mm(p, vi.narrow(0, 0, e)).view({groups, n, d}));
        probs[i * blocks + b] = std::move(p);
      }
    });
    ctx->save_for_backward({qc, kc, vc});
    ctx->saved_data["probs"] = probs;
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["rows"] = rows;
    return out;
  }

  // Per block, with P its probabilities and dO its output gradient: dV += P^T dO,
  // dS = softmax_backward(dO V^T, P) * scale, dQ = dS K, dK += dS^T Q.
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &q = saved[0], &k = saved[1], &v = saved[2];
    const auto probs = ctx->saved_data["probs"].toTensorVector();
    const double scale = ctx->saved_data["scale"].toDouble();
    const int64_t rows = ctx->saved_data["rows"].toInt();
    const auto go = grads[0].contiguous();
    const int64_t bk = q.size(0), groups = q.size(1), t = q.size(2), d = q.size(3);
    const int64_t blocks = (t + rows - 1) / rows;
    auto gq = torch::empty_like(q), gk = torch::zeros_like(k), gv = torch::zeros_like(v);
    runItems(itemThreads(q), bk, [&](int64_t i) {
      const auto qi = q[i], ki = k[i], vi = v[i], goi = go[i], gqi = gq[i];
      auto gki = gk[i], gvi = gv[i];
      for (int64_t b = 0; b < blocks; ++b) {
        const int64_t s = b * rows, n = std::min(rows, t - s), e = s + n;
        const auto& p = probs[i * blocks + b];
        const auto gob = goi.narrow(1, s, n).reshape({groups * n, d});
        gvi.narrow(0, 0, e).addmm_(p.t(), gob);
        const auto gp = torch::mm(gob, vi.narrow(0, 0, e).t());
        const auto gs = torch::_softmax_backward_data(gp, p, -1, p.scalar_type()).mul_(scale);
        gqi.narrow(1, s, n).copy_(torch::mm(gs, ki.narrow(0, 0, e)).view({groups, n, d}));
        gki.narrow(0, 0, e).addmm_(gs.t(), qi.narrow(1, s, n).reshape({groups * n, d}));
      }
    });
    return {gq, gk, gv, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor blockAttentionItems(const torch::Tensor& q, const torch::Tensor& k,
                                  const torch::Tensor& v, const torch::Tensor& bias, double scale,
                                  int64_t rows) {
  return BlockAttentionItems::apply(q, k, v, bias, scale, rows);
}

AttentionImpl::AttentionImpl(int hidden, int heads_, int kvHeads_)
    : heads(heads_), kvHeads(kvHeads_), headDim(hidden / heads_) {
  q_proj = register_module("q_proj", linear(hidden, heads * headDim));
  k_proj = register_module("k_proj", linear(hidden, kvHeads * headDim));
  v_proj = register_module("v_proj", linear(hidden, kvHeads * headDim));
  o_proj = register_module("o_proj", linear(heads * headDim, hidden));
}

// RoPE on q and k, then the causal attention over blocks of query rows (blockAttentionItems on
// the CPU, blockAttention elsewhere).
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
  const int64_t rows = attentionBlockRows(t);
  const auto y = x.is_cpu() ? blockAttentionItems(q4, k3, v3, bias, scale, rows)
                            : blockAttention(q4, k3, v3, bias, scale, rows);  // [b kv, g, t, d]
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
