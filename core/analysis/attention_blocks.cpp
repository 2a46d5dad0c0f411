// The LibTorch part of the attention analyses: probability blocks and per-pair logit shares.
#include "analysis/attention_blocks.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "util/error.h"

namespace rope::attention {
namespace {

void checkHead(const Transformer::RotatedQK& qk, int head) {
  if (head < 0 || head >= qk.numHeads) {
    throw InputError("head " + std::to_string(head) + " is out of range: layer " +
                     std::to_string(qk.layer) + " has " + std::to_string(qk.numHeads) +
                     " heads (0.." + std::to_string(qk.numHeads - 1) + ")");
  }
}

// Views (no copies) of one query head's q and its kv head's k: [T, hd] each.
std::pair<at::Tensor, at::Tensor> headViews(const Transformer::RotatedQK& qk, int head) {
  const int64_t T = qk.tokens, hd = qk.headDim;
  const int kv = head / (qk.numHeads / qk.numKvHeads);
  auto view = [&](const float* base, int index) {
    return at::from_blob(const_cast<float*>(base) + index * T * hd, {T, hd}, at::kFloat);
  };
  return {view(qk.q, head), view(qk.k, kv)};
}

// Float32 scores [n, keys] of rows [t0, t0 + n) against keys [0, keys), masked with -inf.
at::Tensor maskedScores(const Transformer::RotatedQK& qk, const at::Tensor& q,
                        const at::Tensor& k, int64_t t0, int64_t n, int64_t keys,
                        at::Tensor* maskOut) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(qk.headDim));
  // As HF: matmul(q, k^T) * scaling, then the mask.
  at::Tensor scores = at::matmul(q.narrow(0, t0, n), k.narrow(0, 0, keys).t()).mul_(scale);
  const auto longs = at::TensorOptions().dtype(at::kLong);
  const at::Tensor qi = at::arange(t0, t0 + n, longs).unsqueeze(1);
  const at::Tensor kj = at::arange(0, keys, longs).unsqueeze(0);
  at::Tensor masked = kj > qi;
  const int window = qk.slidingWindow;
  if (window > 0 && window < qk.tokens) masked = masked.logical_or(qi - kj >= window);
  scores.masked_fill_(masked, -std::numeric_limits<double>::infinity());
  if (maskOut) *maskOut = masked;
  return scores;
}

}  // namespace

int64_t blockRowsFor(int64_t tokens, int64_t budgetBytes) {
  return std::clamp<int64_t>(budgetBytes / (std::max<int64_t>(tokens, 1) * 4), 1,
                             std::max<int64_t>(tokens, 1));
}

bool forEachProbabilityBlock(const Transformer::RotatedQK& qk, int head, int64_t blockRows,
                             const BlockFn& fn, int64_t rowBegin, int64_t rowEnd) {
  checkHead(qk, head);
  const int64_t T = qk.tokens;
  if (rowEnd <= 0) rowEnd = T;
  if (rowBegin < 0 || rowBegin >= rowEnd || rowEnd > T) {
    throw InputError("query rows [" + std::to_string(rowBegin) + ", " + std::to_string(rowEnd) +
                     ") outside the " + std::to_string(T) + " tokens");
  }
  c10::InferenceMode guard;
  const auto [q, k] = headViews(qk, head);
  blockRows = std::max<int64_t>(1, blockRows);
  for (int64_t t0 = rowBegin; t0 < rowEnd; t0 += blockRows) {
    const int64_t n = std::min(blockRows, rowEnd - t0), keys = t0 + n;
    at::Tensor masked;
    const at::Tensor scores = maskedScores(qk, q, k, t0, n, keys, &masked);
    const at::Tensor p = at::softmax(scores, -1, at::kFloat).contiguous();
    // Entropy from log-probabilities; masked keys contribute 0 (not 0 * -inf).
    const at::Tensor logp = at::log_softmax(scores, -1, at::kFloat).masked_fill_(masked, 0.0);
    const at::Tensor h = (p * logp).sum(-1).neg_().contiguous();
    ProbabilityBlock b;
    b.head = head;
    b.firstRow = t0;
    b.rows = n;
    b.keys = keys;
    b.probs = p.data_ptr<float>();
    b.entropy = h.data_ptr<float>();
    if (!fn(b)) return false;
  }
  return true;
}

std::vector<double> pairLogitShares(const Transformer::RotatedQK& qk, int head,
                                    const std::vector<int64_t>& rows) {
  checkHead(qk, head);
  if (rows.empty()) return {};
  c10::InferenceMode guard;
  const auto [q, k] = headViews(qk, head);
  const int64_t d = qk.rotaryDim, half = d / 2, hd = qk.headDim;
  const bool rest = d < hd;
  at::Tensor total = at::zeros({half + (rest ? 1 : 0)}, at::kDouble);
  for (const int64_t i : rows) {
    if (i < 0 || i >= qk.tokens) {
      throw InputError("query row " + std::to_string(i) + " outside the " +
                       std::to_string(qk.tokens) + " tokens");
    }
    const int64_t keys = i + 1;
    const at::Tensor p = at::softmax(maskedScores(qk, q, k, i, 1, keys, nullptr), -1, at::kFloat)
                             .squeeze(0);  // [keys]
    const at::Tensor qi = q[i], kk = k.narrow(0, 0, keys);
    // c_p(i, j) for every key: [keys, half].
    const at::Tensor c = kk.narrow(1, 0, half) * qi.narrow(0, 0, half) +
                         kk.narrow(1, half, half) * qi.narrow(0, half, half);
    at::Tensor w = at::matmul(p.unsqueeze(0), c.abs()).squeeze(0);  // [half]
    if (rest) {
      const at::Tensor r = at::matmul(kk.narrow(1, d, hd - d), qi.narrow(0, d, hd - d));
      w = at::cat({w, at::dot(p, r.abs()).unsqueeze(0)});
    }
    const at::Tensor wd = w.to(at::kDouble);
    const double sum = wd.sum().item<double>();
    if (sum > 0) total += wd / sum;
  }
  total /= static_cast<double>(rows.size());
  return std::vector<double>(total.data_ptr<double>(), total.data_ptr<double>() + total.numel());
}

}  // namespace rope::attention
