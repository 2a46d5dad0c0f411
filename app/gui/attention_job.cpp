#include "attention_job.h"

#include <QThread>
#include <algorithm>
#include <chrono>
#include <filesystem>

#include "data/token_data.h"
#include "data/tokenizer.h"
#include "model/transformer.h"
#include "train/demo_assets.h"
#include "util/error.h"

namespace rope {
namespace {

// The tokens a request analyses, and the tokenizer for their pieces (null when none).
std::vector<int64_t> requestTokens(const AttentionRequest& r, const std::string& modelDir,
                                   std::unique_ptr<Tokenizer>* tokenizer) {
  const std::string spm = Tokenizer::modelTokenizerPath(modelDir);
  if (Tokenizer::canLoad(spm)) *tokenizer = std::make_unique<Tokenizer>(spm);
  TokenSource source;
  if (r.dataPaths.isEmpty()) {
    source.paths = demoDataFiles("test");
  } else {
    for (const QString& p : r.dataPaths) source.paths.push_back(p.toStdString());
  }
  source.tokenizerPath = spm;
  const TokenDataset data = loadTokens(source);
  if (r.document < 0 || r.document >= static_cast<int>(data.documents.size())) {
    throw InputError("document " + std::to_string(r.document) + " does not exist: the data has " +
                     std::to_string(data.documents.size()) + " documents");
  }
  const std::vector<int64_t>& doc = data.documents[r.document];
  if (r.offset < 0 || r.tokens < 1 || r.offset + r.tokens > static_cast<int64_t>(doc.size())) {
    throw InputError("tokens " + std::to_string(r.offset) + ".." +
                     std::to_string(r.offset + r.tokens) + " are not in document " +
                     std::to_string(r.document) + " (" + std::to_string(doc.size()) +
                     " tokens)");
  }
  return {doc.begin() + r.offset, doc.begin() + r.offset + r.tokens};
}

}  // namespace

AttentionViews computeAttentionViews(const AttentionRequest& r, const std::atomic<bool>& cancel,
                                     const std::function<void(int)>& progress,
                                     const std::function<void(const AttentionViews&)>& headReady) {
  const auto t0 = std::chrono::steady_clock::now();
  AttentionViews v;
  v.request = r;
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  auto stop = [&](const QString& error) {
    v.valid = false;
    v.cancelled = error.isEmpty();
    v.error = error.isEmpty() ? QString("cancelled") : error;
    v.elapsedSeconds = elapsed();
    return v;
  };
  try {
    if (r.sets.empty()) throw InputError("no factor set to analyse");
    const std::string modelDir = resolveModel(r.modelDir.toStdString());
    std::unique_ptr<Tokenizer> tokenizer;
    v.ids = requestTokens(r, modelDir, &tokenizer);
    for (int64_t id : v.ids) {
      v.pieces << (tokenizer ? QString::fromStdString(tokenizer->piece(id))
                             : QString("#%1").arg(id));
    }
    if (cancel) return stop({});
    Transformer::Options engine;
    engine.threads = r.threads;
    Transformer model(modelDir, engine, [&](int, int) { return !cancel; });
    v.numLayers = model.config().numLayers;
    v.numHeads = model.config().numHeads;
    for (const auto& s : r.sets) v.setNames << s.first;

    // Work units for the progress bar: one per set for the head, layers x heads per set after.
    const int64_t sets = static_cast<int64_t>(r.sets.size());
    const int64_t overviewSets = r.overview ? (r.compare && sets > 1 ? 2 : 1) : 0;
    const int64_t units = sets + overviewSets * v.numLayers * v.numHeads;
    int64_t unitsDone = 0;
    int lastPercent = -1;
    auto progressFor = [&](int64_t weight) {
      return [&, weight](int64_t done, int64_t total) {
        const int pct = static_cast<int>(100 * (unitsDone + weight * done / total) / units);
        if (pct != lastPercent && progress) progress(pct);
        lastPercent = pct;
        return !cancel.load();
      };
    };
    auto analyse = [&](const std::optional<FactorSet>& set, attention::Params p, int64_t weight) {
      p.ids = v.ids;
      p.factorSet = set;
      attention::Result res = attention::analyze(model, p, progressFor(weight));
      unitsDone += weight;
      if (res.status == attention::Status::Failed) throw InputError(res.error);
      return res;
    };
    for (const auto& s : r.sets) {
      attention::Params p;
      p.layers = {r.layer};
      p.heads = {r.head};
      p.grid = r.grid;
      p.pooling = r.pooling;
      p.region = r.region;
      attention::Result res = analyse(s.second, p, 1);
      if (!res.valid) return stop({});
      v.trainingWindow = res.trainingWindow;
      v.ropePairs = res.ropePairs;
      v.head.push_back(std::move(res.heads.front()));
    }
    v.valid = true;
    v.elapsedSeconds = elapsed();
    if (headReady) headReady(v);
    for (int64_t i = 0; i < overviewSets; ++i) {
      attention::Params p;
      p.grid = 0;
      p.pairShareRows = 0;
      attention::Result res = analyse(r.sets[i].second, p, v.numLayers * v.numHeads);
      if (!res.valid) return stop({});
      std::vector<double> entropy, beyond;
      for (const auto& h : res.heads) {
        entropy.push_back(h.meanEntropy);
        beyond.push_back(h.meanBeyondWindowMass);
      }
      v.meanEntropy.push_back(std::move(entropy));
      v.meanBeyondWindow.push_back(std::move(beyond));
    }
    v.complete = true;
    v.elapsedSeconds = elapsed();
    return v;
  } catch (const CancelledError&) {
    return stop({});
  } catch (const std::exception& e) {
    return stop(QString::fromStdString(e.what()));
  }
}

AttentionJob::AttentionJob(QObject* parent) : QObject(parent) {}

AttentionJob::~AttentionJob() { cancelAndWait(); }

bool AttentionJob::start(const AttentionRequest& request) {
  if (isRunning()) return false;
  if (m_thread) {
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
  }
  m_cancel = false;
  m_active = true;
  m_thread = QThread::create([this, request] {
    const AttentionViews v = computeAttentionViews(
        request, m_cancel,
        [this](int pct) {
          QMetaObject::invokeMethod(this, [this, pct] { emit progress(pct); },
                                    Qt::QueuedConnection);
        },
        [this](const AttentionViews& partial) {
          auto copy = std::make_shared<const AttentionViews>(partial);
          QMetaObject::invokeMethod(this, [this, copy] { emit headReady(copy); },
                                    Qt::QueuedConnection);
        });
    auto done = std::make_shared<const AttentionViews>(v);
    QMetaObject::invokeMethod(
        this,
        [this, done] {
          m_active = false;
          emit finished(done);
        },
        Qt::QueuedConnection);
  });
  m_thread->start();
  return true;
}

void AttentionJob::cancel() { m_cancel = true; }

void AttentionJob::cancelAndWait() {
  m_cancel = true;
  if (m_thread) {
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
  }
}

bool AttentionJob::isRunning() const { return m_active; }

}  // namespace rope
