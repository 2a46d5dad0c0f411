// OpenBLAS's kernels: rope-cli, started without OPENBLAS_CORETYPE on a CPU whose vector units
// OpenBLAS's own choice leaves unused, starts again with better ones (util/blas_kernels.h);
// a set OPENBLAS_CORETYPE and ROPE_KEEP_BLAS_CORE=1 are left alone.
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest>

#include "util/blas_kernels.h"

using namespace rope;

class TestBlasKernels : public QObject {
  Q_OBJECT

  // rope-cli paths --json's blas_kernels, run without both variables, then with env added.
  static QString kernelsOfCli(const QMap<QString, QString>& env) {
    QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
    e.remove("OPENBLAS_CORETYPE");
    e.remove("ROPE_KEEP_BLAS_CORE");
    for (auto it = env.begin(); it != env.end(); ++it) e.insert(it.key(), it.value());
    QProcess p;
    p.setProcessEnvironment(e);
    p.start(ROPE_CLI, {"paths", "--json"});
    if (!p.waitForFinished(60000)) return "(did not finish)";
    const QJsonObject j = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    return j.contains("blas_kernels") ? j.value("blas_kernels").toString() : "(no blas_kernels)";
  }

 private slots:
  void cliRunsTheBetterKernels() {
    // This test process started as OpenBLAS chose (its environment aside).
    if (qEnvironmentVariableIsSet("OPENBLAS_CORETYPE")) QSKIP("OPENBLAS_CORETYPE is set here");
    const QString own = QString::fromStdString(blasCoreName());
    if (own.isEmpty()) QSKIP("the BLAS is not OpenBLAS");
    const QString better = QString::fromStdString(betterBlasCore());
    qInfo("OpenBLAS's own choice %s; better on this CPU: %s", qPrintable(own),
          better.isEmpty() ? "none" : qPrintable(better));
    QCOMPARE(kernelsOfCli({}), better.isEmpty() ? own : better);
    QCOMPARE(kernelsOfCli({{"ROPE_KEEP_BLAS_CORE", "1"}}), own);
    QCOMPARE(kernelsOfCli({{"OPENBLAS_CORETYPE", "Prescott"}}), QString("Prescott"));
  }

  void betterOnlyWhenTheChoiceLacksAvx2() {
    const std::string own = blasCoreName();
    if (own.empty()) QSKIP("the BLAS is not OpenBLAS");
    const std::string better = betterBlasCore();
    if (own == "Haswell" || own == "SkylakeX" || own == "Zen" || own == "Cooperlake") {
      QVERIFY(better.empty());
    }
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2")) QVERIFY(better.empty());
#endif
  }
};

QTEST_GUILESS_MAIN(TestBlasKernels)
#include "test_blas_kernels.moc"
