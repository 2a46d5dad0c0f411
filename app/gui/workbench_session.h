#pragma once
// WorkbenchSession: what the workbench reads and writes: model folders, factor files
// (import/export through core/io), sessions (the project JSON with the workbench's state
// beside the sets: writeProjectFile / readProjectFile) and the runtime command lines of a set. The
// load*/save* functions throw InputError and leave the document untouched on failure; the
// open*/import*/export* functions catch, report ONE message through the Reporter and return false.

#include <QObject>
#include <QString>
#include <QStringList>

#include "io/factor_files.h"

namespace rope {

class WorkbenchDocument;
class Reporter;

class WorkbenchSession : public QObject {
  Q_OBJECT
 public:
  WorkbenchSession(WorkbenchDocument* doc, Reporter* reporter, QObject* parent = nullptr);

  // Throwing forms (the command line uses them to print and exit).
  void loadModel(const QString& path);
  void loadSession(const QString& path);
  void loadFactors(const QString& path);
  // A token or text file (core's TokenSource formats; text with the model's tokenizer.model)
  // becomes the document's dataset. Checked by extension and existence; a file up to
  // kDatasetLoadBytes is loaded with core now (fast) and gives its document count, a bigger
  // one is loaded by the job that uses it (the GUI never waits on it).
  static constexpr qint64 kDatasetLoadBytes = 8 << 20;
  // Several files (all text or all token ids) are one dataset, their documents in order.
  void loadDataset(const QStringList& paths);
  void loadDataset(const QString& path) { loadDataset(QStringList{path}); }
  // Returns the writer's warnings (what the format cannot hold).
  QStringList saveActive(const QString& path, FactorFormat format) const;
  void saveSession(const QString& path) const;

  // Reporting forms for menus, drops and recent files.
  bool openModel(const QString& path);
  bool openSession(const QString& path);
  bool importFactors(const QString& path);
  bool openDataset(const QStringList& paths);
  bool openDataset(const QString& path) { return openDataset(QStringList{path}); }
  bool exportActive(const QString& path, FactorFormat format);
  bool writeSession(const QString& path);
  // A dropped or recent path: a folder or config.json opens a model, a project JSON a
  // session, anything else is imported as factors.
  bool openPath(const QString& path);

  // llama.cpp and vLLM command lines for the active set (with notes), as text.
  QString runtimeOptionsText() const;
  // The session file last opened or saved by openSession/writeSession (empty: none); a
  // successful writeSession marks the undo stack clean.
  QString sessionPath() const { return m_sessionPath; }

 signals:
  // A file was opened or written successfully (for the recent-files list).
  void fileUsed(const QString& path);
  // A file was written (exports, sessions): the status bar confirms the path.
  void wrote(const QString& path);
  // A dataset was opened successfully (for the recent-datasets list).
  void datasetUsed(const QStringList& paths);

 private:
  WorkbenchDocument* m_doc;
  Reporter* m_reporter;
  QString m_sessionPath;
};

}  // namespace rope
