#include "analysis/attention_analysis.h"

#include <algorithm>
#include <chrono>
#include <sstream>

#include "rope/rope_math.h"
#include "train/demo_assets.h"
#include "util/error.h"

namespace rope::attention {
namespace {

std::vector<int> resolveList(const std::vector<int>& asked, int count, const char* what) {
  std::vector<int> out = asked;
  if (out.empty()) {
    for (int i = 0; i < count; ++i) out.push_back(i);
  }
  for (int v : out) {
    if (v < 0 || v >= count) {
      throw InputError(std::string(what) + " " + std::to_string(v) +
                       " is out of range: the model has " + std::to_string(count) + " " + what +
                       "s (0.." + std::to_string(count - 1) + ")");
    }
  }
  return out;
}

std::string describe(const RopeParams& r, const std::optional<FactorSet>& set) {
  std::ostringstream s;
  if (set) s << (set->name.empty() ? std::string("factor set") : set->name) << ": ";
  s << methodName(r.method);
  if (r.attentionFactor) s << ", attention factor " << *r.attentionFactor;
  if (r.nHat > 0) s << ", n_hat " << r.nHat;
  return s.str();
}

}  // namespace

std::vector<int64_t> pairShareRows(int64_t tokens, int count) {
  std::vector<int64_t> rows;
  if (tokens <= 0 || count <= 0) return rows;
  const int64_t n = std::min<int64_t>(count, tokens);
  for (int64_t r = 0; r < n; ++r) {
    rows.push_back(n == 1 ? tokens - 1 : (tokens - 1) * (r + 1) / n);
  }
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  return rows;
}

Result analyze(Transformer& model, const Params& params, const Progress& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  Result result;
  auto finish = [&](Status status, const std::string& error) {
    result.status = status;
    result.valid = status == Status::Ok;
    result.error = error;
    result.elapsedSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!result.valid) result.heads.clear();
    return result;
  };
  try {
    const ModelConfig& m = model.config();
    const RopeRestore restore(model, params.factorSet, params.rope);
    const int64_t T = static_cast<int64_t>(params.ids.size());
    if (T == 0) throw InputError("no input tokens");
    const std::vector<int> layers = resolveList(params.layers, m.numLayers, "layer");
    const std::vector<int> heads = resolveList(params.heads, m.numHeads, "head");
    if (params.grid > 0) resolveRegion(params.region, T);
    if (params.keepFull && static_cast<double>(heads.size() * layers.size()) * T * T * 4 >
                               static_cast<double>(4ll << 30)) {
      throw InputError("the full attention of " + std::to_string(layers.size() * heads.size()) +
                       " heads at " + std::to_string(T) +
                       " tokens exceeds 4 GiB; ask for fewer heads or tokens");
    }
    const RopeParams& rope = model.rope();
    result.tokens = T;
    result.numLayers = m.numLayers;
    result.numHeads = m.numHeads;
    result.ropePairs = rotaryDim(rope) / 2;
    result.partialRotary = rotaryDim(rope) < m.headDim;
    result.trainingWindow = params.trainingWindow > 0 ? params.trainingWindow
                            : rope.originalMaxPosition > 0 ? rope.originalMaxPosition
                                                           : rope.maxPosition;
    result.ropeDescription = params.factorSet || params.rope
                                 ? describe(rope, params.factorSet)
                                 : "config (" + methodName(rope.method) + ")";

    // Blocks of at most 512 rows also skip most of the masked triangle (keys < last row + 1).
    const int64_t blockRows = std::min<int64_t>(blockRowsFor(T, params.blockBytes), 512);
    const int64_t blocksPerHead = (T + blockRows - 1) / blockRows;
    const int64_t total = blocksPerHead * static_cast<int64_t>(layers.size() * heads.size());
    int64_t done = 0;
    bool cancelled = false;
    const int lastLayer = *std::max_element(layers.begin(), layers.end());
    const std::vector<int64_t> shareRows = pairShareRows(T, params.pairShareRows);
    std::vector<std::vector<HeadSummary>> byLayer(m.numLayers);
    model.forEachLayerQK(params.ids, lastLayer, [&](const Transformer::RotatedQK& qk) {
      if (std::find(layers.begin(), layers.end(), qk.layer) == layers.end()) {
        // A layer passed through: still a point to cancel at (the forward pass is the long part).
        if (progress && !progress(done, total)) cancelled = true;
        return !cancelled;
      }
      for (int h : heads) {
        HeadAccumulator acc(qk.layer, h, T, result.trainingWindow, params.sinkTokens, params.grid,
                            params.pooling, params.region, params.keepFull);
        const bool complete = forEachProbabilityBlock(qk, h, blockRows, [&](const auto& block) {
          acc.add(block);
          ++done;
          if (progress && !progress(done, total)) cancelled = true;
          return !cancelled;
        });
        if (!complete) return false;
        HeadSummary s = acc.finish();
        s.pairShare = pairLogitShares(qk, h, shareRows);
        byLayer[qk.layer].push_back(std::move(s));
      }
      return true;
    });
    if (cancelled) return finish(Status::Cancelled, "cancelled");
    for (int l : layers) {
      for (HeadSummary& s : byLayer[l]) result.heads.push_back(std::move(s));
      byLayer[l].clear();
    }
    return finish(Status::Ok, "");
  } catch (const CancelledError&) {
    return finish(Status::Cancelled, "cancelled");
  } catch (const std::exception& e) {
    return finish(Status::Failed, e.what());
  }
}

Result run(const Params& params, const Progress& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  try {
    Transformer model(resolveModel(params.modelDir), params.engine);
    Result r = analyze(model, params, progress);
    r.elapsedSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
  } catch (const std::exception& e) {
    Result r;
    r.error = e.what();
    r.elapsedSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
  }
}

}  // namespace rope::attention
