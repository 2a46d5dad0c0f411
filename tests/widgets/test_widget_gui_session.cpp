// Work that cannot be lost (issue 16, items 7 and 10): the quit prompt (Save / Discard /
// Cancel), the autosaved recovery session offered at the next start, exports confirmed in
// the status bar, the runtime command lines in a selectable field with Copy, and imported
// configs named after their model.
#include <QClipboard>
#include <QCloseEvent>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QGuiApplication>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>
#include <nlohmann/json.hpp>

#include "gui_test_fakes.h"
#include "job_frame.h"
#include "main_window.h"
#include "passkey_panel.h"
#include "perplexity_panel.h"
#include "runtime_options_dialog.h"
#include "session_guard.h"
#include "util/files.h"
#include "workbench_actions.h"
#include "workbench_document.h"
#include "workbench_session.h"

using namespace rope;

namespace {

const QString kLlamaConfig = ROPE_FIXTURES_DIR "/hf-tiny/llama_default/config.json";

// The fixture's config with `extra` merged in, written to dir/config.json.
QString writeConfig(const QString& dir, const nlohmann::json& extra) {
  auto j = nlohmann::json::parse(readFile(kLlamaConfig.toStdString()));
  j.update(extra);
  QDir().mkpath(dir);
  const QString path = QDir(dir).filePath("config.json");
  writeFileAtomic(path.toStdString(), j.dump(2));
  return path;
}

}  // namespace

class TestWidgetGuiSession : public QObject {
  Q_OBJECT
  std::unique_ptr<MainWindow> m_window;
  FakeDialogs* m_dialogs = nullptr;
  FakeReporter* m_reporter = nullptr;
  QTemporaryDir m_dir;

  WorkbenchDocument* doc() const { return m_window->document(); }

  void makeWindow() {
    m_window = makeTestWindow(m_dialogs, m_reporter);
  }

  // An edit through the undo stack: the document holds unsaved work.
  void edit() {
    std::vector<double> f = doc()->entry(0).set.factors;
    f.back() *= 1.01;  // stays monotone
    doc()->editFactors(0, f, "test edit");
    QVERIFY(m_window->guard()->isModified());
  }

  // Closes the window as Ctrl+Q does; true when it accepted.
  bool close() {
    QCloseEvent event;
    QCoreApplication::sendEvent(m_window.get(), &event);
    return event.isAccepted();
  }

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("rope-workbench-tests");
    QCoreApplication::setApplicationName("session-test");
  }

  void init() {
    QFile::remove(SessionGuard::recoveryPath());
    makeWindow();
  }

  void cleanup() { m_window.reset(); }

  void quitWithoutChangesAsksNothing() {
    QVERIFY(!m_window->guard()->isModified());
    QVERIFY(close());
    QVERIFY(m_reporter->questions.isEmpty());
  }

  void quitAsksAndCancelKeepsTheWindow() {
    edit();
    m_reporter->unsavedAnswers = {Reporter::Unsaved::Cancel};
    QVERIFY(!close());
    QCOMPARE(m_reporter->questions.size(), 1);
    QVERIFY(m_reporter->questions.front().contains("Save it before quitting?"));
    QVERIFY(m_window->guard()->isModified());
  }

  void quitAsksAndSaveWritesTheSession() {
    edit();
    m_reporter->unsavedAnswers = {Reporter::Unsaved::Save};
    m_dialogs->answer = m_dir.filePath("quit.rope.json");
    QVERIFY(close());
    QCOMPARE(m_dialogs->asked, 1);
    QVERIFY(QFileInfo(m_dialogs->answer).size() > 100);
    QVERIFY(!m_window->guard()->isModified());
  }

  void quitSaveCancelledInTheDialogKeepsTheWindow() {
    edit();
    m_reporter->unsavedAnswers = {Reporter::Unsaved::Save};
    m_dialogs->answer.clear();  // the user closed the file dialog
    QVERIFY(!close());
    QVERIFY(m_window->guard()->isModified());
  }

  void quitDiscardLosesOnlyWhatTheUserLetGo() {
    edit();
    QVERIFY(m_window->guard()->autosaveNow());
    QVERIFY(QFileInfo::exists(SessionGuard::recoveryPath()));
    m_reporter->unsavedAnswers = {Reporter::Unsaved::Discard};
    QVERIFY(close());
    QVERIFY(!QFileInfo::exists(SessionGuard::recoveryPath()));  // no recovery offered later
  }

  void autosaveIsOfferedAtTheNextStart() {
    QCOMPARE(SessionGuard::kAutosaveMs, 60 * 1000);
    QVERIFY(m_window->guard()->autosaveActive());
    QVERIFY(!m_window->guard()->autosaveNow());  // nothing unsaved: nothing written
    QVERIFY(!QFileInfo::exists(SessionGuard::recoveryPath()));
    edit();
    const std::vector<double> edited = doc()->entry(0).set.factors;
    const int sets = doc()->setCount();
    QVERIFY(m_window->guard()->autosaveNow());
    // A crash: the window goes without closing; the next start finds the recovery file.
    m_window.reset();
    makeWindow();
    m_reporter->yesNoAnswers = {true};
    QVERIFY(m_window->guard()->offerRecovery());
    QCOMPARE(m_reporter->questions.size(), 1);
    QVERIFY(m_reporter->questions.front().contains("Restore it?"));
    QCOMPARE(doc()->setCount(), sets);
    QCOMPARE(doc()->entry(0).set.factors, edited);
    QVERIFY(m_window->guard()->isModified());  // still not saved anywhere
    // Declined, the recovery file goes.
    m_window.reset();
    makeWindow();
    m_reporter->yesNoAnswers = {false};
    QVERIFY(!m_window->guard()->offerRecovery());
    QVERIFY(!QFileInfo::exists(SessionGuard::recoveryPath()));
    QVERIFY(!m_window->guard()->offerRecovery());  // and is not offered again
  }

  void exportsConfirmTheirPathInTheStatusBar() {
    m_window->show();
    QVERIFY(m_window->selectTab("spectrum"));
    m_dialogs->answer = m_dir.filePath("spectrum.png");
    m_window->actions()->exportPlot();
    QVERIFY(m_reporter->errors.isEmpty());
    QVERIFY(m_window->statusBar()->currentMessage().contains(m_dialogs->answer));
    m_dialogs->answer = m_dir.filePath("active.csv");
    m_window->actions()->exportFactors(FactorFormat::LongRopeCsv);
    QVERIFY(m_window->statusBar()->currentMessage().contains(m_dialogs->answer));
    m_dialogs->answer = m_dir.filePath("saved.rope.json");
    m_window->actions()->saveSession();
    QVERIFY(m_window->statusBar()->currentMessage().contains(m_dialogs->answer));
    // The job tabs' exports too (through their JobFrame).
    m_dialogs->answer = m_dir.filePath("perplexity.csv");
    QVERIFY(m_window->perplexityPanel()->frame()->exportCsv());
    QVERIFY(m_window->statusBar()->currentMessage().contains(m_dialogs->answer));
    m_dialogs->answer = m_dir.filePath("passkey.png");
    QVERIFY(m_window->passkeyPanel()->frame()->exportImage());
    QVERIFY(m_window->statusBar()->currentMessage().contains(m_dialogs->answer));
  }

  void runtimeOptionsAreSelectableAndCopied() {
    doc()->setActiveIndex(0);  // PI 4x
    m_window->actions()->showRuntimeOptions();
    auto* dialog = m_window->findChild<RuntimeOptionsDialog*>();
    QVERIFY(dialog);
    QVERIFY(dialog->isVisible());
    QVERIFY(dialog->textField()->isReadOnly());
    QVERIFY(dialog->textField()->textInteractionFlags() & Qt::TextSelectableByMouse);
    QVERIFY(dialog->text().contains("--rope-scaling linear --rope-scale 4"));
    dialog->copyButton()->click();
    QCOMPARE(QGuiApplication::clipboard()->text(), dialog->text());
    QVERIFY(m_reporter->infos.isEmpty());  // not behind "Show Details…" any more
    dialog->close();
  }

  void importedConfigIsNamedAfterTheModel() {
    QVERIFY(m_window->session()->openModel(kLlamaConfig));  // the fixture's 8 pairs
    QCOMPARE(doc()->model().name, QString("llama_default"));
    const QString named =
        writeConfig(m_dir.filePath("picked"), {{"_name_or_path", "org/Tiny-Llama-64k"}});
    QVERIFY2(m_window->session()->importFactors(named), qPrintable(m_reporter->errors.join("\n")));
    QCOMPARE(doc()->activeEntry()->set.name, std::string("Tiny-Llama-64k"));
    const QString cached =
        writeConfig(m_dir.filePath("hub/models--org--Tiny-Cached/snapshots/0123abcd"),
                    nlohmann::json::object());
    QVERIFY(m_window->session()->importFactors(cached));
    QCOMPARE(doc()->activeEntry()->set.name, std::string("Tiny-Cached"));
    QVERIFY(m_reporter->errors.isEmpty());
  }
};

QTEST_MAIN(TestWidgetGuiSession)
#include "test_widget_gui_session.moc"
