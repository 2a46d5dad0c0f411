#pragma once
// The attention analyses as a background job. The panel snapshots what the job needs into an
// AttentionRequest on the GUI thread; the worker thread tokenizes, loads the model and runs
// core's attention::analyze (never touching widgets); results come back by queued signals:
// headReady with the chosen head under every factor set (quick: one layer, one head), then
// finished with the overview (mean entropy per layer x head, logit share per RoPE pair).
// cancel() sets an atomic flag that the analysis reads after every block of rows; the
// destructor cancels and joins.

#include <QObject>
#include <QString>
#include <QStringList>
#include <atomic>
#include <memory>
#include <optional>
#include <vector>

#include "analysis/attention_analysis.h"
#include "rope/factor_set.h"

class QThread;

namespace rope {

struct AttentionRequest {
  QString modelDir = "demo";       // "demo" or a Hugging Face folder
  QStringList dataPaths;           // token or text files; empty: the demo test split
  int document = 0;                // which document of the data
  qint64 offset = 0;               // first token analysed
  int tokens = 1024;               // tokens analysed
  int layer = 0;
  int head = 0;
  // Factor sets; nullopt: the model's own RoPE. [0] is A, [1] B in A/B mode; further sets
  // get the chosen head's curves only (entropy vs position, distance, pair shares).
  std::vector<std::pair<QString, std::optional<FactorSet>>> sets;
  bool compare = false;            // A/B: maps of sets[0], sets[1] and their difference
  int grid = 384;
  attention::Pooling pooling = attention::Pooling::Max;
  attention::Region region;        // what the maps cover (default: everything)
  bool overview = true;            // every layer and head (entropy heatmap, pair shares)
  int threads = 0;                 // torch CPU threads; 0: one per hardware thread
};

struct AttentionViews {
  bool valid = false;
  bool cancelled = false;
  bool complete = false;           // false in headReady, true in finished
  QString error;
  double elapsedSeconds = 0;
  AttentionRequest request;
  std::vector<int64_t> ids;        // the analysed tokens
  QStringList pieces;              // their text pieces ("#id" without a tokenizer)
  int numLayers = 0, numHeads = 0, trainingWindow = 0, ropePairs = 0;
  QStringList setNames;
  std::vector<attention::HeadSummary> head;           // per set: the chosen head
  // Overview, for A (and B in A/B mode): layers x heads, layer-major.
  std::vector<std::vector<double>> meanEntropy;
  std::vector<std::vector<double>> meanBeyondWindow;
};

// Runs a request on the calling thread: the worker's body, also usable from tests and
// benchmarks. headReady (may be null) gets the partial result. Never throws.
AttentionViews computeAttentionViews(const AttentionRequest& request,
                                     const std::atomic<bool>& cancel,
                                     const std::function<void(int percent)>& progress,
                                     const std::function<void(const AttentionViews&)>& headReady);

class AttentionJob : public QObject {
  Q_OBJECT
 public:
  explicit AttentionJob(QObject* parent = nullptr);
  ~AttentionJob() override;  // cancels and joins

  // False (and nothing starts) while a job runs.
  bool start(const AttentionRequest& request);
  void cancel();
  // Cancels and blocks until the worker has stopped.
  void cancelAndWait();
  // From start() until finished has been emitted.
  bool isRunning() const;

 signals:
  void progress(int percent);
  void headReady(std::shared_ptr<const AttentionViews> views);
  void finished(std::shared_ptr<const AttentionViews> views);

 private:
  QThread* m_thread = nullptr;
  std::atomic<bool> m_cancel{false};
  bool m_active = false;  // from start() until finished is emitted (GUI thread)
};

}  // namespace rope
