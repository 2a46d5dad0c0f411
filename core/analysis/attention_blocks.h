#pragma once
// Causal softmax attention probabilities from one layer's rotated queries and keys
// (Transformer::forEachLayerQK), one query head and one block of query rows at a time, so a
// long context never holds a whole T x T matrix. Numerics as Hugging Face's eager attention:
// scores = (q k^T) * head_dim^-0.5 in float32, keys after the query (and, with a sliding
// window w, keys at distance >= w) masked, softmax in float32; GQA maps query head h to kv head
// h / (numHeads / numKvHeads). Torch-free header; the LibTorch code is in attention_blocks.cpp.
// Pure functions of their inputs; thread-safe.

#include <cstdint>
#include <functional>
#include <vector>

#include "model/transformer.h"

namespace rope::attention {

// One block of probability rows of one head.
struct ProbabilityBlock {
  int head = 0;
  int64_t firstRow = 0;            // query position of row 0
  int64_t rows = 0;
  int64_t keys = 0;                // every row covers keys 0..keys-1 (keys = firstRow + rows)
  const float* probs = nullptr;    // [rows, keys] row-major; masked keys hold exactly 0
  const float* entropy = nullptr;  // [rows]: -sum_j p log p, nats
};
// Returns false to stop.
using BlockFn = std::function<bool(const ProbabilityBlock&)>;

// Rows per block such that one block's float32 scores stay under about budgetBytes (>= 1).
int64_t blockRowsFor(int64_t tokens, int64_t budgetBytes);

// Calls fn for the blocks of query rows [rowBegin, rowEnd) of query head `head` in order
// (rowEnd <= 0: T). Returns false when fn stopped. InputError for a head or rows out of range.
bool forEachProbabilityBlock(const Transformer::RotatedQK& qk, int head, int64_t blockRows,
                             const BlockFn& fn, int64_t rowBegin = 0, int64_t rowEnd = 0);

// Logit share per RoPE pair: where a query's attention logits come from. The logit q.k is a
// sum over RoPE pairs p (dims p and p + d/2 in rotate_half layout) of c_p = q_p k_p +
// q_{p+d/2} k_{p+d/2}, plus the non-rotary dims of a partial-rotary model. For each query row
// i in `rows`, pair p's share is sum_j a_ij |c_p(i,j)| / sum_p' sum_j a_ij |c_p'(i,j)| (a: the
// attention probabilities, so it measures the keys the query actually attends to); returned
// is the mean over the rows: rotaryDim/2 values, plus one for the non-rotary dims when
// rotaryDim < headDim. Sums to 1. Empty rows: empty result.
std::vector<double> pairLogitShares(const Transformer::RotatedQK& qk, int head,
                                    const std::vector<int64_t>& rows);

}  // namespace rope::attention
