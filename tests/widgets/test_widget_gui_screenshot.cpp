// `rope-workbench --screenshot` through the same code main() runs: the window renders
// non-empty plots on every tab, and bad command lines exit with 1.
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QSet>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include "launch.h"

using namespace rope;

namespace {

int distinctColours(const QImage& image) {
  QSet<QRgb> colours;
  for (int y = 0; y < image.height(); y += 2) {
    const QRgb* line = reinterpret_cast<const QRgb*>(image.constScanLine(y));
    for (int x = 0; x < image.width(); x += 2) colours.insert(line[x]);
  }
  return colours.size();
}

}  // namespace

class TestWidgetGuiScreenshot : public QObject {
  Q_OBJECT
  QTemporaryDir m_dir;

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("rope-workbench-tests");
  }

  void rendersEveryTab_data() {
    QTest::addColumn<QString>("tab");
    QTest::addColumn<int>("minColours");
    QTest::newRow("factors") << "factors" << 200;
    QTest::newRow("spectrum") << "spectrum" << 200;
    QTest::newRow("rotations") << "rotations" << 200;
    QTest::newRow("heatmap") << "heatmap" << 400;
    QTest::newRow("search (empty: hints)") << "search" << 50;
    QTest::newRow("passkey (empty: hints)") << "passkey" << 50;
  }

  // --run: the job tab's job runs with its settings before the screenshot.
  void runsTheJobFirst() {
    const QString path = m_dir.filePath("perplexity.png");
    QCOMPARE(runWorkbench({"rope-workbench", "--screenshot", path, "--tab", "perplexity", "--run"}),
             0);
    QImage image(path);
    QVERIFY(!image.isNull());
    QVERIFY(distinctColours(image.convertToFormat(QImage::Format_RGB32)) >= 200);
  }

  void rendersEveryTab() {
    QFETCH(QString, tab);
    QFETCH(int, minColours);
    const QString path = m_dir.filePath(tab + ".png");
    QCOMPARE(runWorkbench({"rope-workbench", "--screenshot", path, "--tab", tab}), 0);
    QImage image(path);
    QVERIFY(!image.isNull());
    QVERIFY(image.width() >= 1200 && image.height() >= 800);
    image = image.convertToFormat(QImage::Format_RGB32);
    const int colours = distinctColours(image);
    QVERIFY2(colours >= minColours, qPrintable(QString("only %1 colours").arg(colours)));
  }

  void rendersAModelFolder() {
    const QString folder = QString(ROPE_FIXTURES_DIR) + "/hf-tiny/llama_default";
    if (!QFileInfo::exists(folder + "/config.json"))
      QSKIP("fixture hf-tiny/llama_default not found");
    const QString path = m_dir.filePath("model.png");
    QCOMPARE(runWorkbench({"rope-workbench", "--model", folder, "--screenshot", path}), 0);
    QVERIFY(!QImage(path).isNull());
  }

  void rendersASession() {
    const QString session = m_dir.filePath("session.rope.json");
    {
      QFile f(session);
      QVERIFY(f.open(QIODevice::WriteOnly));
      QString factors;
      for (int i = 0; i < 64; ++i)
        factors += QString(i ? "," : "") + QString::number(1.0 + i / 32.0);
      f.write(QString("{\"format\": \"rope-workbench-project\", \"version\": 1, \"factor_sets\": "
                      "[{\"name\": \"ramp\", \"factors\": [%1]}]}")
                  .arg(factors)
                  .toUtf8());
    }
    const QString path = m_dir.filePath("session.png");
    QCOMPARE(runWorkbench({"rope-workbench", "--session", session, "--screenshot", path}), 0);
    QVERIFY(!QImage(path).isNull());
  }

  void badCommandLinesExitWithOne() {
    const QString path = m_dir.filePath("never.png");
    QCOMPARE(runWorkbench(
                 {"rope-workbench", "--model", m_dir.filePath("missing"), "--screenshot", path}),
             1);
    QCOMPARE(runWorkbench({"rope-workbench", "--screenshot", path, "--tab", "nope"}), 1);
    QCOMPARE(runWorkbench({"rope-workbench", "--bogus"}), 1);
    QCOMPARE(runWorkbench({"rope-workbench", "--screenshot", path, "--run"}), 1);  // factors
    QCOMPARE(runWorkbench({"rope-workbench", "--tab", "search", "--run"}), 1);     // no screenshot
    QVERIFY(!QFileInfo::exists(path));
  }
};

QTEST_MAIN(TestWidgetGuiScreenshot)
#include "test_widget_gui_screenshot.moc"
