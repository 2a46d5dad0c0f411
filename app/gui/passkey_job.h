#pragma once
// The passkey retrieval test as a background job. The panel snapshots what the job needs into
// a PasskeyRequest on the GUI thread; the worker thread loads the model and its tokenizer once
// and runs core's passkey::evaluate for each factor set in turn (never touching widgets).
// Results come back by queued signals: cellReady after each cell, setReady after each set,
// finished at the end.
// cancel() sets an atomic flag that the evaluation reads after every trial (and model loading
// between weights); the destructor cancels and joins.

#include <QObject>
#include <QString>
#include <QStringList>
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "eval/passkey.h"
#include "rope/factor_set.h"

class QThread;

namespace rope {

struct PasskeyRequest {
  QString modelDir = "demo";  // "demo" or a Hugging Face folder with tokenizer.model
  std::vector<int> lengths = {128, 256, 512, 1024};
  std::vector<double> depths = {0, 0.25, 0.5, 0.75, 1};
  int trials = 5;
  quint64 seed = 1;
  // Factor sets compared; nullopt: the model's own RoPE. [0] is A, [1] B.
  std::vector<std::pair<QString, std::optional<FactorSet>>> sets;
  int threads = 1;  // torch CPU threads; 0: one per hardware thread
};

struct PasskeyOutcome {
  bool valid = false;
  bool cancelled = false;
  QString error;
  double elapsedSeconds = 0;
  PasskeyRequest request;
  QStringList setNames;
  std::vector<passkey::Result> results;  // one per finished set, in request order
};

// Runs a request on the calling thread: the worker's body, also usable from tests. The grid
// is evaluated one cell at a time. setReady (may be null) gets each set's result as it
// finishes, cellReady (may be null) the set's cells so far after every cell; progress (may be
// null) gets (trials done, trials total) over all sets. Never throws.
PasskeyOutcome computePasskey(
    const PasskeyRequest& request, const std::atomic<bool>& cancel,
    const std::function<void(int done, int total)>& progress,
    const std::function<void(int set, const passkey::Result&)>& setReady,
    const std::function<void(int set, const passkey::Result& partial)>& cellReady = {});

class PasskeyJob : public QObject {
  Q_OBJECT
 public:
  explicit PasskeyJob(QObject* parent = nullptr);
  ~PasskeyJob() override;  // cancels and joins

  // False (and nothing starts) while a job runs.
  bool start(const PasskeyRequest& request);
  void cancel();
  // Cancels and blocks until the worker has stopped.
  void cancelAndWait();
  // From start() until finished is emitted (or cancelAndWait() returns). GUI thread.
  bool isRunning() const;

 signals:
  void progress(int done, int total);
  void setReady(int set, std::shared_ptr<const passkey::Result> result);
  // The set's cells so far (lengths outer, depths inner), after every cell.
  void cellReady(int set, std::shared_ptr<const passkey::Result> partial);
  void finished(std::shared_ptr<const PasskeyOutcome> outcome);

 private:
  QThread* m_thread = nullptr;
  std::atomic<bool> m_cancel{false};
  bool m_busy = false;   // GUI thread only
  int m_generation = 0;  // GUI thread only: which start() a queued finished belongs to
};

}  // namespace rope
