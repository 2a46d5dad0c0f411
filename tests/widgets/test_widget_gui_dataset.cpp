// The workbench's dataset, device and dtype offscreen, with injected dialogs and reporter:
// File > Open dataset updates the project dock and reaches a perplexity job's request and the
// search's params; a bad dataset reports once and changes nothing; the device chooser lists
// "cpu" and the chosen dtype reaches a job that runs (a short sweep on the demo model).
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <cstdint>

#include "gui_test_fakes.h"
#include "main_window.h"
#include "perplexity_panel.h"
#include "perplexity_sweep.h"
#include "project_dock.h"
#include "search_panel.h"
#include "train/demo_assets.h"
#include "workbench_actions.h"
#include "workbench_document.h"

using namespace rope;

namespace {

void writeBytes(const QString& path, const QByteArray& bytes) {
  QFile f(path);
  QVERIFY(f.open(QIODevice::WriteOnly));
  f.write(bytes);
}

// n uint16 token ids below the demo vocabulary (2048), with the dtype sidecar.
QString writeTokens(const QString& path, int n) {
  QByteArray bytes;
  for (int i = 0; i < n; ++i) {
    const uint16_t id = static_cast<uint16_t>(3 + (i * 37) % 2000);
    bytes.append(static_cast<char>(id & 0xff));
    bytes.append(static_cast<char>(id >> 8));
  }
  writeBytes(path, bytes);
  writeBytes(path + ".json", R"({"dtype": "uint16"})");
  return path;
}

bool haveDemoModel() {
  try {
    demoModelDir();
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

class TestWidgetGuiDataset : public QObject {
  Q_OBJECT
  std::unique_ptr<MainWindow> m_window;
  FakeDialogs* m_dialogs = nullptr;
  FakeReporter* m_reporter = nullptr;
  QTemporaryDir m_dir;

  WorkbenchDocument* doc() const { return m_window->document(); }
  ProjectDock* dock() const { return m_window->projectDock(); }
  QString tokens() const { return m_dir.filePath("tokens.bin"); }

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("rope-workbench-tests");
    QVERIFY(m_dir.isValid());
    writeTokens(tokens(), 300);
    writeBytes(m_dir.filePath("nosidecar.bin"), QByteArray(64, '\1'));
    writeBytes(m_dir.filePath("picture.png"), "not a dataset");
    QVERIFY(QDir(m_dir.path()).mkdir("folder.bin"));
  }

  void init() {
    m_window = makeTestWindow(m_dialogs, m_reporter);
  }

  void cleanup() { m_window.reset(); }

  void demoModelUsesTheDemoTestSplitAndTheSearchItsValidationSplit() {
    QVERIFY(doc()->modelIsDemo());
    QVERIFY(doc()->dataset().demoTest);
    QVERIFY(doc()->dataset().files.empty());
    QVERIFY(dock()->datasetLabel()->text().contains("demo test split"));
    QVERIFY(m_window->searchPanel()->dataLabel()->text().contains("validation split"));
    const auto r = m_window->perplexityPanel()->request();
    QVERIFY(r);
    QVERIFY(r->data.empty());  // runSweep: the demo test split
  }

  void openDatasetUpdatesTheDockAndReachesTheJobs() {
    m_dialogs->answer = tokens();
    m_window->actions()->openDataset();
    QCOMPARE(m_dialogs->asked, 1);
    QVERIFY2(m_reporter->errors.isEmpty(), qPrintable(m_reporter->errors.join("\n")));
    const DatasetInfo& d = doc()->dataset();
    QVERIFY(!d.demoTest);
    QCOMPARE(d.files, std::vector<std::string>{tokens().toStdString()});
    QCOMPARE(d.documents, 1);
    QVERIFY(dock()->datasetLabel()->text().contains("tokens.bin"));
    QVERIFY(dock()->datasetLabel()->text().contains("1 documents"));
    QVERIFY(dock()->datasetLabel()->text().contains("300 tokens"));
    QVERIFY(m_window->actions()->recentDatasets().contains(tokens()));
    QVERIFY(m_window->searchPanel()->dataLabel()->text().contains("the dataset"));

    const auto r = m_window->perplexityPanel()->request();
    QVERIFY(r);
    QCOMPARE(r->data, std::vector<std::string>{tokens().toStdString()});
    if (!haveDemoModel()) QSKIP("no demo model: the search params need it");
    const auto p = m_window->searchPanel()->params();
    QVERIFY(p);
    QCOMPARE(p->data.paths, std::vector<std::string>{tokens().toStdString()});
  }

  // Several files are one dataset, their documents in order; a mix of text and token files
  // is refused and changes nothing.
  void severalFilesAreOneDataset() {
    const QString second = m_dir.filePath("more.bin");
    writeTokens(second, 200);
    m_dialogs->answers = {tokens(), second};
    m_window->actions()->openDataset();
    QVERIFY2(m_reporter->errors.isEmpty(), qPrintable(m_reporter->errors.join("\n")));
    const DatasetInfo& d = doc()->dataset();
    QCOMPARE(d.files, (std::vector<std::string>{tokens().toStdString(), second.toStdString()}));
    QCOMPARE(d.documents, 2);
    QVERIFY(dock()->datasetLabel()->text().contains("500 tokens"));
    QCOMPARE(m_window->actions()->recentDatasets().front(), tokens() + "\n" + second);
    const auto r = m_window->perplexityPanel()->request();
    QVERIFY(r);
    QCOMPARE(r->data, d.files);

    const QString text = m_dir.filePath("words.txt");
    writeBytes(text, "in the beginning");
    m_dialogs->answers = {tokens(), text};
    m_window->actions()->openDataset();
    QCOMPARE(m_reporter->errors.size(), 1);
    QVERIFY(m_reporter->errors.front().contains("not both"));
    QCOMPARE(doc()->dataset().files.size(), size_t(2));
    m_dialogs->answers.clear();
  }

  void badDatasetChangesNothingAndReportsOnce_data() {
    QTest::addColumn<QString>("name");
    QTest::newRow("missing") << "missing.bin";
    QTest::newRow("wrong kind") << "picture.png";
    QTest::newRow("no dtype sidecar") << "nosidecar.bin";
    QTest::newRow("a folder") << "folder.bin";
  }

  void badDatasetChangesNothingAndReportsOnce() {
    QFETCH(QString, name);
    m_dialogs->answer = tokens();
    m_window->actions()->openDataset();  // a good dataset first: it must survive
    const QString shown = dock()->datasetLabel()->text();
    m_dialogs->answer = m_dir.filePath(name);
    m_window->actions()->openDataset();
    QCOMPARE(m_reporter->errors.size(), 1);
    QVERIFY(m_reporter->errors.front().startsWith("Open dataset: "));
    QVERIFY(m_reporter->errors.front().contains(name));
    QCOMPARE(doc()->dataset().files, std::vector<std::string>{tokens().toStdString()});
    QCOMPARE(dock()->datasetLabel()->text(), shown);
    QVERIFY(!m_window->actions()->recentDatasets().contains(m_dir.filePath(name)));
    const auto r = m_window->perplexityPanel()->request();
    QVERIFY(r);
    QCOMPARE(r->data, std::vector<std::string>{tokens().toStdString()});
  }

  void deviceChooserListsCpuAndTheDtypeReachesTheJob() {
    QComboBox* devices = dock()->deviceBox();
    QVERIFY(devices->findText("cpu") >= 0);
    QCOMPARE(devices->currentText(), QString("cpu"));
    QVERIFY(!doc()->setDevice("tpu"));  // not a device here: ignored
    QCOMPARE(doc()->device(), QString("cpu"));
    QComboBox* dtypes = dock()->dtypeBox();
    QCOMPARE(dtypes->count(), 3);
    dtypes->setCurrentIndex(dtypes->findText("bfloat16"));
    QCOMPARE(doc()->dtype(), ComputeDType::BFloat16);
    doc()->setDtype(ComputeDType::Float16);  // and back: the chooser follows the document
    QCOMPARE(dtypes->currentText(), QString("float16"));
    dtypes->setCurrentIndex(dtypes->findText("bfloat16"));

    m_dialogs->answer = tokens();
    m_window->actions()->openDataset();
    auto r = m_window->perplexityPanel()->request();
    QVERIFY(r);
    QCOMPARE(r->device, std::string("cpu"));
    QCOMPARE(r->dtype, ComputeDType::BFloat16);
    if (!haveDemoModel()) QSKIP("no demo model to run the job on");
    const auto p = m_window->searchPanel()->params();
    QVERIFY(p);
    QCOMPARE(p->devices, std::string("cpu"));
    QCOMPARE(p->engine.dtype, ComputeDType::BFloat16);

    // The snapshot runs: one cell at 128 tokens of the opened dataset, in bfloat16 on cpu.
    r->lengths = {128};
    r->samples = 1;
    r->stride = 0;
    r->sets = {{"model's RoPE", std::nullopt}};
    std::vector<SweepCell> cells;
    const SweepOutcome o =
        runSweep(*r, nullptr, nullptr, [&](const SweepCell& c) { cells.push_back(c); });
    QVERIFY2(o.valid, qPrintable(o.error));
    QCOMPARE(o.device, QString("cpu"));
    QCOMPARE(o.dtype, QString("bfloat16"));
    QCOMPARE(int(cells.size()), 1);
    QCOMPARE(cells.front().methodology.dtype, std::string("bfloat16"));
    QVERIFY(cells.front().result.ppl > 1);
  }

  void noDatasetForAnotherModelSaysSo() {
    DatasetInfo none;
    doc()->setDataset(none);
    QVERIFY(dock()->datasetLabel()->text().contains("Open dataset"));
    QVERIFY(!m_window->perplexityPanel()->request());
    QVERIFY(m_window->perplexityPanel()->statusLabel()->text().contains("Open dataset"));
  }
};

QTEST_MAIN(TestWidgetGuiDataset)
#include "test_widget_gui_dataset.moc"
