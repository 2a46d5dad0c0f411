#include "reporter.h"

#include <QMessageBox>

namespace rope {

void MessageBoxReporter::error(const QString& title, const QString& message) {
  QMessageBox::critical(m_parent, title, message);
}

void MessageBoxReporter::info(const QString& title, const QString& message,
                              const QString& details) {
  QMessageBox box(QMessageBox::Information, title, message, QMessageBox::Ok, m_parent);
  box.setTextInteractionFlags(Qt::TextSelectableByMouse);
  if (!details.isEmpty()) box.setDetailedText(details);
  box.exec();
}

Reporter::Unsaved MessageBoxReporter::askUnsaved(const QString& title, const QString& message) {
  QMessageBox box(QMessageBox::Warning, title, message,
                  QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, m_parent);
  box.setDefaultButton(QMessageBox::Save);
  switch (box.exec()) {
    case QMessageBox::Save:
      return Unsaved::Save;
    case QMessageBox::Discard:
      return Unsaved::Discard;
    default:
      return Unsaved::Cancel;
  }
}

bool MessageBoxReporter::askYesNo(const QString& title, const QString& message) {
  return QMessageBox::question(m_parent, title, message, QMessageBox::Yes | QMessageBox::No,
                               QMessageBox::Yes) == QMessageBox::Yes;
}

}  // namespace rope
