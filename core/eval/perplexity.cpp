#include "eval/perplexity.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>

#include "data/tokenizer.h"
#include "rope/rope_math.h"
#include "util/bytes.h"
#include "util/guarded_run.h"
#include "util/error.h"

namespace rope::perplexity {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// The [begin, end) windows and their first scored position for one document.
struct Window {
  size_t begin, end;
  int firstScored;
};

std::vector<Window> windows(size_t docLen, int length, int stride, int scoreFrom) {
  if (stride <= 0) return {{0, static_cast<size_t>(length), std::max(1, scoreFrom)}};
  std::vector<Window> out;
  size_t prevEnd = 0;
  for (size_t begin = 0; begin < docLen; begin += stride) {
    const size_t end = std::min(begin + length, docLen);
    const size_t scoredFrom = std::max(prevEnd, begin + 1);  // token 0 has no context
    if (end > scoredFrom) out.push_back({begin, end, static_cast<int>(scoredFrom - begin)});
    prevEnd = end;
    if (end == docLen) break;
  }
  return out;
}

}  // namespace

Result evaluate(Transformer& model, const TokenDataset& data, const Params& p,
                const Progress& progress) {
  const auto t0 = Clock::now();
  if (p.lengths.empty()) throw InputError("no evaluation lengths given");
  if (p.samples <= 0) throw InputError("samples must be positive, got " + std::to_string(p.samples));
  if (p.stride < 0) throw InputError("stride must not be negative, got " + std::to_string(p.stride));
  for (int len : p.lengths) {
    if (len < 2) throw InputError("evaluation length must be at least 2, got " + std::to_string(len));
    if (p.scoreFrom >= len) {
      throw InputError("scoring from position " + std::to_string(p.scoreFrom) +
                       " leaves nothing to score at length " + std::to_string(len));
    }
  }
  if (p.scoreFrom < 1) {
    throw InputError("the first scored position must be at least 1, got " +
                     std::to_string(p.scoreFrom));
  }
  if (p.scoreFrom > 1 && p.stride > 0) {
    throw InputError("scoring from a position applies to truncated evaluation, not to --stride");
  }
  const RopeRestore restore(model, p.factorSet, p.rope);

  Result r;
  Methodology& m = r.methodology;
  m.lengths = p.lengths;
  m.samples = p.samples;
  m.stride = p.stride;
  m.scoreFrom = p.scoreFrom;
  m.dtype = computeDTypeName(model.options().dtype);
  m.device = model.options().device;
  m.architecture = model.config().architecture;
  m.model = p.modelDir;
  m.datasetFingerprint = data.fingerprint;
  m.datasetDescription = data.description;
  m.ropeMethod = methodName(model.rope().method);
  m.ropeSource = p.ropeSource;
  const int longest = *std::max_element(p.lengths.begin(), p.lengths.end());
  const RopeFrequencies fr = computeFrequencies(model.rope(), longest);
  m.attentionFactor = fr.attentionFactor;
  m.ropeFactors = fr.factors;

  // Plan every forward pass first, so progress knows the total and bad lengths fail early.
  struct Pass {
    size_t lengthIndex, doc;
    Window w;
  };
  std::vector<Pass> passes;
  std::vector<int> used(p.lengths.size(), 0);
  for (size_t li = 0; li < p.lengths.size(); ++li) {
    const int len = p.lengths[li];
    for (size_t d = 0; d < data.documents.size() && used[li] < p.samples; ++d) {
      const size_t n = data.documents[d].size();
      if (n < static_cast<size_t>(len)) continue;
      ++used[li];
      for (const Window& w : windows(n, len, p.stride, p.scoreFrom)) passes.push_back({li, d, w});
    }
    if (used[li] == 0) {
      throw InputError("no document has at least " + std::to_string(len) + " tokens (" +
                       data.description + ", longest " + std::to_string(data.longestDocument()) +
                       ")");
    }
    if (used[li] < p.samples) {
      r.warnings.push_back("length " + std::to_string(len) + ": only " + std::to_string(used[li]) +
                           " of " + std::to_string(p.samples) + " documents are long enough");
    }
  }

  // Each pass's NLL as 16 bytes (sum, tokens), summed per length in pass order below.
  const int total = static_cast<int>(passes.size());
  // Set by progress, read by the tasks, which may run on another thread (cluster farms).
  std::atomic<bool> cancelled = false;
  const TaskFn pass = [&](int i) {
    if (cancelled) throw CancelledError();
    const Pass& ps = passes[i];
    const auto& doc = data.documents[ps.doc];
    const std::vector<int64_t> ids(doc.begin() + ps.w.begin, doc.begin() + ps.w.end);
    const Transformer::Nll nll = model.nll(ids, ps.w.firstScored);
    return ByteWriter().put(nll.sum).put<int64_t>(nll.tokens).take();
  };
  const std::vector<std::string> nlls = (p.distribute ? p.distribute : runHere)(
      total, pass, [&](int done) { cancelled = progress && !progress(done, total); });
  if (cancelled) throw CancelledError();
  std::vector<double> sums(p.lengths.size(), 0);
  std::vector<int64_t> tokens(p.lengths.size(), 0);
  for (int i = 0; i < total; ++i) {
    ByteReader in(nlls[i]);
    sums[passes[i].lengthIndex] += in.get<double>();
    tokens[passes[i].lengthIndex] += in.get<int64_t>();
  }
  for (size_t li = 0; li < p.lengths.size(); ++li) {
    LengthResult lr;
    lr.length = p.lengths[li];
    lr.samples = used[li];
    lr.tokens = tokens[li];
    lr.nll = sums[li] / static_cast<double>(tokens[li]);
    lr.ppl = std::exp(lr.nll);
    r.results.push_back(lr);
  }
  r.valid = true;
  r.status = Status::Ok;
  r.elapsedSeconds = secondsSince(t0);
  return r;
}

Result run(const Params& p, const Progress& progress) {
  return guardedRun<Result>([&] {
    TokenSource source = p.data;
    if (source.tokenizerPath.empty()) source.tokenizerPath = Tokenizer::modelTokenizerPath(p.modelDir);
    const TokenDataset data = loadTokens(source);
    Transformer model(p.modelDir, p.engine);
    return evaluate(model, data, p, progress);
  });
}

}  // namespace rope::perplexity
