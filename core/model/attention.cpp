#include "model/attention.h"

#include <torch/version.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace rope {
namespace {

// Bytes of float32 attention scores one block of query rows may use.
constexpr int64_t kScoreBudgetBytes = 256ll << 20;
// Rows per block at most (see explicitAttention).
constexpr int64_t kMaxBlockRows = 512;

at::Tensor explicitAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                             int window) {
  const int64_t nH = q.size(0), T = q.size(1), hd = q.size(2), nKV = k.size(0);
  const int64_t rep = nH / nKV;
  const double scale = 1.0 / std::sqrt(static_cast<double>(hd));
  // Group the query heads that share a kv head: [nKV, rep, T, hd].
  const at::Tensor qg = q.reshape({nKV, rep, T, hd});
  // At most kMaxBlockRows rows as well: each block computes keys up to its last row only, so
  // smaller blocks skip more of the masked upper triangle (8 blocks: ~56% of T^2, 2: 75%).
  const int64_t block =
      std::clamp<int64_t>(kScoreBudgetBytes / (nH * T * 4 * 2), 1, std::min(T, kMaxBlockRows));
  at::Tensor out = at::empty({T, nH, hd}, q.options());
  const at::Tensor rows = at::arange(T, q.options().dtype(at::kLong));
  for (int64_t t0 = 0; t0 < T; t0 += block) {
    const int64_t n = std::min(block, T - t0);
    const int64_t kEnd = t0 + n;  // causal: keys < t0 + n
    const int64_t kStart = window > 0 ? std::max<int64_t>(0, t0 - window + 1) : 0;
    const int64_t kLen = kEnd - kStart;
    const at::Tensor qc = qg.narrow(2, t0, n).reshape({nKV, rep * n, hd});
    const at::Tensor kc = k.narrow(1, kStart, kLen);
    const at::Tensor vc = v.narrow(1, kStart, kLen);
    at::Tensor scores = at::matmul(qc, kc.transpose(1, 2)).mul_(scale).view({nKV, rep, n, kLen});
    // Masked where key > query, or query - key >= window.
    const at::Tensor qi = rows.narrow(0, t0, n).unsqueeze(1);
    const at::Tensor kj = rows.narrow(0, kStart, kLen).unsqueeze(0);
    at::Tensor masked = kj > qi;
    if (window > 0) masked = masked.logical_or(qi - kj >= window);
    scores.masked_fill_(masked, -std::numeric_limits<double>::infinity());
    const at::Tensor p = at::softmax(scores, -1, at::kFloat).to(q.scalar_type());
    const at::Tensor o = at::matmul(p.view({nKV, rep * n, kLen}), vc);  // [nKV, rep n, hd]
    out.narrow(0, t0, n).copy_(o.view({nH, n, hd}).transpose(0, 1));
  }
  return out.view({T, nH * hd});
}

}  // namespace

at::Tensor causalAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           int slidingWindow) {
  const int64_t T = q.size(1);
  const int window = (slidingWindow > 0 && slidingWindow < T) ? slidingWindow : 0;
#if TORCH_VERSION_MAJOR >= 2
  if (window == 0) {
    const int64_t nH = q.size(0), hd = q.size(2), nKV = k.size(0);
    auto expand = [&](const at::Tensor& x) {
      return x.unsqueeze(1).expand({nKV, nH / nKV, T, hd}).reshape({1, nH, T, hd});
    };
    const at::Tensor o = at::scaled_dot_product_attention(q.unsqueeze(0), expand(k), expand(v),
                                                          {}, 0.0, true);
    return o.squeeze(0).transpose(0, 1).reshape({T, nH * hd});
  }
#endif
  return explicitAttention(q, k, v, window);
}

}  // namespace rope
