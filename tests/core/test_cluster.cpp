// rope-cli as an MPI job (core/cluster, docs/cluster.md), on localhost: the search, a perplexity
// sweep and a passkey grid give a single process's results to the last bit whatever the number
// of ranks; a worker killed, a worker that stops answering and rank 0 killed leave a whole
// checkpoint that --resume, with another number of ranks, finishes to the uninterrupted result;
// the recipe's searches on two ranks give the recipe's single-process output;
// ranks with another model or another build are refused before any evaluation. Also the wire
// format ranks exchange, and the one-rank farm every build has.
#include <unistd.h>

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>
#include <csignal>
#include <filesystem>

#include "cluster/cluster.h"
#include "cluster/cluster_scorer.h"
#include "util/bytes.h"
#include "util/error.h"

using namespace rope;

namespace {

struct Proc {
  int code = -1;
  QString out, err;
};

QStringList mpiexec(int ranks) {
  QStringList a = {ROPE_MPIEXEC, "--oversubscribe"};
  if (geteuid() == 0) a << "--allow-run-as-root";
  return a << "-np" << QString::number(ranks);
}

Proc wait(QProcess& p, int timeoutMs) {
  if (!p.waitForFinished(timeoutMs)) {
    p.kill();
    p.waitForFinished();
    return {-1, QString::fromUtf8(p.readAllStandardOutput()),
            "timed out\n" + QString::fromUtf8(p.readAllStandardError())};
  }
  return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : 128 + SIGKILL,
          QString::fromUtf8(p.readAllStandardOutput()),
          QString::fromUtf8(p.readAllStandardError())};
}

void start(QProcess& p, QStringList command) {
  const QString program = command.takeFirst();
  p.start(program, command);
  QVERIFY2(p.waitForStarted(), qPrintable(program));
}

// command: program then arguments; ranks 0: rope-cli alone, without mpirun.
Proc run(int ranks, const QStringList& args, int timeoutMs = 300000) {
  QProcess p;
  start(p, (ranks > 0 ? mpiexec(ranks) : QStringList()) << ROPE_CLI << args);
  return wait(p, timeoutMs);
}

QJsonObject lastJson(const QString& out) {
  const QStringList lines = out.trimmed().split('\n');
  return QJsonDocument::fromJson(lines.isEmpty() ? QByteArray() : lines.last().toUtf8()).object();
}

QJsonObject readJson(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return {};
  return QJsonDocument::fromJson(f.readAll()).object();
}

QByteArray readAll(const QString& path) {
  QFile f(path);
  return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// The pid of the process of MPI rank `rank` whose command line holds `marker`; 0 if none.
qint64 rankPid(int rank, const QString& marker) {
  for (const QString& entry : QDir("/proc").entryList(QDir::Dirs)) {
    bool numeric = false;
    const qint64 pid = entry.toLongLong(&numeric);
    if (!numeric) continue;
    QFile cmd("/proc/" + entry + "/cmdline"), env("/proc/" + entry + "/environ");
    if (!cmd.open(QIODevice::ReadOnly) || !env.open(QIODevice::ReadOnly)) continue;
    const QByteArray c = cmd.readAll();
    if (!c.contains(marker.toUtf8()) || !c.contains("rope-cli")) continue;
    if (env.readAll().split('\0').contains("OMPI_COMM_WORLD_RANK=" + QByteArray::number(rank)))
      return pid;
  }
  return 0;
}

// Waits until the checkpoint holds at least `evaluations` full evaluations.
bool waitForCheckpoint(const QString& path, int evaluations, int timeoutMs = 120000) {
  QElapsedTimer t;
  t.start();
  while (t.elapsed() < timeoutMs) {
    if (readJson(path).value("evaluations").toInt() >= evaluations) return true;
    QThread::msleep(20);
  }
  return false;
}

// The demo model's search at 256 tokens: about 0.1 s per candidate on one core.
QStringList search(const QString& dir, const QString& name, int generations = 10) {
  return {"search",
          "--target-length",
          "256",
          "--population",
          "8",
          "--generations",
          QString::number(generations),
          "--samples",
          "2",
          "--seed",
          "5",
          "--threads",
          "1",
          "--json",
          "--checkpoint",
          dir + "/" + name + ".ckpt",
          "--out",
          dir + "/" + name + ".json"};
}

// What must be equal between two searches: the factors written and every candidate's fitness.
void requireSameSearch(const QString& dir, const QString& a, const QString& b) {
  const QByteArray fa = readAll(dir + "/" + a + ".json"), fb = readAll(dir + "/" + b + ".json");
  QVERIFY2(!fa.isEmpty(), qPrintable(a));
  QCOMPARE(fb, fa);
  const QJsonObject ca = readJson(dir + "/" + a + ".ckpt"), cb = readJson(dir + "/" + b + ".ckpt");
  QVERIFY(!ca.value("scores").toObject().isEmpty());
  // QJsonValue compares doubles exactly; the checkpoint writes them with round-trip precision.
  QCOMPARE(cb.value("scores"), ca.value("scores"));
  QCOMPARE(cb.value("population"), ca.value("population"));
  QCOMPARE(cb.value("evaluations"), ca.value("evaluations"));
}

// Starts a search "cut" under `ranks` ranks, and once its checkpoint holds `evaluations`
// evaluations sends `signal` to the process of rank `victim`; returns that process's pid.
qint64 interrupt(QProcess& job, const QString& dir, int ranks, const QStringList& extra,
                 int evaluations, int victim, int signal) {
  job.start(ROPE_MPIEXEC, mpiexec(ranks).mid(1) << ROPE_CLI << (search(dir, "cut") << extra));
  if (!job.waitForStarted() || !waitForCheckpoint(dir + "/cut.ckpt", evaluations)) return 0;
  const qint64 pid = rankPid(victim, dir + "/cut.ckpt");
  if (pid > 0) ::kill(static_cast<pid_t>(pid), signal);
  return pid;
}

// The interrupted search "cut", resumed under `ranks` ranks (0: one process), must end as the
// uninterrupted "whole" did.
void resumeMatchesWhole(const QString& dir, int ranks) {
  QVERIFY(!QFile::exists(dir + "/cut.json"));
  QVERIFY(!readJson(dir + "/cut.ckpt").isEmpty());  // whole: it parses
  const Proc resumed = run(ranks, search(dir, "cut") << "--resume");
  QVERIFY2(resumed.code == 0, qPrintable(resumed.err));
  requireSameSearch(dir, "whole", "cut");
}

QJsonObject withoutTimes(QJsonObject o) {
  for (const char* k : {"elapsed_s", "ranks"}) o.remove(k);
  return o;
}

}  // namespace

class TestCluster : public QObject {
  Q_OBJECT

 private slots:
  void ropeParamsCrossTheWireExactly() {
    RopeParams r;
    r.method = RopeMethod::LongRope;
    r.headDim = 96;
    r.partialRotaryFactor = 0.75;
    r.base = 500000.123456789;
    r.maxPosition = 131072;
    r.originalMaxPosition = 4096;
    r.factor = 1.0 / 3.0;
    r.alpha = 2.5;
    r.betaFast = 31;
    r.betaSlow = 2;
    r.truncate = false;
    r.mscale = 0.707;
    r.lowFreqFactor = 1.5;
    r.highFreqFactor = 3.5;
    r.shortFactor = {1.0, 1.01, 1.0 / 7.0};
    r.longFactor = {2.0, 3.0, 4.0 + 1e-15};
    r.layerFactors = {{1, 2, 3}, {4, 5, 6}};
    r.switchRule = LongRopeSwitch::ContextLength;
    r.contextLength = 8192;
    r.attentionPolicy = LongRopeAttention::Yarn;
    r.attentionFactor = 1.2345678901234567;
    r.nHat = 12;
    ByteWriter w;
    cluster::putRope(w, r);
    const std::string bytes = w.bytes();
    ByteReader in(bytes);
    const RopeParams back = cluster::getRope(in);
    QVERIFY(in.atEnd());
    ByteWriter again;
    cluster::putRope(again, back);
    QCOMPARE(again.bytes(), bytes);
    QCOMPARE(back.base, r.base);
    QCOMPARE(*back.factor, *r.factor);
    QVERIFY(!back.mscaleAllDim.has_value());
    QCOMPARE(back.longFactor, r.longFactor);
    QCOMPARE(back.layerFactors, r.layerFactors);
    QCOMPARE(back.switchRule, r.switchRule);
    QCOMPARE(back.attentionPolicy, r.attentionPolicy);
    QCOMPARE(*back.attentionFactor, *r.attentionFactor);
    QCOMPARE(back.nHat, 12);
    // Every truncation of the message is refused, none crashes.
    for (size_t n = 0; n < bytes.size(); ++n) {
      const std::string cut = bytes.substr(0, n);
      ByteReader shortIn(cut);
      QVERIFY_THROWS_EXCEPTION(InputError, cluster::getRope(shortIn));
    }
    std::string badMethod = bytes;
    badMethod[0] = 99;
    ByteReader badIn(badMethod);
    QVERIFY_THROWS_EXCEPTION(InputError, cluster::getRope(badIn));
  }

  void oneRankFarmRunsEverythingHereInOrder() {
    cluster::Session& one = cluster::Session::current();
    QCOMPARE(one.size(), 1);
    cluster::Farm farm(one, std::chrono::seconds(1));
    const auto out = farm.map({"a", "bb", "ccc"}, [](const std::string& r) { return r + "!"; });
    QCOMPARE(out, (std::vector<std::string>{"a!", "bb!", "ccc!"}));
    QCOMPARE(farm.stats().front().tasks, 3);
    const Distribute d = cluster::distributeOver(one, std::chrono::seconds(1));
    int last = 0;
    const auto r = d(
        4, [](int i) { return std::to_string(i * i); }, [&](int done) { last = done; });
    QCOMPARE(r, (std::vector<std::string>{"0", "1", "4", "9"}));
    QCOMPARE(last, 4);
  }

  void searchGivesTheSameResultOnOneAndThreeRanks() {
    if (!cluster::builtWithMpi()) QSKIP("built without MPI");
    QTemporaryDir dir;
    const QString d = dir.path();
    const Proc single = run(0, search(d, "single", 3));
    QVERIFY2(single.code == 0, qPrintable(single.err));
    const Proc one = run(1, search(d, "np1", 3));
    QVERIFY2(one.code == 0, qPrintable(one.err));
    const Proc three = run(3, search(d, "np3", 3));
    QVERIFY2(three.code == 0, qPrintable(three.err));
    requireSameSearch(d, "single", "np1");
    requireSameSearch(d, "single", "np3");
    // One line per generation, from rank 0 only.
    QCOMPARE(three.out.count("[long] generation 3/3"), 1);
    const QJsonObject j = lastJson(three.out);
    const QJsonArray ranks = j.value("ranks").toArray();
    QCOMPARE(ranks.size(), 3);
    int tasks = 0;
    for (const auto& r : ranks) tasks += r.toObject().value("tasks").toInt();
    QCOMPARE(tasks, j.value("evaluations").toInt());  // one candidate per task on a CPU
    QCOMPARE(j.value("devices").toArray().size(), 3);
  }

  void workerKilledThenResumedOnTwoRanks() {
    if (!cluster::builtWithMpi()) QSKIP("built without MPI");
    QTemporaryDir dir;
    const QString d = dir.path();
    QVERIFY(run(0, search(d, "whole")).code == 0);
    QProcess job;
    QVERIFY(interrupt(job, d, 3, {}, 12, 1, SIGKILL) > 0);
    const Proc cut = wait(job, 120000);
    QVERIFY(cut.code != 0);
    QVERIFY2(cut.err.contains("rank 1"), qPrintable(cut.err));  // mpirun names the rank
    const int saved = readJson(d + "/cut.ckpt").value("evaluations").toInt();
    QVERIFY2(saved >= 12 && saved < readJson(d + "/whole.ckpt").value("evaluations").toInt(),
             qPrintable(QString::number(saved)));
    resumeMatchesWhole(d, 2);
  }

  void leaderKilledThenResumedAlone() {
    if (!cluster::builtWithMpi()) QSKIP("built without MPI");
    QTemporaryDir dir;
    const QString d = dir.path();
    QVERIFY(run(0, search(d, "whole")).code == 0);
    QProcess job;
    QVERIFY(interrupt(job, d, 2, {}, 10, 0, SIGKILL) > 0);
    QVERIFY(wait(job, 120000).code != 0);
    resumeMatchesWhole(d, 0);
  }

  void workerThatStopsAnsweringEndsTheJobByName() {
    if (!cluster::builtWithMpi()) QSKIP("built without MPI");
    QTemporaryDir dir;
    const QString d = dir.path();
    QVERIFY(run(0, search(d, "whole")).code == 0);
    QProcess job;
    const qint64 worker = interrupt(job, d, 3, {"--rank-timeout", "3"}, 8, 2, SIGSTOP);
    QVERIFY(worker > 0);
    QElapsedTimer t;
    t.start();
    const Proc cut = wait(job, 120000);
    ::kill(static_cast<pid_t>(worker), SIGCONT);
    QVERIFY(cut.code != 0);
    QVERIFY2(cut.err.contains("rank 2 did not answer within 3 s"), qPrintable(cut.err));
    QVERIFY2(cut.err.contains("--resume continues it"), qPrintable(cut.err));
    QVERIFY(t.elapsed() < 60000);
    resumeMatchesWhole(d, 0);
  }

  void ranksOnAnotherModelOrBuildAreRefusedAtStartUp() {
    if (!cluster::builtWithMpi()) QSKIP("built without MPI");
    QTemporaryDir dir;
    const QString d = dir.path();
    // Another model: the demo model with one more key in its config.
    const QString demo = ROPE_SOURCE_DIR "/resources/demo-model";
    const QString other = d + "/other-model";
    QVERIFY(QDir().mkpath(other));
    for (const QString& f : QDir(demo).entryList(QDir::Files)) {
      if (f == "config.json") continue;
      QVERIFY(QFile::link(demo + "/" + f, other + "/" + f));
    }
    QJsonObject config = readJson(demo + "/config.json");
    config["rms_norm_eps"] = 1e-5 + config.value("rms_norm_eps").toDouble();
    QFile cfg(other + "/config.json");
    QVERIFY(cfg.open(QIODevice::WriteOnly));
    cfg.write(QJsonDocument(config).toJson());
    cfg.close();
    QStringList command = mpiexec(1) << ROPE_CLI << (search(d, "a") << "--model" << demo);
    command << ":"
            << "-np"
            << "1" << ROPE_CLI << (search(d, "a") << "--model" << other);
    QProcess job;
    start(job, command);
    const Proc model = wait(job, 120000);
    QVERIFY(model.code != 0);
    QVERIFY2(model.err.contains("rank 1 differs from rank 0 in its model"), qPrintable(model.err));
    QVERIFY(!QFile::exists(d + "/a.ckpt"));  // nothing evaluated

    // Another build: the same executable with one byte more.
    const QString cli2 = d + "/rope-cli";
    QVERIFY(QFile::copy(ROPE_CLI, cli2));
    QFile bin(cli2);
    QVERIFY(bin.open(QIODevice::Append));
    bin.write("x", 1);
    bin.close();
    QStringList builds = mpiexec(1) << ROPE_CLI << search(d, "b");
    builds << ":"
           << "-np"
           << "1" << cli2 << search(d, "b");
    QProcess job2;
    start(job2, builds);
    const Proc build = wait(job2, 120000);
    QVERIFY(build.code != 0);
    QVERIFY2(build.err.contains("rank 1 differs from rank 0 in its build"), qPrintable(build.err));
    QVERIFY(!QFile::exists(d + "/b.ckpt"));
  }

  void perplexitySweepAndPasskeyGridOnTwoRanks() {
    if (!cluster::builtWithMpi()) QSKIP("built without MPI");
    const QStringList ppl = {"ppl",      "--lengths", "128,256",   "--samples", "3",
                             "--stride", "0",         "--threads", "1",         "--json"};
    const Proc a = run(0, ppl), b = run(2, ppl);
    QVERIFY2(a.code == 0 && b.code == 0, qPrintable(a.err + b.err));
    QCOMPARE(withoutTimes(lastJson(b.out)), withoutTimes(lastJson(a.out)));
    QCOMPARE(lastJson(b.out).value("ranks").toArray().size(), 2);

    const QStringList passkey = {"passkey",        "--lengths", "128,192",   "--depths", "0,1",
                                 "--trials",       "3",         "--threads", "1",        "--json",
                                 "--trials-detail"};
    const Proc c = run(0, passkey), e = run(2, passkey);
    QVERIFY2(c.code == 0 && e.code == 0, qPrintable(c.err + e.err));
    const QJsonObject single = withoutTimes(lastJson(c.out));
    QVERIFY(!single.value("cells").toArray().isEmpty());
    QCOMPARE(withoutTimes(lastJson(e.out)), single);
  }

  void recipeOnTwoRanksEqualsOneProcess() {
    if (!cluster::builtWithMpi()) QSKIP("built without MPI");
    QTemporaryDir dir;
    const QString d = dir.path();
    const QStringList recipe = {"--target",
                                "512",
                                "--fine-tune-length",
                                "256",
                                "--samples",
                                "2",
                                "--population",
                                "4",
                                "--generations",
                                "1",
                                "--short-generations",
                                "1",
                                "--steps",
                                "4",
                                "--refine-steps",
                                "2",
                                "--batch",
                                "2",
                                "--eval-every",
                                "2",
                                "--eval-windows",
                                "2",
                                "--seed",
                                "1",
                                "--threads",
                                "1"};
    const Proc one = run(0, QStringList{"extend", "--out", d + "/one"} << recipe);
    QVERIFY2(one.code == 0, qPrintable(one.err));
    // An option left out is the recipe's default (training keys balanced by length).
    const QJsonObject recorded = QJsonDocument::fromJson(readAll(d + "/one/recipe.json")).object();
    const QJsonObject options = recorded.value("options").toObject();
    QCOMPARE(options.value("passkey_keys").toString(), QString("by-length"));
    const Proc two = run(2, QStringList{"extend", "--out", d + "/two"} << recipe);
    QVERIFY2(two.code == 0, qPrintable(two.err));
    // The searches ran on both ranks (stages three and four on the fine-tuned model), the
    // fine-tunings on rank 0: every stage's output is the same.
    for (const char* f :
         {"1-search/factors.json", "3-search2/factors.json", "4-short/factors.json",
          "5-refine/model/model.safetensors", "model/config.json", "model/model.safetensors"}) {
      const QByteArray a = readAll(d + "/one/" + f);
      QVERIFY2(!a.isEmpty(), f);
      QVERIFY2(readAll(d + "/two/" + f) == a, f);
    }
  }

  void commandsThatRunAsOneProcessRefuseSeveralRanks() {
    if (!cluster::builtWithMpi()) QSKIP("built without MPI");
    const Proc p = run(2, {"rope", "--head-dim", "64"});
    QVERIFY(p.code != 0);
    QVERIFY2(p.err.contains("runs as one process, not as 2 MPI ranks"), qPrintable(p.err));
  }
};

QTEST_GUILESS_MAIN(TestCluster)
#include "test_cluster.moc"
