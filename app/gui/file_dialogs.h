#pragma once
// Where the workbench asks the user for a path. An interface so that tests inject answers
// instead of clicking dialogs; QtFileDialogs asks with QFileDialog. An empty string means
// the user cancelled.

#include <QString>
#include <QStringList>

class QWidget;

namespace rope {

class FileDialogs {
 public:
  virtual ~FileDialogs() = default;
  virtual QString openDirectory(const QString& title, const QString& startDir) = 0;
  virtual QString openFile(const QString& title, const QString& startDir,
                           const QString& filter) = 0;
  // One or more files; empty when cancelled. By default one file through openFile.
  virtual QStringList openFiles(const QString& title, const QString& startDir,
                                const QString& filter) {
    const QString file = openFile(title, startDir, filter);
    return file.isEmpty() ? QStringList{} : QStringList{file};
  }
  virtual QString saveFile(const QString& title, const QString& suggestedPath,
                           const QString& filter) = 0;
};

class QtFileDialogs : public FileDialogs {
 public:
  explicit QtFileDialogs(QWidget* parent) : m_parent(parent) {}
  QString openDirectory(const QString& title, const QString& startDir) override;
  QString openFile(const QString& title, const QString& startDir, const QString& filter) override;
  QStringList openFiles(const QString& title, const QString& startDir,
                        const QString& filter) override;
  QString saveFile(const QString& title, const QString& suggestedPath,
                   const QString& filter) override;

 private:
  QWidget* m_parent;
};

}  // namespace rope
