#pragma once
// BackgroundJob: the job pattern of the Passkey and Attention tabs as one small helper for
// the Perplexity and Search tabs. start() runs a body on its own QThread; the body never
// touches widgets: it reads the inputs the panel snapshotted before start() and hands results
// back with Context::post(), which runs a function on the GUI thread (queued). cancel() sets
// an atomic flag that Context::proceed() reports; setPaused(true) makes proceed() block on a
// condition until resumed or cancelled. The destructor cancels and joins; cancelAndWait() does
// so at once and drops what the stopped body had posted but not yet delivered.

#include <QObject>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>

class QThread;

namespace rope {

class BackgroundJob : public QObject {
  Q_OBJECT
 public:
  // What the body sees on the worker thread.
  class Context {
   public:
    // False once cancelled; while paused, blocks until resumed (true) or cancelled (false).
    bool proceed();
    bool cancelled() const;
    // Runs fn on the GUI thread, unless this run was abandoned (cancelAndWait, a new start).
    void post(std::function<void()> fn);

   private:
    friend class BackgroundJob;
    Context(BackgroundJob* job, int generation) : m_job(job), m_generation(generation) {}
    BackgroundJob* m_job;
    int m_generation;
  };
  // Runs on the worker; returns what to run on the GUI thread once it is done (after
  // isRunning() turned false, before finished is emitted; may be empty).
  using Body = std::function<std::function<void()>(Context&)>;

  explicit BackgroundJob(QObject* parent = nullptr);
  ~BackgroundJob() override;  // cancels and joins

  // False (and nothing starts) while a job runs. GUI thread.
  bool start(Body body);
  void cancel();  // also wakes a paused body
  void cancelAndWait();
  void setPaused(bool paused);
  bool isPaused() const;
  // From start() until finished is emitted (or cancelAndWait() returns). GUI thread.
  bool isRunning() const { return m_busy; }
  // Whether a worker thread object exists and has not finished (tests: nothing left behind).
  bool hasLiveThread() const;

 signals:
  // After the body returned, everything it posted was delivered and its completion ran.
  void finished();

 private:
  QThread* m_thread = nullptr;
  std::atomic<bool> m_cancel{false};
  mutable std::mutex m_mutex;
  std::condition_variable m_resume;
  bool m_paused = false;  // guarded by m_mutex
  bool m_busy = false;    // GUI thread only
  int m_generation = 0;   // GUI thread only: which start() a queued call belongs to
};

}  // namespace rope
