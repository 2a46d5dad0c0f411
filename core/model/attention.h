#pragma once
// Internal to the engine (includes ATen): causal self-attention with grouped-query heads.
// Not a public header of core.
//
// Shapes and semantics shared by the functions below: q is [nH, T, hd], k and v are
// [nKV, S, hd] with nH a multiple of nKV (HF repeat_kv: query head h reads kv head
// h / (nH / nKV)) and S >= T: the queries are the last T of the S positions (S > T when earlier
// keys come from a key/value cache; explicitAttention needs S = T). Scores are scaled by
// hd^-0.5, causal, and with window > 0 a query at i sees keys j with i - j < window. Softmax
// statistics in float32 as HF's eager attention does. The result is [T, nH * hd] in q's dtype.

#include <ATen/ATen.h>

namespace rope {

// The engine's attention. With LibTorch 2.x, no effective window and no cached keys (S = T),
// scaled_dot_product_attention; otherwise tiledAttention. Memory beyond q, k, v and the
// output does not grow with T.
at::Tensor causalAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           int slidingWindow);

// Rows of queries and columns of keys per tile of tiledAttention.
struct AttentionTiles {
  int64_t queryRows = 256;
  int64_t keyColumns = 512;
};

// Flash-attention's online softmax on the CPU: blocks of queries against tiles of keys with a
// running row maximum, row sum and float32 output accumulator; tiles above the causal diagonal
// or wholly outside the window are never computed, only tiles crossing those edges are masked.
// Work items (a kv head's query heads over one block of rows) run in parallel on torch's
// intra-op threads, or, under applyCpuThreadPolicy (torch's pool one thread, OpenBLAS n), on n
// threads of their own with OpenBLAS single-threaded meanwhile. Each holds rep x queryRows x
// keyColumns float32 scores: the memory beyond the output does not grow with T.
at::Tensor tiledAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int window,
                          const AttentionTiles& tiles = {});

// The explicit attention: each block of query rows gets its full probability rows (softmax over
// every key up to the block's last row) before they multiply v. Memory grows with T (blocks
// shrink to keep the scores within a fixed budget). The reference tiledAttention is tested
// against.
at::Tensor explicitAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                             int window);

}  // namespace rope
