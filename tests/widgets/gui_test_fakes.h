#pragma once
// Injected file dialogs and reporter for the GUI tests: answers are queued, messages and
// questions counted.

#include <QString>
#include <QStringList>
#include <memory>

#include "file_dialogs.h"
#include "main_window.h"
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

// A main window over fresh fakes, as the GUI tests build it; dialogs and reporter point at the
// fakes the window owns.
inline std::unique_ptr<MainWindow> makeTestWindow(FakeDialogs*& dialogs, FakeReporter*& reporter) {
  auto d = std::make_unique<FakeDialogs>();
  auto r = std::make_unique<FakeReporter>();
  dialogs = d.get();
  reporter = r.get();
  return std::make_unique<MainWindow>(std::move(d), std::move(r));
}

}  // namespace rope
