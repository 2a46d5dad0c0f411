#pragma once
// How the workbench tells the user something went wrong or what an action produced. An
// interface so that tests count messages and queue answers instead of clicking boxes;
// MessageBoxReporter shows QMessageBox.

#include <QString>

class QWidget;

namespace rope {

class Reporter {
 public:
  enum class Unsaved { Save, Discard, Cancel };

  virtual ~Reporter() = default;
  virtual void error(const QString& title, const QString& message) = 0;
  // Results worth reading (warnings of an export, command lines); details may be long.
  virtual void info(const QString& title, const QString& message, const QString& details = {}) = 0;
  // Unsaved work is about to go: save it, discard it, or cancel what would lose it.
  virtual Unsaved askUnsaved(const QString& title, const QString& message) = 0;
  // A yes/no question (restore the recovered session?).
  virtual bool askYesNo(const QString& title, const QString& message) = 0;
};

class MessageBoxReporter : public Reporter {
 public:
  explicit MessageBoxReporter(QWidget* parent) : m_parent(parent) {}
  void error(const QString& title, const QString& message) override;
  void info(const QString& title, const QString& message, const QString& details) override;
  Unsaved askUnsaved(const QString& title, const QString& message) override;
  bool askYesNo(const QString& title, const QString& message) override;

 private:
  QWidget* m_parent;
};

}  // namespace rope
