#pragma once
// JobFrame: what the four job tabs (Perplexity, Search, Attention, Passkey) share, as
// BornAgain's job views share one frame. On the left the tab's controls, then a block that
// never moves while a job runs: Run / Pause / Cancel, the progress bar with the ETA inside
// it, a status line of fixed height (the full text in its tooltip) and the exports; on the
// right the tab's view. The tab puts its controls and view in, answers runRequested /
// cancelRequested / pauseToggled, and reports started / progress / status / finished; the
// frame asks where exports go, writes them through the tab's writers and confirms the path
// (status line and wrote()). GUI thread only.

#include <QElapsedTimer>
#include <QWidget>
#include <functional>

class QLabel;
class QLayout;
class QProgressBar;
class QPushButton;

namespace rope {

class FileDialogs;
class ScientificPlot;

// "ETA 12 s" / "ETA 3 min 5 s": the time left at `fraction` done after `elapsedMs`.
QString etaText(double fraction, qint64 elapsedMs);

class JobFrame : public QWidget {
  Q_OBJECT
 public:
  struct Options {
    QString runText = "Run";
    bool pausable = false;  // a Pause / Resume button
    bool csv = false;       // an Export CSV… button (setCsvWriter)
    bool image = true;      // an Export image… button (setImageSource)
    int sideWidth = 340;    // the controls column's maximum width
  };

  // dialogs: where export paths are asked for (not owned; outlives the frame).
  JobFrame(const Options& options, FileDialogs* dialogs, QWidget* parent = nullptr);

  // The tab's controls, above the job block (the frame takes ownership).
  void setControls(QWidget* controls);
  void setControls(QLayout* controls);
  // The tab's view, right of the controls.
  void setView(QWidget* view);
  // A button of the tab's own (Adopt best, Re-pool) on the exports row.
  void addButton(QPushButton* button);
  // What the exports write: CSV text to a path (false and *error when it fails) and the
  // plot an image export shows.
  void setCsvWriter(std::function<bool(const QString& path, QString* error)> writer);
  void setImageSource(std::function<ScientificPlot*()> plot);

  // A job started: progress 0, the clock runs, Run off, Cancel (and Pause) on.
  void started(const QString& status);
  // Fraction done in [0, 1]: the bar and its ETA.
  void setProgress(double fraction);
  double progress() const;
  void setStatus(const QString& text);
  QString status() const;
  // The job ended: buttons back; the bar full when it completed.
  void finished(const QString& status, bool completed);
  bool isRunning() const { return m_running; }
  // Shows the pause state without emitting pauseToggled.
  void showPaused(bool paused);

  // Exports through the writers, the path given (tests) or asked for (empty path).
  bool exportCsv(const QString& path = {});
  bool exportImage(const QString& path = {});

  QPushButton* runButton() const { return m_run; }
  QPushButton* pauseButton() const { return m_pause; }
  QPushButton* cancelButton() const { return m_cancel; }
  QPushButton* csvButton() const { return m_csv; }
  QPushButton* imageButton() const { return m_image; }
  QProgressBar* progressBar() const { return m_progress; }
  QLabel* statusLabel() const { return m_status; }

 signals:
  void runRequested();
  void cancelRequested();
  void pauseToggled(bool paused);
  // An export was written to path.
  void wrote(const QString& path);
  // finished() was called: the job ended (completed, or cancelled or failed).
  void ended(bool completed);

 private:
  void setRunning(bool running);

  FileDialogs* m_dialogs;
  QWidget* m_side = nullptr;
  QWidget* m_controls = nullptr;
  QPushButton* m_run = nullptr;
  QPushButton* m_pause = nullptr;
  QPushButton* m_cancel = nullptr;
  QPushButton* m_csv = nullptr;
  QPushButton* m_image = nullptr;
  QProgressBar* m_progress = nullptr;
  QLabel* m_status = nullptr;
  QLayout* m_extraButtons = nullptr;
  QWidget* m_view = nullptr;
  std::function<bool(const QString&, QString*)> m_csvWriter;
  std::function<ScientificPlot*()> m_imageSource;
  QElapsedTimer m_clock;
  bool m_running = false;
};

}  // namespace rope
