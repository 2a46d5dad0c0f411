#include "passkey_job.h"

#include <QThread>
#include <chrono>
#include <filesystem>

#include "data/tokenizer.h"
#include "model/transformer.h"
#include "train/demo_assets.h"
#include "util/error.h"

namespace rope {

PasskeyOutcome computePasskey(const PasskeyRequest& r, const std::atomic<bool>& cancel,
                              const std::function<void(int, int)>& progress,
                              const std::function<void(int, const passkey::Result&)>& setReady,
                              const std::function<void(int, const passkey::Result&)>& cellReady) {
  const auto t0 = std::chrono::steady_clock::now();
  PasskeyOutcome o;
  o.request = r;
  auto finish = [&](const QString& error, bool cancelled) {
    o.valid = error.isEmpty() && !cancelled;
    o.cancelled = cancelled;
    o.error = cancelled ? QString("cancelled") : error;
    o.elapsedSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return o;
  };
  try {
    if (r.sets.empty()) throw InputError("no factor set to test");
    for (const auto& s : r.sets) o.setNames << s.first;
    const std::string modelDir = resolveModel(r.modelDir.toStdString());
    const std::string spm = Tokenizer::modelTokenizerPath(modelDir);
    if (!std::filesystem::is_regular_file(spm)) {
      throw InputError("no tokenizer.json or tokenizer.model in " + modelDir +
                       ": the passkey test builds its prompts with the model's tokenizer");
    }
    const Tokenizer tokenizer(spm);
    passkey::Params p;
    p.modelDir = modelDir;
    p.engine.threads = r.threads;
    p.lengths = r.lengths;
    p.depths = r.depths;
    p.trials = r.trials;
    p.seed = r.seed;
    // Bad lengths or depths fail before the model is loaded.
    passkey::validate(p, passkey::PromptBuilder(passkey::codecFor(tokenizer)));
    Transformer model(modelDir, p.engine, [&](int, int) { return !cancel; });
    const int perSet = static_cast<int>(r.lengths.size() * r.depths.size()) * r.trials;
    const int total = perSet * static_cast<int>(r.sets.size());
    for (size_t i = 0; i < r.sets.size(); ++i) {
      passkey::Params ps = p;
      ps.factorSet = r.sets[i].second;
      ps.ropeSource = r.sets[i].first.toStdString();
      // One cell at a time, so that each shows as soon as it is done: cells are independent
      // (trial t of every cell uses key t), so this is the result of the whole grid at once.
      passkey::Result result;
      int done = perSet * static_cast<int>(i);
      for (int length : r.lengths) {
        for (double depth : r.depths) {
          passkey::Params pc = ps;
          pc.lengths = {length};
          pc.depths = {depth};
          const int before = done;
          passkey::Result cell = passkey::evaluate(model, tokenizer, pc, [&](int d, int) {
            if (progress) progress(before + d, total);
            return !cancel;
          });
          done += r.trials;
          if (result.cells.empty()) {
            result = std::move(cell);
            result.methodology.lengths = r.lengths;
            result.methodology.depths = r.depths;
          } else {
            result.cells.push_back(std::move(cell.cells.front()));
            result.elapsedSeconds += cell.elapsedSeconds;
          }
          if (cellReady) cellReady(static_cast<int>(i), result);
        }
      }
      if (setReady) setReady(static_cast<int>(i), result);
      o.results.push_back(std::move(result));
    }
    return finish({}, false);
  } catch (const CancelledError&) {
    return finish({}, true);
  } catch (const std::exception& e) {
    return finish(QString::fromStdString(e.what()), false);
  }
}

PasskeyJob::PasskeyJob(QObject* parent) : QObject(parent) {}

PasskeyJob::~PasskeyJob() { cancelAndWait(); }

bool PasskeyJob::start(const PasskeyRequest& request) {
  if (m_busy) return false;
  if (m_thread) {  // finished was delivered: the thread is returning, if not gone already
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
  }
  m_cancel = false;
  m_busy = true;
  const int generation = ++m_generation;
  m_thread = QThread::create([this, request, generation] {
    const PasskeyOutcome o = computePasskey(
        request, m_cancel,
        [this, generation](int done, int total) {
          QMetaObject::invokeMethod(
              this,
              [this, done, total, generation] {
                if (generation == m_generation) emit progress(done, total);
              },
              Qt::QueuedConnection);
        },
        [this, generation](int set, const passkey::Result& result) {
          auto copy = std::make_shared<const passkey::Result>(result);
          QMetaObject::invokeMethod(
              this,
              [this, set, copy, generation] {
                if (generation == m_generation) emit setReady(set, copy);
              },
              Qt::QueuedConnection);
        },
        [this, generation](int set, const passkey::Result& partial) {
          auto copy = std::make_shared<const passkey::Result>(partial);
          QMetaObject::invokeMethod(
              this,
              [this, set, copy, generation] {
                if (generation == m_generation) emit cellReady(set, copy);
              },
              Qt::QueuedConnection);
        });
    auto done = std::make_shared<const PasskeyOutcome>(o);
    QMetaObject::invokeMethod(
        this,
        [this, done, generation] {
          if (generation != m_generation) return;  // a job that cancelAndWait() ended
          m_busy = false;
          emit finished(done);
        },
        Qt::QueuedConnection);
  });
  m_thread->start();
  return true;
}

void PasskeyJob::cancel() { m_cancel = true; }

void PasskeyJob::cancelAndWait() {
  m_cancel = true;
  if (m_thread) {
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
  }
  m_busy = false;
  ++m_generation;  // its queued finished, if any, is ignored
}

bool PasskeyJob::isRunning() const { return m_busy; }

}  // namespace rope
