#include "background_job.h"

#include <QThread>

namespace rope {

bool BackgroundJob::Context::proceed() {
  std::unique_lock lock(m_job->m_mutex);
  m_job->m_resume.wait(lock, [this] { return !m_job->m_paused || m_job->m_cancel; });
  return !m_job->m_cancel;
}

bool BackgroundJob::Context::cancelled() const { return m_job->m_cancel; }

void BackgroundJob::Context::post(std::function<void()> fn) {
  BackgroundJob* job = m_job;
  const int generation = m_generation;
  QMetaObject::invokeMethod(
      job,
      [job, generation, fn = std::move(fn)] {
        if (generation == job->m_generation) fn();
      },
      Qt::QueuedConnection);
}

BackgroundJob::BackgroundJob(QObject* parent) : QObject(parent) {}

BackgroundJob::~BackgroundJob() { cancelAndWait(); }

bool BackgroundJob::start(Body body) {
  if (m_busy) return false;
  if (m_thread) {  // finished was delivered: the thread is returning, if not gone already
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
  }
  m_cancel = false;
  setPaused(false);
  m_busy = true;
  const int generation = ++m_generation;
  m_thread = QThread::create([this, body = std::move(body), generation] {
    Context context(this, generation);
    std::function<void()> done = body(context);
    context.post([this, done = std::move(done)] {
      m_busy = false;
      if (done) done();
      emit finished();
    });
  });
  m_thread->start();
  return true;
}

void BackgroundJob::cancel() {
  {
    std::lock_guard lock(m_mutex);
    m_cancel = true;
  }
  m_resume.notify_all();
}

void BackgroundJob::cancelAndWait() {
  cancel();
  if (m_thread) {
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
  }
  m_busy = false;
  ++m_generation;  // what it posted and was not delivered yet is dropped
}

void BackgroundJob::setPaused(bool paused) {
  {
    std::lock_guard lock(m_mutex);
    m_paused = paused;
  }
  m_resume.notify_all();
}

bool BackgroundJob::isPaused() const {
  std::lock_guard lock(m_mutex);
  return m_paused;
}

bool BackgroundJob::hasLiveThread() const { return m_thread && !m_thread->isFinished(); }

}  // namespace rope
