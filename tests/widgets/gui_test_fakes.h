#pragma once
// Injected file dialogs and reporter for the GUI tests: answers are queued, messages and
// questions counted.

#include <QString>
#include <QStringList>

#include "file_dialogs.h"
#include "reporter.h"

namespace rope {

class FakeDialogs : public FileDialogs {
 public:
  QString answer;  // returned by every dialog; empty = cancelled
  int asked = 0;
  QString openDirectory(const QString&, const QString&) override { return next(); }
  QString openFile(const QString&, const QString&, const QString&) override { return next(); }
  QString saveFile(const QString&, const QString&, const QString&) override { return next(); }
  // Several files when `answers` is set, else `answer` alone.
  QStringList answers;
  QStringList openFiles(const QString& t, const QString& d, const QString& f) override {
    if (answers.isEmpty()) return FileDialogs::openFiles(t, d, f);
    ++asked;
    return answers;
  }

 private:
  QString next() {
    ++asked;
    return answer;
  }
};

class FakeReporter : public Reporter {
 public:
  QStringList errors;
  QStringList infos;
  QStringList questions;
  // Answers to the questions, first queued first; without one: Discard and no (what the
  // workbench did before it asked).
  QList<Unsaved> unsavedAnswers;
  QList<bool> yesNoAnswers;
  Unsaved askUnsaved(const QString& title, const QString& message) override {
    questions << title + ": " + message;
    return unsavedAnswers.isEmpty() ? Unsaved::Discard : unsavedAnswers.takeFirst();
  }
  bool askYesNo(const QString& title, const QString& message) override {
    questions << title + ": " + message;
    return !yesNoAnswers.isEmpty() && yesNoAnswers.takeFirst();
  }
  void error(const QString& title, const QString& message) override {
    errors << title + ": " + message;
  }
  void info(const QString& title, const QString& message, const QString& details) override {
    infos << title + ": " + message + "\n" + details;
  }
};

}  // namespace rope
