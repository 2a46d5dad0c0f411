#pragma once
// Internal to the trainer (includes LibTorch): the demo model as torch modules whose
// parameter names are Hugging Face LlamaForCausalLM's (model.layers.N.self_attn.q_proj.weight,
// ...), with tied input and output embeddings.

#include <torch/torch.h>

namespace rope {

struct RmsNormImpl : torch::nn::Module {
  RmsNormImpl(int hidden, double eps);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;
  double eps;
};
TORCH_MODULE(RmsNorm);

// The trainer's causal attention over blocks of query rows: block [s, e) of `rows` rows scores
// only keys 0..e-1, so the products and the softmax skip the masked upper triangle except
// inside the diagonal blocks. q [BK, G, T, D] (the G query heads of each of BK sequence x kv
// head pairs), k, v [BK, T, D]; bias [T, T] the causal bias (0, -inf above the diagonal);
// scores scaled by `scale`. Returns [BK, G, T, D].
// blockAttention: tensor ops that autograd differentiates (the reference, and the path on CUDA).
torch::Tensor blockAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             const torch::Tensor& bias, double scale, int64_t rows);
// blockAttentionItems: the same arithmetic as one autograd node whose forward and backward run
// each of the BK pairs as a work item on the item threads (model/item_threads.h): under the
// CPU policy autograd would run every op of the attention on one thread between products split
// across the cores. The probabilities are kept for the backward, as autograd keeps a softmax's
// output. CPU tensors.
torch::Tensor blockAttentionItems(const torch::Tensor& q, const torch::Tensor& k,
                                  const torch::Tensor& v, const torch::Tensor& bias, double scale,
                                  int64_t rows);
// Rows per block for T query rows: about 128, at least 4 blocks (measured: 8 blocks at
// T = 1024 beat 4 by 4-30%); one block below 32 rows.
int64_t attentionBlockRows(int64_t t);

struct AttentionImpl : torch::nn::Module {
  AttentionImpl(int hidden, int heads, int kvHeads);
  // x [B, T, hidden]; cos, sin [T, head_dim] (rotate_half layout); bias [T, T]: the causal
  // bias (0, -inf above the diagonal).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& bias);
  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
  int heads, kvHeads, headDim;
};
TORCH_MODULE(Attention);

struct MlpImpl : torch::nn::Module {
  MlpImpl(int hidden, int intermediate);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Linear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};
};
TORCH_MODULE(Mlp);

struct DecoderLayerImpl : torch::nn::Module {
  DecoderLayerImpl(int hidden, int heads, int kvHeads, int intermediate, double eps);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& mask);
  RmsNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
  Attention self_attn{nullptr};
  Mlp mlp{nullptr};
};
TORCH_MODULE(DecoderLayer);

struct LlamaBodyImpl : torch::nn::Module {
  LlamaBodyImpl(int vocab, int hidden, int layers, int heads, int kvHeads, int intermediate,
                double eps);
  torch::nn::Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers;
  RmsNorm norm{nullptr};
};
TORCH_MODULE(LlamaBody);

struct TinyLlamaImpl : torch::nn::Module {
  TinyLlamaImpl(int vocab, int hidden, int layers, int heads, int kvHeads, int intermediate,
                double eps);
  // ids [B, T] -> logits [B, T, vocab]
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& cos,
                        const torch::Tensor& sin);
  LlamaBody model{nullptr};
};
TORCH_MODULE(TinyLlama);

// GPT-2 style initialisation: N(0, 0.02), output projections scaled by 1/sqrt(2 layers),
// norms at one. Deterministic for a given torch::manual_seed.
void initialiseWeights(TinyLlama& model, int layers);

}  // namespace rope
