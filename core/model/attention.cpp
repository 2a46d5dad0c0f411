#include "model/attention.h"

#include <torch/version.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "model/item_threads.h"

namespace rope {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Bytes of float32 attention scores one block of query rows may use (explicitAttention).
constexpr int64_t kScoreBudgetBytes = 256ll << 20;
// Rows per block at most (see explicitAttention).
constexpr int64_t kMaxBlockRows = 512;

// True where key j may not be seen by query i: j > i, or i - j >= window (window > 0).
at::Tensor maskFor(int64_t i0, int64_t rows, int64_t j0, int64_t cols, int window,
                   const at::TensorOptions& options) {
  const at::Tensor i = at::arange(i0, i0 + rows, options.dtype(at::kLong)).unsqueeze(1);
  const at::Tensor j = at::arange(j0, j0 + cols, options.dtype(at::kLong)).unsqueeze(0);
  at::Tensor masked = j > i;
  if (window > 0) masked.logical_or_(i - j >= window);
  return masked;
}

}  // namespace

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
  for (int64_t t0 = 0; t0 < T; t0 += block) {
    const int64_t n = std::min(block, T - t0);
    const int64_t kEnd = t0 + n;  // causal: keys < t0 + n
    const int64_t kStart = window > 0 ? std::max<int64_t>(0, t0 - window + 1) : 0;
    const int64_t kLen = kEnd - kStart;
    const at::Tensor qc = qg.narrow(2, t0, n).reshape({nKV, rep * n, hd});
    const at::Tensor kc = k.narrow(1, kStart, kLen);
    const at::Tensor vc = v.narrow(1, kStart, kLen);
    at::Tensor scores = at::matmul(qc, kc.transpose(1, 2)).mul_(scale).view({nKV, rep, n, kLen});
    scores.masked_fill_(maskFor(t0, n, kStart, kLen, window, q.options()), -kInf);
    const at::Tensor p = at::softmax(scores, -1, at::kFloat).to(q.scalar_type());
    const at::Tensor o = at::matmul(p.view({nKV, rep * n, kLen}), vc);  // [nKV, rep n, hd]
    out.narrow(0, t0, n).copy_(o.view({nH, n, hd}).transpose(0, 1));
  }
  return out.view({T, nH * hd});
}

at::Tensor tiledAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int window,
                          const AttentionTiles& tiles) {
  const int64_t nH = q.size(0), T = q.size(1), hd = q.size(2), nKV = k.size(0);
  const int64_t rep = nH / nKV;
  const int64_t offset = k.size(1) - T;  // query row t is position offset + t
  const int64_t rowsPerBlock = std::max<int64_t>(1, tiles.queryRows);
  const int64_t colsPerTile = std::max<int64_t>(1, tiles.keyColumns);
  const int64_t blocks = (T + rowsPerBlock - 1) / rowsPerBlock;
  const double scale = 1.0 / std::sqrt(static_cast<double>(hd));
  const auto f32 = q.options().dtype(at::kFloat);
  // Query heads that share a kv head side by side: [nKV, rep, T, hd]; k and v contiguous once,
  // so each tile below is a plain strided slice.
  const at::Tensor qg = q.reshape({nKV, rep, T, hd});
  const at::Tensor kc = k.contiguous(), vc = v.contiguous();
  at::Tensor out = at::empty({T, nH, hd}, q.options());

  // One work item: the rep query heads of kv head g over the rows of query block b.
  auto work = [&](int64_t g, int64_t b) {
    const int64_t t0 = b * rowsPerBlock, n = std::min(rowsPerBlock, T - t0);
    const int64_t p0 = offset + t0;  // the block's first position
    const int64_t kEnd = p0 + n;     // causal: no key beyond the block's last row
    const int64_t kStart = window > 0 ? std::max<int64_t>(0, p0 - window + 1) : 0;
    // Float32 queries are scaled once here rather than every score; lower precisions scale
    // their float32 scores (hd^-0.5 rounded into bfloat16 queries costs accuracy).
    const bool scaleQueries = q.scalar_type() == at::kFloat;
    const at::Tensor rows = qg[g].narrow(1, t0, n).reshape({rep * n, hd});
    const at::Tensor qb = scaleQueries ? rows * scale : rows;
    const at::Tensor kg = kc[g], vg = vc[g];
    // Running row maximum m, row sum l of exp(s - m) and output acc = sum exp(s - m) v.
    at::Tensor m = at::full({rep * n, 1}, -kInf, f32);
    at::Tensor l = at::zeros({rep * n, 1}, f32);
    at::Tensor acc = at::zeros({rep * n, hd}, f32);
    for (int64_t j0 = kStart; j0 < kEnd; j0 += colsPerTile) {
      const int64_t cols = std::min(colsPerTile, kEnd - j0);
      at::Tensor s = at::mm(qb, kg.narrow(0, j0, cols).t());
      if (!scaleQueries) s = s.mul_(scale).to(at::kFloat);  // HF's order: scaled in dtype
      const bool crossesDiagonal = j0 + cols - 1 > p0;
      const bool crossesWindow = window > 0 && kEnd - 1 - j0 >= window;
      if (crossesDiagonal || crossesWindow) {
        s.view({rep, n, cols}).masked_fill_(maskFor(p0, n, j0, cols, window, q.options()), -kInf);
      }
      const at::Tensor mNew = at::maximum(m, s.amax(-1, true));
      // A row with every key so far masked keeps m = -inf; shifting by 0 there makes its
      // exp() terms 0 instead of NaN.
      const at::Tensor shift = at::where(mNew == -kInf, at::zeros({}, f32), mNew);
      s.sub_(shift).exp_();  // s is now p = exp(s - m_new)
      const at::Tensor correction = (m - shift).exp_();
      l.mul_(correction).add_(s.sum(-1, true));
      acc.mul_(correction).add_(at::mm(s.to(v.scalar_type()), vg.narrow(0, j0, cols)));
      m = mNew;
    }
    const at::Tensor o = acc.div_(l).to(q.scalar_type()).view({rep, n, hd});
    out.narrow(0, t0, n).narrow(1, g * rep, rep).copy_(o.transpose(0, 1));
  };

  // Work items go to the threads one at a time, the most expensive first (late blocks see the
  // most keys), so that the threads finish together.
  runItems(itemThreads(q), nKV * blocks, [&](int64_t i) { work(i % nKV, blocks - 1 - i / nKV); });
  return out.view({T, nH * hd});
}

at::Tensor causalAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           int slidingWindow) {
  const int64_t S = k.size(1);
  const int window = (slidingWindow > 0 && slidingWindow < S) ? slidingWindow : 0;
#if TORCH_VERSION_MAJOR >= 2
  // (Its causal mask is aligned to the first key, not the last: queries after cached keys
  // take the tiled path.)
  const int64_t T = q.size(1);
  if (window == 0 && S == T) {
    const int64_t nH = q.size(0), hd = q.size(2), nKV = k.size(0);
    auto expand = [&](const at::Tensor& x) {
      return x.unsqueeze(1).expand({nKV, nH / nKV, T, hd}).reshape({1, nH, T, hd});
    };
    const at::Tensor o =
        at::scaled_dot_product_attention(q.unsqueeze(0), expand(k), expand(v), {}, 0.0, true);
    return o.squeeze(0).transpose(0, 1).reshape({T, nH * hd});
  }
#endif
  return tiledAttention(q, k, v, window);
}

}  // namespace rope
