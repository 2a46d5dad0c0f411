#pragma once
// Injected file dialogs and reporter for the GUI tests: answers are queued, messages counted.

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
  void error(const QString& title, const QString& message) override {
    errors << title + ": " + message;
  }
  void info(const QString& title, const QString& message, const QString& details) override {
    infos << title + ": " + message + "\n" + details;
  }
};

}  // namespace rope
