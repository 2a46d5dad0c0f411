#include "perplexity_sweep.h"

#include <chrono>

#include "data/token_data.h"
#include "data/tokenizer.h"
#include "model/transformer.h"
#include "train/demo_assets.h"
#include "util/error.h"

namespace rope {

SweepOutcome runSweep(const SweepRequest& r, const std::function<bool(double)>& progress,
                      const std::function<void(QString, QString)>& loaded,
                      const std::function<void(const SweepCell&)>& cell) {
  const auto t0 = std::chrono::steady_clock::now();
  SweepOutcome o;
  auto finish = [&](const QString& error, bool cancelled) {
    o.valid = error.isEmpty() && !cancelled;
    o.cancelled = cancelled;
    o.error = cancelled ? QString("cancelled") : error;
    o.elapsedSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return o;
  };
  auto go = [&](double fraction) { return !progress || progress(fraction); };
  try {
    if (r.sets.empty()) throw InputError("choose at least one factor set");
    if (r.lengths.empty()) throw InputError("give at least one length");
    const std::string modelDir = resolveModel(r.modelDir.toStdString());
    TokenSource source;
    source.paths = r.data.empty() ? demoDataFiles("test") : r.data;
    source.tokenizerPath = Tokenizer::modelTokenizerPath(modelDir);  // text data (as perplexity::run)
    const TokenDataset data = loadTokens(source);
    if (!go(0)) throw CancelledError();
    Transformer::Options engine;
    engine.threads = r.threads;
    engine.device = r.device;
    engine.dtype = r.dtype;
    Transformer model(modelDir, engine, [&](int, int) { return go(0); });
    o.device = QString::fromStdString(engine.device);
    o.dtype = QString::fromStdString(computeDTypeName(engine.dtype));
    if (loaded) loaded(o.device, o.dtype);
    const int cells = static_cast<int>(r.sets.size() * r.lengths.size());
    int index = 0;
    for (size_t s = 0; s < r.sets.size(); ++s) {
      for (int length : r.lengths) {
        perplexity::Params p;
        p.engine = engine;
        p.lengths = {length};
        p.samples = r.samples;
        p.stride = r.stride;
        p.factorSet = r.sets[s].second;
        p.ropeSource = r.sets[s].first.toStdString();
        const perplexity::Result result =
            perplexity::evaluate(model, data, p, [&](int done, int total) {
              return go((index + double(done) / std::max(total, 1)) / cells);
            });
        if (result.status == perplexity::Status::Cancelled) throw CancelledError();
        if (!result.valid || result.results.empty()) {
          throw InputError(r.sets[s].first.toStdString() + " at " + std::to_string(length) +
                           ": " + (result.error.empty() ? "no result" : result.error));
        }
        ++index;
        if (cell) {
          cell({static_cast<int>(s), r.sets[s].first, result.results.front(),
                result.methodology});
        }
      }
    }
    return finish({}, false);
  } catch (const CancelledError&) {
    return finish({}, true);
  } catch (const std::exception& e) {
    return finish(QString::fromStdString(e.what()), false);
  }
}

QString methodologyText(const perplexity::Methodology& m) {
  return QString("%1 on %2 (%3, %4); data %5 [%6]; %7 samples, %8; RoPE %9 from %10, "
                 "attention factor %11")
      .arg(QString::fromStdString(m.model), QString::fromStdString(m.architecture),
           QString::fromStdString(m.device), QString::fromStdString(m.dtype),
           QString::fromStdString(m.datasetDescription),
           QString::fromStdString(m.datasetFingerprint))
      .arg(m.samples)
      .arg(m.stride > 0 ? QString("stride %1").arg(m.stride) : QString("truncated"))
      .arg(QString::fromStdString(m.ropeMethod), QString::fromStdString(m.ropeSource))
      .arg(m.attentionFactor, 0, 'g', 4);
}

}  // namespace rope
