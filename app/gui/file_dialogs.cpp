#include "file_dialogs.h"

#include <QFileDialog>

namespace rope {

QString QtFileDialogs::openDirectory(const QString& title, const QString& startDir) {
  return QFileDialog::getExistingDirectory(m_parent, title, startDir);
}

QString QtFileDialogs::openFile(const QString& title, const QString& startDir,
                                const QString& filter) {
  return QFileDialog::getOpenFileName(m_parent, title, startDir, filter);
}

QStringList QtFileDialogs::openFiles(const QString& title, const QString& startDir,
                                     const QString& filter) {
  return QFileDialog::getOpenFileNames(m_parent, title, startDir, filter);
}

QString QtFileDialogs::saveFile(const QString& title, const QString& suggestedPath,
                                const QString& filter) {
  return QFileDialog::getSaveFileName(m_parent, title, suggestedPath, filter);
}

}  // namespace rope
