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

}  // namespace rope
