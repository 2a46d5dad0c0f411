#pragma once
// Internal to the engine (includes ATen): causal self-attention with grouped-query heads.
// Not a public header of core.

#include <ATen/ATen.h>

namespace rope {

// q: [nH, T, hd], k and v: [nKV, T, hd] with nH a multiple of nKV (HF repeat_kv: query head h
// reads kv head h / (nH / nKV)). Scaled by hd^-0.5, causal, and with slidingWindow > 0 a query
// at i sees keys j with i - j < slidingWindow. Softmax in float32 as HF's eager attention does.
// Returns [T, nH * hd] in q's dtype. With LibTorch 2.x and no effective window, uses
// scaled_dot_product_attention; otherwise an explicit attention over blocks of query rows, so
// the score matrix never exceeds a fixed budget however long T is.
at::Tensor causalAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           int slidingWindow);

}  // namespace rope
