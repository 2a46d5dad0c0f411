#pragma once
// What the attention analyses keep of one head's T x T probabilities, accumulated block by
// block (attention_blocks.h) in O(T + grid) memory: entropy, attention-sink mass and mass
// beyond the training window per query position, mean attention per distance, and the matrix
// pooled to a display grid (max or mean per cell). Plain C++; one accumulator per head, not
// shared between threads.

#include <cstdint>
#include <vector>

#include "analysis/attention_blocks.h"

namespace rope::attention {

enum class Pooling { Max, Mean };

// The rectangle of the T x T matrix a grid covers: queries [queryBegin, queryEnd) and keys
// [keyBegin, keyEnd). End 0 means T.
struct Region {
  int64_t queryBegin = 0, queryEnd = 0;
  int64_t keyBegin = 0, keyEnd = 0;
};

// The probabilities of a region pooled to rows x cols cells: cell (r, c) covers queries
// [queryBegin + r * nq / rows, ...) and keys likewise; with pooling Max it holds the largest
// probability in the cell, with Mean the mean over all its (query, key) pairs, masked (future)
// pairs counted as 0. rows = min(grid, nq), cols = min(grid, nk): no pooling when it fits.
struct AttentionGrid {
  int rows = 0, cols = 0;
  Region region;  // resolved: ends > 0
  Pooling pooling = Pooling::Max;
  std::vector<float> values;  // rows x cols, row-major (row: query cell)

  // The query/key range of a cell row/column: [first, last].
  int64_t queryOf(int row) const;
  int64_t keyOf(int col) const;
  int64_t queryEndOf(int row) const;  // exclusive
  int64_t keyEndOf(int col) const;    // exclusive
};

struct HeadSummary {
  int layer = 0, head = 0;
  int64_t tokens = 0;
  std::vector<float> entropy;           // [T] nats, per query position
  std::vector<float> sinkMass;          // [T] probability on keys 0..sinkTokens-1
  std::vector<float> beyondWindowMass;  // [T] probability on keys j with i - j >= window
  std::vector<double> meanByDistance;   // [T] mean probability at distance d = i - j over
                                        // the queries that have such a key
  AttentionGrid grid;
  std::vector<float> full;              // [T, T] when kept (short inputs: rope-cli)
  std::vector<double> pairShare;        // logit share per RoPE pair (pairLogitShares)

  double meanEntropy = 0;               // over all query positions
  double meanSinkMass = 0;              // over all query positions
  double meanBeyondWindowMass = 0;      // over query positions >= window (0 if none)
};

class HeadAccumulator {
 public:
  // window: the training window (distance threshold); sinkTokens: first keys counted as sink;
  // grid 0: no grid.
  HeadAccumulator(int layer, int head, int64_t tokens, int64_t window, int sinkTokens, int grid,
                  Pooling pooling, const Region& region, bool keepFull);

  // Adds a block of rows (any order; each row once).
  void add(const ProbabilityBlock& block);
  // The summary once every row was added.
  HeadSummary finish();

 private:
  HeadSummary m_s;
  int64_t m_window;
  int m_sinkTokens;
  bool m_keepFull;
  std::vector<int> m_cellOfKey;   // key -> grid column, -1 outside the region
  std::vector<double> m_gridSum;  // Mean pooling
  std::vector<double> m_sumByDistance;
};

// Resolves ends of 0 to T; InputError for an empty or out-of-range region.
Region resolveRegion(const Region& region, int64_t tokens);

// Means of consecutive runs of values in `bins` equal bins (curves vs position).
std::vector<double> binnedMeans(const std::vector<float>& values, int bins);

}  // namespace rope::attention
