#include "analysis/attention_summary.h"

#include <algorithm>
#include <string>

#include "util/error.h"

namespace rope::attention {
namespace {

int64_t splitPoint(int64_t begin, int64_t length, int cells, int cell) {
  return begin + length * cell / cells;
}

}  // namespace

int64_t AttentionGrid::queryOf(int row) const {
  return splitPoint(region.queryBegin, region.queryEnd - region.queryBegin, rows, row);
}
int64_t AttentionGrid::queryEndOf(int row) const {
  return splitPoint(region.queryBegin, region.queryEnd - region.queryBegin, rows, row + 1);
}
int64_t AttentionGrid::keyOf(int col) const {
  return splitPoint(region.keyBegin, region.keyEnd - region.keyBegin, cols, col);
}
int64_t AttentionGrid::keyEndOf(int col) const {
  return splitPoint(region.keyBegin, region.keyEnd - region.keyBegin, cols, col + 1);
}

Region resolveRegion(const Region& region, int64_t tokens) {
  Region r = region;
  if (r.queryEnd <= 0) r.queryEnd = tokens;
  if (r.keyEnd <= 0) r.keyEnd = tokens;
  if (r.queryBegin < 0 || r.queryBegin >= r.queryEnd || r.queryEnd > tokens || r.keyBegin < 0 ||
      r.keyBegin >= r.keyEnd || r.keyEnd > tokens) {
    throw InputError("region queries [" + std::to_string(r.queryBegin) + ", " +
                     std::to_string(r.queryEnd) + "), keys [" + std::to_string(r.keyBegin) +
                     ", " + std::to_string(r.keyEnd) + ") is empty or outside the " +
                     std::to_string(tokens) + " tokens");
  }
  return r;
}

HeadAccumulator::HeadAccumulator(int layer, int head, int64_t tokens, int64_t window,
                                 int sinkTokens, int grid, Pooling pooling, const Region& region,
                                 bool keepFull)
    : m_window(window), m_sinkTokens(sinkTokens), m_keepFull(keepFull) {
  m_s.layer = layer;
  m_s.head = head;
  m_s.tokens = tokens;
  const size_t T = static_cast<size_t>(tokens);
  m_s.entropy.assign(T, 0.f);
  m_s.sinkMass.assign(T, 0.f);
  m_s.beyondWindowMass.assign(T, 0.f);
  m_sumByDistance.assign(T, 0.0);
  if (keepFull) m_s.full.assign(T * T, 0.f);
  if (grid > 0) {
    AttentionGrid& g = m_s.grid;
    g.region = resolveRegion(region, tokens);
    g.pooling = pooling;
    g.rows = static_cast<int>(std::min<int64_t>(grid, g.region.queryEnd - g.region.queryBegin));
    g.cols = static_cast<int>(std::min<int64_t>(grid, g.region.keyEnd - g.region.keyBegin));
    g.values.assign(static_cast<size_t>(g.rows) * g.cols, 0.f);
    if (pooling == Pooling::Mean) m_gridSum.assign(g.values.size(), 0.0);
    m_cellOfKey.assign(T, -1);
    for (int c = 0; c < g.cols; ++c) {
      for (int64_t j = g.keyOf(c); j < g.keyEndOf(c); ++j) m_cellOfKey[j] = c;
    }
  }
}

void HeadAccumulator::add(const ProbabilityBlock& b) {
  const int64_t T = m_s.tokens;
  AttentionGrid& g = m_s.grid;
  const int64_t nq = g.region.queryEnd - g.region.queryBegin;
  for (int64_t r = 0; r < b.rows; ++r) {
    const int64_t i = b.firstRow + r;
    const float* p = b.probs + r * b.keys;
    m_s.entropy[i] = b.entropy[r];
    double sink = 0, beyond = 0;
    for (int64_t j = 0; j < std::min<int64_t>(m_sinkTokens, i + 1); ++j) sink += p[j];
    for (int64_t j = 0; j <= i - m_window; ++j) beyond += p[j];
    m_s.sinkMass[i] = static_cast<float>(sink);
    m_s.beyondWindowMass[i] = static_cast<float>(beyond);
    double* byDistance = m_sumByDistance.data() + i;  // distance i - j
    for (int64_t j = 0; j <= i; ++j) *(byDistance - j) += p[j];
    if (m_keepFull) std::copy(p, p + i + 1, m_s.full.begin() + i * T);
    if (g.rows > 0 && i >= g.region.queryBegin && i < g.region.queryEnd) {
      const int64_t row = (i - g.region.queryBegin) * g.rows / nq;
      // The cell boundaries of splitPoint: row = floor((i - begin) * rows / nq) can differ
      // from the cell that holds i by rounding; fix it up against the exact boundaries.
      int cell = static_cast<int>(row);
      while (cell + 1 < g.rows && i >= g.queryOf(cell + 1)) ++cell;
      while (cell > 0 && i < g.queryOf(cell)) --cell;
      const int64_t jEnd = std::min<int64_t>(i + 1, g.region.keyEnd);
      const size_t base = static_cast<size_t>(cell) * g.cols;
      if (g.pooling == Pooling::Max) {
        for (int64_t j = g.region.keyBegin; j < jEnd; ++j) {
          float& v = g.values[base + m_cellOfKey[j]];
          v = std::max(v, p[j]);
        }
      } else {
        for (int64_t j = g.region.keyBegin; j < jEnd; ++j) m_gridSum[base + m_cellOfKey[j]] += p[j];
      }
    }
  }
}

HeadSummary HeadAccumulator::finish() {
  const int64_t T = m_s.tokens;
  AttentionGrid& g = m_s.grid;
  if (g.rows > 0 && g.pooling == Pooling::Mean) {
    for (int r = 0; r < g.rows; ++r) {
      for (int c = 0; c < g.cols; ++c) {
        const double area =
            static_cast<double>(g.queryEndOf(r) - g.queryOf(r)) * (g.keyEndOf(c) - g.keyOf(c));
        g.values[static_cast<size_t>(r) * g.cols + c] =
            static_cast<float>(m_gridSum[static_cast<size_t>(r) * g.cols + c] / area);
      }
    }
  }
  m_s.meanByDistance.resize(T);
  for (int64_t d = 0; d < T; ++d) m_s.meanByDistance[d] = m_sumByDistance[d] / (T - d);
  double e = 0, s = 0, b = 0;
  for (int64_t i = 0; i < T; ++i) {
    e += m_s.entropy[i];
    s += m_s.sinkMass[i];
    if (i >= m_window) b += m_s.beyondWindowMass[i];
  }
  m_s.meanEntropy = e / T;
  m_s.meanSinkMass = s / T;
  m_s.meanBeyondWindowMass = T > m_window ? b / (T - m_window) : 0.0;
  return std::move(m_s);
}

std::vector<double> binnedMeans(const std::vector<float>& values, int bins) {
  const int64_t n = static_cast<int64_t>(values.size());
  bins = static_cast<int>(std::min<int64_t>(std::max(bins, 1), std::max<int64_t>(n, 1)));
  std::vector<double> out;
  if (n == 0) return out;
  for (int b = 0; b < bins; ++b) {
    const int64_t first = n * b / bins, last = n * (b + 1) / bins;
    double sum = 0;
    for (int64_t i = first; i < last; ++i) sum += values[i];
    out.push_back(sum / std::max<int64_t>(1, last - first));
  }
  return out;
}

}  // namespace rope::attention
