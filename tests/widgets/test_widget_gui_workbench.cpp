// The workbench's document, panels and actions offscreen, with injected dialogs and
// reporter: edits reach the plots and the undo stack, presets match the core, exports read
// back identically, bad imports change nothing and say so once.
#include <QAbstractItemModel>
#include <QComboBox>
#include <QFile>
#include <QFileInfo>
#include <QListWidget>
#include <QMimeData>
#include <QMouseEvent>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "attention_panel.h"
#include "factor_editor_panel.h"
#include "factor_plot.h"
#include "factor_set_list_model.h"
#include "factor_table_model.h"
#include "gui_test_fakes.h"
#include "io/factor_files.h"
#include "main_window.h"
#include "model/transformer.h"
#include "preset_box.h"
#include "rope/factor_set.h"
#include "scientific_plot.h"
#include "search_panel.h"
#include "set_choices.h"
#include "train/demo_assets.h"
#include "util/error.h"
#include "util/files.h"
#include "workbench_actions.h"
#include "workbench_document.h"
#include "workbench_session.h"

using namespace rope;

namespace {

void sendMouse(QWidget* w, QEvent::Type type, QPointF pos, Qt::MouseButton button,
               Qt::MouseButtons buttons) {
  QMouseEvent e(type, pos, w->mapToGlobal(pos), button, buttons, Qt::NoModifier);
  QCoreApplication::sendEvent(w, &e);
}

void writeText(const QString& path, const QByteArray& text) {
  QFile f(path);
  QVERIFY(f.open(QIODevice::WriteOnly));
  f.write(text);
}

std::vector<double> plotted(FactorEditorPanel* editor) {
  const ScientificPlot* plot = editor->factorPlot()->plot();
  const QVector<double> y = plot->curveY(editor->factorPlot()->editableCurve());
  return {y.begin(), y.end()};
}

}  // namespace

class TestWidgetGuiWorkbench : public QObject {
  Q_OBJECT
  std::unique_ptr<MainWindow> m_window;
  FakeDialogs* m_dialogs = nullptr;
  FakeReporter* m_reporter = nullptr;
  QTemporaryDir m_dir;

  WorkbenchDocument* doc() const { return m_window->document(); }

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("rope-workbench-tests");
  }

  void init() {
    m_window = makeTestWindow(m_dialogs, m_reporter);
  }

  void cleanup() { m_window.reset(); }

  void opensOnTheBuiltInDefaultWithStandardMethods() {
    QVERIFY(doc()->model().builtIn);
    QVERIFY(doc()->model().summary().contains("head_dim 128, base 10000, window 4096"));
    QCOMPARE(doc()->targetWindow(), 16384);
    QStringList methods;
    for (const auto& e : doc()->sets()) methods << QString::fromStdString(e.set.method);
    QCOMPARE(methods, (QStringList{"linear", "ntk", "yarn", "dynamic", "llama3"}));
    QCOMPARE(doc()->undoStack()->count(), 0);
  }

  void dragReachesPlotAndUndoStack() {
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    FactorEditorPanel* editor = m_window->factorEditor();
    doc()->setActiveIndex(2);  // YaRN 4x: 1 at high frequencies, 4 at low
    ScientificPlot* plot = editor->factorPlot()->plot();
    plot->replotNow();
    const std::vector<double> before = doc()->activeEntry()->set.factors;
    QCOMPARE(plotted(editor), before);

    const int pair = 30;
    const QPointF from = plot->coordToPixel({double(pair), before[pair]});
    const QPointF to = plot->coordToPixel({double(pair), 3.0});
    QWidget* canvas = plot->canvas();
    sendMouse(canvas, QEvent::MouseButtonPress, from, Qt::LeftButton, Qt::LeftButton);
    sendMouse(canvas, QEvent::MouseMove, to, Qt::NoButton, Qt::LeftButton);
    sendMouse(canvas, QEvent::MouseButtonRelease, to, Qt::LeftButton, Qt::NoButton);

    const std::vector<double> after = doc()->activeEntry()->set.factors;
    QVERIFY(std::abs(after[pair] - 3.0) < 0.05);
    QVERIFY(isMonotone(after));
    QCOMPARE(after[pair - 1], before[pair - 1]);
    QCOMPARE(plotted(editor), after);
    QCOMPARE(doc()->undoStack()->count(), 1);
    QCOMPARE(doc()->undoStack()->undoText(), QString("drag λ_30"));
    QVERIFY(doc()->activeEntry()->edited);

    doc()->undoStack()->undo();
    QCOMPARE(doc()->activeEntry()->set.factors, before);
    QCOMPARE(plotted(editor), before);
    QVERIFY(!doc()->activeEntry()->edited);
    doc()->undoStack()->redo();
    QCOMPARE(plotted(editor), after);
  }

  void tableEditKeepsMonotoneAndUndoes() {
    doc()->setActiveIndex(1);  // NTK 4x: increasing
    FactorTableModel* table = m_window->factorEditor()->tableModel();
    const std::vector<double> before = doc()->activeEntry()->set.factors;
    const QModelIndex cell = table->index(40, FactorTableModel::kFactor);
    QVERIFY(table->setData(cell, 1.01, Qt::EditRole));
    const std::vector<double> after = doc()->activeEntry()->set.factors;
    QCOMPARE(after[40], 1.01);
    QVERIFY(isMonotone(after));
    QCOMPARE(after[39], std::min(before[39], 1.01));
    QCOMPARE(table->data(cell, Qt::EditRole).toDouble(), 1.01);
    doc()->undoStack()->undo();
    QCOMPARE(doc()->activeEntry()->set.factors, before);
  }

  void monotoneEnforcement() {
    doc()->setActiveIndex(0);
    std::vector<double> bad = doc()->activeEntry()->set.factors;
    bad[10] = 0.5;
    QVERIFY_THROWS_EXCEPTION(std::exception, doc()->editFactors(0, bad, "bad"));
    QCOMPARE(doc()->undoStack()->count(), 0);
    // With the rule off the edit is taken and the plot marks the violation.
    doc()->setEnforceMonotone(false);
    doc()->editFactors(0, bad, "free edit");
    QCOMPARE(doc()->activeEntry()->set.factors, bad);
    const ScientificPlot* plot = m_window->factorEditor()->factorPlot()->plot();
    QVERIFY(plot->curveName(plot->curveCount() - 1).startsWith("not monotone"));
  }

  void presetAddsTheCoreFactors() {
    PresetBox* box = m_window->factorEditor()->presetBox();
    box->setMethod(RopeMethod::Yarn);
    box->setTargetWindow(32768);
    const int count = doc()->setCount();
    emit box->presetRequested(box->request());
    QCOMPARE(doc()->setCount(), count + 1);
    QCOMPARE(doc()->activeIndex(), count);
    QCOMPARE(doc()->undoStack()->count(), 1);

    RopeParams p;
    p.method = RopeMethod::Yarn;
    p.headDim = 128;
    p.base = 10000;
    p.originalMaxPosition = 4096;
    p.maxPosition = 32768;
    p.factor = 8.0;
    const FactorSet expected = factorSetFromParams(p, 32768, "expected");
    const FactorSet& got = doc()->activeEntry()->set;
    QCOMPARE(got.factors.size(), expected.factors.size());
    for (size_t i = 0; i < got.factors.size(); ++i) {
      QVERIFY(std::abs(got.factors[i] / expected.factors[i] - 1) < 1e-12);
    }
    QVERIFY(std::abs(*got.attentionFactor - (0.1 * std::log(8.0) + 1)) < 1e-12);
    QCOMPARE(got.name, std::string("YaRN 8x"));
    doc()->undoStack()->undo();
    QCOMPARE(doc()->setCount(), count);
  }

  void operationsAreUndoable() {
    doc()->setActiveIndex(0);
    const std::vector<double> before = doc()->activeEntry()->set.factors;
    doc()->scaleActive(1.5);
    QCOMPARE(doc()->activeEntry()->set.factors[0], before[0] * 1.5);
    doc()->clampActive(1.0, 5.0);
    QCOMPARE(doc()->activeEntry()->set.factors[0], 5.0);
    doc()->setActiveNHat(64);
    doc()->setActiveNHat(128);  // merges with the previous n_hat edit
    doc()->setActiveAttentionFactor(1.2);
    QCOMPARE(doc()->undoStack()->count(), 4);
    doc()->resetActiveToPreset();
    QCOMPARE(doc()->activeEntry()->set.factors, before);
    while (doc()->undoStack()->canUndo()) doc()->undoStack()->undo();
    QCOMPARE(doc()->activeEntry()->set.factors, before);
    QCOMPARE(doc()->activeEntry()->set.nHat, 0);
  }

  void exportsReadBackIdentically_data() {
    QTest::addColumn<int>("format");
    QTest::addColumn<QString>("file");
    QTest::newRow("csv") << int(FactorFormat::LongRopeCsv) << "factors.csv";
    QTest::newRow("project") << int(FactorFormat::Project) << "factors.rope.json";
    QTest::newRow("hf-config") << int(FactorFormat::HfConfig) << "config.json";
  }

  void exportsReadBackIdentically() {
    QFETCH(int, format);
    QFETCH(QString, file);
    doc()->setActiveIndex(2);
    doc()->smoothActive(3);  // an edited, non-preset curve
    const FactorSet set = doc()->activeEntry()->set;
    m_dialogs->answer = m_dir.filePath(file);
    QFile::remove(m_dialogs->answer);
    m_window->actions()->exportFactors(static_cast<FactorFormat>(format));
    QVERIFY2(m_reporter->errors.isEmpty(), qPrintable(m_reporter->errors.join("\n")));
    const FactorSet back = readFactorFile(m_dialogs->answer.toStdString());
    QCOMPARE(back.factors, set.factors);
  }

  void sessionRoundTrip() {
    doc()->setActiveIndex(1);
    doc()->scaleActive(1.1);
    std::vector<std::vector<double>> before;
    for (const auto& e : doc()->sets()) before.push_back(e.set.factors);
    m_dialogs->answer = m_dir.filePath("session.rope.json");
    m_window->actions()->saveSession();
    doc()->resetToModel(builtInModel());
    m_window->actions()->openSession();
    QVERIFY2(m_reporter->errors.isEmpty(), qPrintable(m_reporter->errors.join("\n")));
    QCOMPARE(int(before.size()), doc()->setCount());
    for (int i = 0; i < doc()->setCount(); ++i) QCOMPARE(doc()->entry(i).set.factors, before[i]);
    QVERIFY(m_window->actions()->recentFiles().contains(m_dialogs->answer));
    // The presets come back too: the scaled set is still edited and resets to its preset;
    // an untouched preset set is not edited.
    QVERIFY(doc()->entry(1).origin.has_value());
    QVERIFY(doc()->entry(1).edited);
    QVERIFY(doc()->entry(0).origin.has_value());
    QVERIFY(!doc()->entry(0).edited);
    doc()->setActiveIndex(1);
    doc()->resetActiveToPreset();
    QCOMPARE(doc()->entry(1).set.factors, doc()->entry(1).origin->set.factors);
    QVERIFY(doc()->entry(1).set.factors != before[1]);
  }

  // A session reopens the workbench as it was: model, looks, active set, window, data, dtype.
  void sessionRestoresTheWorkbenchState() {
    m_window->session()->loadModel(QString::fromStdString(demoModelDir()));
    doc()->setVisible(2, false);
    doc()->setActiveIndex(3);
    doc()->setTargetWindow(1024);
    doc()->setDtype(ComputeDType::BFloat16);
    std::vector<QColor> colors;
    for (const auto& e : doc()->sets()) colors.push_back(e.color);
    const QString path = m_dir.filePath("state.rope.json");
    m_dialogs->answer = path;
    m_window->actions()->saveSession();
    doc()->resetToModel(builtInModel());
    doc()->setDtype(ComputeDType::Float32);
    m_window->actions()->openSession();
    QVERIFY2(m_reporter->errors.isEmpty(), qPrintable(m_reporter->errors.join("\n")));
    QCOMPARE(doc()->model().folder, QString::fromStdString(demoModelDir()));
    QCOMPARE(doc()->setCount(), int(colors.size()));
    for (int i = 0; i < doc()->setCount(); ++i) QCOMPARE(doc()->entry(i).color, colors[i]);
    QVERIFY(!doc()->entry(2).visible);
    QVERIFY(doc()->entry(1).visible);
    QCOMPARE(doc()->activeIndex(), 3);
    QCOMPARE(doc()->targetWindow(), 1024);
    QCOMPARE(doc()->dtype(), ComputeDType::BFloat16);
    QVERIFY(doc()->dataset().demoTest);

    // A session whose model folder is gone: one message, nothing changed.
    const std::string text = readFile(path.toStdString());
    const std::string folder = demoModelDir();
    std::string moved = text;
    for (size_t at = moved.find(folder); at != std::string::npos; at = moved.find(folder, at + 1)) {
      moved.replace(at, folder.size(), "/no/such/model");
    }
    writeFileAtomic(path.toStdString(), moved);
    doc()->resetToModel(builtInModel());
    const int sets = doc()->setCount();
    m_window->actions()->openSession();
    QCOMPARE(m_reporter->errors.size(), 1);
    QVERIFY(m_reporter->errors.front().contains("does not exist"));
    QVERIFY(doc()->model().builtIn);
    QCOMPARE(doc()->setCount(), sets);
  }

  void badImportsChangeNothingAndReportOnce_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("expected");
    QTest::newRow("wrong length") << "short.csv" << QByteArray("1.0\n1.5\n2.0\n")
                                  << "the model needs 64";
    QTest::newRow("not numbers") << "words.csv" << QByteArray("1.0\nabc\n") << "not a number";
    QTest::newRow("wrong kind") << "picture.png" << QByteArray("\x89PNG")
                                << "unknown factor file type";
    QTest::newRow("bad json") << "broken.json" << QByteArray("{\"format\": ") << "broken.json";
  }

  void badImportsChangeNothingAndReportOnce() {
    QFETCH(QString, file);
    QFETCH(QByteArray, content);
    QFETCH(QString, expected);
    const QString path = m_dir.filePath(file);
    writeText(path, content);
    const int sets = doc()->setCount();
    const auto factors = doc()->activeEntry()->set.factors;
    QSignalSpy changed(doc(), &WorkbenchDocument::changed);
    m_dialogs->answer = path;
    m_window->actions()->importFactors();
    QCOMPARE(m_reporter->errors.size(), 1);
    QVERIFY2(m_reporter->errors.front().contains(expected), qPrintable(m_reporter->errors.front()));
    QCOMPARE(doc()->setCount(), sets);
    QCOMPARE(doc()->activeEntry()->set.factors, factors);
    QCOMPARE(doc()->undoStack()->count(), 0);
    QCOMPARE(changed.count(), 0);
  }

  void goodImportAddsOneUndoableSet() {
    QString csv;
    for (int i = 0; i < 64; ++i) csv += QString::number(1.0 + i / 16.0) + "\n";
    const QString path = m_dir.filePath("searched.csv");
    writeText(path, csv.toUtf8());
    m_dialogs->answer = path;
    const int sets = doc()->setCount();
    m_window->actions()->importFactors();
    QVERIFY(m_reporter->errors.isEmpty());
    QCOMPARE(doc()->setCount(), sets + 1);
    QCOMPARE(doc()->activeEntry()->set.name, std::string("searched"));
    doc()->undoStack()->undo();
    QCOMPARE(doc()->setCount(), sets);
  }

  void cancelledDialogDoesNothing() {
    m_dialogs->answer.clear();
    m_window->actions()->importFactors();
    m_window->actions()->exportFactors(FactorFormat::LongRopeCsv);
    QCOMPARE(m_dialogs->asked, 2);
    QVERIFY(m_reporter->errors.isEmpty());
  }

  void opensAModelFolder() {
    const QString folder = QString(ROPE_FIXTURES_DIR) + "/hf-tiny/phi3_longrope";
    if (!QFile::exists(folder + "/config.json")) QSKIP("fixture hf-tiny/phi3_longrope not found");
    m_dialogs->answer = folder;
    m_window->actions()->openModelFolder();
    QVERIFY2(m_reporter->errors.isEmpty(), qPrintable(m_reporter->errors.join("\n")));
    QVERIFY(!doc()->model().builtIn);
    QCOMPARE(doc()->model().rope.method, RopeMethod::LongRope);
    // The model's own LongRoPE factors first, then the standard methods.
    QCOMPARE(doc()->entry(0).set.factors, doc()->model().rope.longFactor);
    QCOMPARE(doc()->setCount(), 6);
  }

  // A config whose two RoPE blocks disagree opens with rope_scaling's RoPE, as transformers
  // reads it, and the window says so once.
  void warnsOfDisagreeingRopeBlocks() {
    QTemporaryDir dir;
    const QString source = QString(ROPE_FIXTURES_DIR) + "/hf-tiny/llama_default";
    for (const char* f : {"config.json", "model.safetensors"}) {
      QVERIFY(QFile::copy(source + "/" + f, dir.filePath(f)));
    }
    auto cfg = nlohmann::json::parse(readFile(dir.filePath("config.json").toStdString()));
    cfg["rope_scaling"] = {{"rope_type", "linear"}, {"factor", 2.0}};
    cfg["rope_parameters"]["rope_type"] = "linear";
    cfg["rope_parameters"]["factor"] = 4.0;
    writeFileAtomic(dir.filePath("config.json").toStdString(), cfg.dump());
    m_reporter->infos.clear();
    m_window->session()->loadModel(dir.path());
    QCOMPARE(*doc()->model().rope.factor, 2.0);
    QTRY_COMPARE(m_reporter->infos.size(), 1);
    QVERIFY2(m_reporter->infos[0].contains("factor 2 (rope_scaling) vs 4 (rope_parameters)"),
             qPrintable(m_reporter->infos[0]));
  }

  // The bundled demo model opens with its LongRoPE search for the 4x target beside the fixed
  // methods; another model does not get it.
  void demoModelOpensWithItsSearchedSet() {
    std::string file;
    try {
      file = demoFactorsDir() + "/searched-4x.json";
      m_window->session()->loadModel(QString::fromStdString(demoModelDir()));
    } catch (const InputError& e) {
      QSKIP(e.what());
    }
    QCOMPARE(doc()->targetWindow(), 512);
    QCOMPARE(doc()->setCount(), 6);
    const FactorSetEntry& searched = doc()->entry(5);
    QCOMPARE(searched.set.name, std::string("LongRoPE searched 4x"));
    QCOMPARE(searched.set.factors, readFactorFile(file).factors);
    QVERIFY(!searched.origin.has_value());
    const QString folder = QString(ROPE_FIXTURES_DIR) + "/hf-tiny/llama_default";
    m_window->session()->loadModel(folder);
    for (int i = 0; i < doc()->setCount(); ++i) {
      QVERIFY(doc()->entry(i).set.name.find("searched") == std::string::npos);
    }
  }

  void runtimeOptionsForPresets() {
    doc()->setActiveIndex(0);  // PI 4x
    const QString text = m_window->session()->runtimeOptionsText();
    QVERIFY2(text.contains("--rope-scaling linear --rope-scale 4"), qPrintable(text));
    QVERIFY(text.contains("\"rope_type\": \"linear\", \"factor\": 4"));
    doc()->setActiveIndex(2);  // YaRN
    QVERIFY(m_window->session()->runtimeOptionsText().contains("--yarn-orig-ctx 4096"));
  }

  void dropOfAFactorFileImportsIt() {
    QString csv;
    for (int i = 0; i < 64; ++i) csv += QString::number(2.0) + "\n";
    const QString path = m_dir.filePath("dropped.csv");
    writeText(path, csv.toUtf8());
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(path)});
    const int sets = doc()->setCount();
    // Qt delivers a drop to the widget that accepted the drag's enter event.
    QDragEnterEvent enter(QPoint(100, 100), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(m_window.get(), &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(100, 100), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QVERIFY(QCoreApplication::sendEvent(m_window.get(), &drop));
    QVERIFY(m_reporter->errors.isEmpty());
    QCOMPARE(doc()->setCount(), sets + 1);
    QCOMPARE(doc()->activeEntry()->set.name, std::string("dropped"));
  }

  void logScaleAndCompareModes() {
    FactorEditorPanel* editor = m_window->factorEditor();
    ScientificPlot* plot = editor->factorPlot()->plot();
    editor->setLogScale(true);
    QCOMPARE(plot->yScale(), AxisScale::Log);
    editor->setCompare(FactorEditorPanel::CompareMode::Overlay, 0, 2);
    QCOMPARE(plot->curveCount(), 2);
    editor->setCompare(FactorEditorPanel::CompareMode::Difference, 0, 2);
    QCOMPARE(plot->curveCount(), 1);
    QCOMPARE(plot->yScale(), AxisScale::Linear);  // differences can be negative
    const auto& a = doc()->entry(0).set.factors;
    const auto& b = doc()->entry(2).set.factors;
    const QVector<double> diff = plot->curveY(0);
    for (int i = 0; i < diff.size(); ++i) QCOMPARE(diff[i], b[i] - a[i]);
  }

  void exportsTheCurrentPlot() {
    m_window->show();
    QVERIFY(m_window->selectTab("heatmap"));
    m_dialogs->answer = m_dir.filePath("heatmap.svg");
    m_window->actions()->exportPlot();
    QVERIFY(m_reporter->errors.isEmpty());
    QVERIFY(QFileInfo(m_dialogs->answer).size() > 1000);
  }

  // Sets of one name stay apart: a second "YaRN 4x" (β_fast 16) gets a suffix naming what
  // differs, a copy a number; sets can be renamed (undoably, never to a taken name); the
  // pickers and checklists keep the set they showed by identity, not by name or position.
  void sameNamedSetsStayApart() {
    int yarn = -1;
    for (int i = 0; i < doc()->setCount(); ++i) {
      if (doc()->entry(i).origin && doc()->entry(i).origin->request.method == RopeMethod::Yarn) {
        yarn = i;
      }
    }
    QVERIFY(yarn >= 0);
    const FactorSetEntry original = doc()->entry(yarn);
    PresetRequest request = original.origin->request;
    request.betaFast = 16;
    request.name = original.set.name;
    Preset preset = makePreset(doc()->model().rope, request);
    doc()->addSet(doc()->makeEntry(preset.set, preset), "add YaRN β16");
    const FactorSetEntry beta16 = doc()->entry(doc()->setCount() - 1);
    QCOMPARE(beta16.set.name, original.set.name + " β16");
    doc()->addSet(doc()->makeEntry(original.set, std::nullopt), "copy");
    QCOMPARE(doc()->entry(doc()->setCount() - 1).set.name, original.set.name + " 2");
    std::set<std::string> names;
    std::set<quint64> ids;
    for (const FactorSetEntry& e : doc()->sets()) {
      names.insert(e.set.name);
      ids.insert(e.id);
    }
    QCOMPARE(int(names.size()), doc()->setCount());
    QCOMPARE(int(ids.size()), doc()->setCount());

    // Rename in the project list; a taken name is refused.
    FactorSetListModel list(doc());
    const int last = doc()->setCount() - 1;
    QVERIFY(
        !list.setData(list.index(last), QString::fromStdString(original.set.name), Qt::EditRole));
    QVERIFY(list.setData(list.index(last), QString("my YaRN"), Qt::EditRole));
    QCOMPARE(doc()->entry(last).set.name, std::string("my YaRN"));
    QVERIFY(!doc()->entry(last).edited);
    doc()->undoStack()->undo();
    QCOMPARE(doc()->entry(last).set.name, original.set.name + " 2");
    doc()->undoStack()->redo();

    // Search's extra seeds: ticking one set ticks that set alone, and the tick follows it
    // through a rename.
    QListWidget* seeds = m_window->searchPanel()->seedList();
    QListWidgetItem* tick = nullptr;
    for (int i = 0; i < seeds->count(); ++i) {
      if (seeds->item(i)->data(kSetIdRole).value<quint64>() == original.id) tick = seeds->item(i);
    }
    QVERIFY(tick);
    tick->setCheckState(Qt::Checked);
    doc()->renameSet(yarn, "YaRN renamed");
    int ticked = 0;
    for (int i = 0; i < seeds->count(); ++i) {
      if (seeds->item(i)->checkState() != Qt::Checked) continue;
      ++ticked;
      QCOMPARE(seeds->item(i)->text(), QString("YaRN renamed"));
    }
    QCOMPARE(ticked, 1);

    // The A/B pickers (a job tab's, the factor editor's compare) keep their set when a set
    // before it goes.
    QComboBox* b = m_window->attentionPanel()->setBBox();
    b->setCurrentIndex(b->findData(QVariant::fromValue(beta16.id), kSetIdRole));
    const quint64 shown = beta16.id;
    const int beta16Index = doc()->indexOfId(shown);
    FactorEditorPanel* editor = m_window->factorEditor();
    editor->setCompare(FactorEditorPanel::CompareMode::Difference, 2, beta16Index);
    doc()->removeSet(0);
    QCOMPARE(b->currentData(kSetIdRole).value<quint64>(), shown);
    QCOMPARE(b->currentText().toStdString(), original.set.name + " β16");
    QCOMPARE(editor->compareSets(), std::make_pair(1, beta16Index - 1));
  }
};

QTEST_MAIN(TestWidgetGuiWorkbench)
#include "test_widget_gui_workbench.moc"
