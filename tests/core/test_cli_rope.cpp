// rope-cli rope and convert through runCli: JSON output, exit codes, no partial outputs.
#include <QtTest>
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/cli.h"
#include "io/factor_files.h"
#include "util/files.h"

using namespace rope;

namespace {

const std::string kFixtures = ROPE_FIXTURES_DIR "/hf-tiny";

struct Run {
  int code;
  std::string out;
  std::string err;
};

Run runRopeCli(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int code = cli::runCli(args, out, err);
  return {code, out.str(), err.str()};
}

}  // namespace

class TestCliRope : public QObject {
  Q_OBJECT

 private slots:
  void configJson();
  void methodJson_data();
  void methodJson();
  void ropeFileOnConfig();
  void exitCodes_data();
  void exitCodes();
  void convertRoundTrip();
  void convertBadInputWritesNothing();
  void help();
};

void TestCliRope::configJson() {
  const Run r = runRopeCli({"rope", "--config", kFixtures + "/phi3_longrope", "--seq-len", "300",
                     "--json"});
  QCOMPARE(r.code, 0);
  const auto j = nlohmann::json::parse(r.out);
  QCOMPARE(j["method"], "longrope");
  QCOMPARE(j["head_dim"], 16);
  QCOMPARE(j["rotary_dim"], 16);
  QCOMPARE(j["base"].get<double>(), 10000.0);
  QCOMPARE(j["inv_freq"].size(), size_t(8));
  QCOMPARE(j["factors"][7].get<double>(), 11.5);
  QVERIFY(std::fabs(j["attention_factor"].get<double>() - std::sqrt(1.5)) < 1e-15);
  QCOMPARE(j["long_factors_used"], true);
  // At the window the short factors apply.
  const auto s = nlohmann::json::parse(
      runRopeCli({"rope", "--config", kFixtures + "/phi3_longrope/config.json", "--seq-len", "64",
           "--json"}).out);
  QCOMPARE(s["factors"][7].get<double>(), 1.35);
}

void TestCliRope::methodJson_data() {
  QTest::addColumn<QStringList>("args");
  QTest::addColumn<double>("lastFactor");
  QTest::addColumn<double>("attention");
  QTest::newRow("default") << QStringList{"--method", "default", "--head-dim", "64"} << 1.0
                           << 1.0;
  QTest::newRow("linear") << QStringList{"--method", "linear", "--head-dim", "64", "--factor",
                                         "4"} << 4.0 << 1.0;
  QTest::newRow("ntk") << QStringList{"--method", "ntk", "--head-dim", "64", "--alpha", "8"}
                       << 8.0 << 1.0;
  QTest::newRow("dynamic below") << QStringList{"--method", "dynamic", "--head-dim", "64",
                                                "--factor", "4", "--max-position", "4096",
                                                "--seq-len", "2048"} << 1.0 << 1.0;
  QTest::newRow("yarn") << QStringList{"--method", "yarn", "--head-dim", "16", "--factor", "8",
                                       "--original-max", "64"}
                        << 8.0 << 0.1 * std::log(8.0) + 1;
  QTest::newRow("llama3") << QStringList{"--method", "llama3", "--head-dim", "128", "--base",
                                         "500000", "--factor", "8", "--original-max", "8192",
                                         "--low-freq-factor", "1", "--high-freq-factor", "4"}
                          << 8.0 << 1.0;
}

void TestCliRope::methodJson() {
  QFETCH(QStringList, args);
  QFETCH(double, lastFactor);
  QFETCH(double, attention);
  std::vector<std::string> a{"rope"};
  for (const auto& s : args) a.push_back(s.toStdString());
  a.push_back("--json");
  const Run r = runRopeCli(a);
  QVERIFY2(r.code == 0, r.err.c_str());
  const auto j = nlohmann::json::parse(r.out);
  QVERIFY(std::fabs(j["factors"].back().get<double>() - lastFactor) < 1e-12 * lastFactor);
  QVERIFY(std::fabs(j["attention_factor"].get<double>() - attention) < 1e-15);
  for (const char* key : {"method", "head_dim", "rotary_dim", "base", "inv_freq", "factors"}) {
    QVERIFY2(j.contains(key), key);
  }
}

void TestCliRope::ropeFileOnConfig() {
  QTemporaryDir dir;
  const std::string csv = dir.filePath("f.csv").toStdString();
  writeFileAtomic(csv, "1\n2\n3\n4\n5\n6\n7\n8\n");
  const Run r = runRopeCli({"rope", "--config", kFixtures + "/llama_default", "--rope", csv, "--json"});
  QVERIFY2(r.code == 0, r.err.c_str());
  QCOMPARE(nlohmann::json::parse(r.out)["factors"][7].get<double>(), 8.0);
  writeFileAtomic(csv, "1\n2\n");
  const Run bad = runRopeCli({"rope", "--config", kFixtures + "/llama_default", "--rope", csv});
  QCOMPARE(bad.code, 1);
  QVERIFY2(QString::fromStdString(bad.err).contains("needs 8"), bad.err.c_str());
}

void TestCliRope::exitCodes_data() {
  QTest::addColumn<QStringList>("args");
  QTest::addColumn<int>("code");
  QTest::newRow("no command") << QStringList{} << 2;
  QTest::newRow("unknown command") << QStringList{"frobnicate"} << 2;
  QTest::newRow("unknown option") << QStringList{"rope", "--config", "x", "--frob"} << 2;
  QTest::newRow("both modes") << QStringList{"rope", "--config", "x", "--method", "linear"} << 2;
  QTest::newRow("bad int") << QStringList{"rope", "--method", "linear", "--head-dim", "6x4"}
                           << 2;
  QTest::newRow("nan factor") << QStringList{"rope", "--method", "linear", "--head-dim", "64",
                                             "--factor", "nan"} << 2;
  QTest::newRow("missing value") << QStringList{"rope", "--method"} << 2;
  QTest::newRow("bad choice") << QStringList{"train", "--out", "x", "--passkey-keys", "short"}
                              << 2;
  QTest::newRow("bad choice (extend)")
      << QStringList{"extend", "--out", "x", "--target", "512", "--passkey-keys", "5"} << 2;
  QTest::newRow("missing file") << QStringList{"rope", "--config", "/no/such/config.json"} << 1;
  QTest::newRow("bad method") << QStringList{"rope", "--method", "xpos", "--head-dim", "64"}
                              << 1;
  QTest::newRow("odd head dim") << QStringList{"rope", "--method", "default", "--head-dim", "7"}
                                << 1;
  QTest::newRow("zero factor") << QStringList{"rope", "--method", "linear", "--head-dim", "64",
                                              "--factor", "0"} << 1;
}

void TestCliRope::exitCodes() {
  QFETCH(QStringList, args);
  QFETCH(int, code);
  std::vector<std::string> a;
  for (const auto& s : args) a.push_back(s.toStdString());
  const Run r = runRopeCli(a);
  QCOMPARE(r.code, code);
  QVERIFY(r.out.empty());
  if (code == 1) {
    QVERIFY2(r.err.rfind("error: ", 0) == 0, r.err.c_str());
    QCOMPARE(std::count(r.err.begin(), r.err.end(), '\n'), 1);
  }
}

void TestCliRope::convertRoundTrip() {
  QTemporaryDir dir;
  const std::string csv = dir.filePath("phi.csv").toStdString();
  const std::string proj = dir.filePath("phi.json").toStdString();
  const std::string cfgDir = dir.filePath("model").toStdString();
  QDir().mkpath(QString::fromStdString(cfgDir));
  QVERIFY(QFile::copy(QString::fromStdString(kFixtures + "/phi3_longrope/config.json"),
                      QString::fromStdString(cfgDir + "/config.json")));
  QFile::setPermissions(QString::fromStdString(cfgDir + "/config.json"),
                        QFile::ReadOwner | QFile::WriteOwner);
  QCOMPARE(runRopeCli({"convert", kFixtures + "/phi3_longrope", proj}).code, 0);
  QCOMPARE(runRopeCli({"convert", proj, csv}).code, 0);
  QCOMPARE(readFactorFile(csv).factors, readFactorFile(proj).factors);
  // Project -> the model's config.json: only the RoPE keys change.
  FactorSet edited = readFactorFile(proj);
  edited.factors[3] = 6.25;
  writeProject(proj, {edited});
  const Run r = runRopeCli({"convert", proj, cfgDir, "--to", "hf-config"});
  QVERIFY2(r.code == 0, r.err.c_str());
  QCOMPARE(readFactorFile(cfgDir).factors, edited.factors);
  QCOMPARE(readFactorFile(cfgDir).shortFactors, edited.shortFactors);
}

void TestCliRope::convertBadInputWritesNothing() {
  QTemporaryDir dir;
  const std::string bad = dir.filePath("bad.csv").toStdString();
  writeFileAtomic(bad, "1\n2\nnan\n");
  const std::string out = dir.filePath("out.json").toStdString();
  const Run r = runRopeCli({"convert", bad, out});
  QCOMPARE(r.code, 1);
  QVERIFY(!QFile::exists(QString::fromStdString(out)));
  QCOMPARE(runRopeCli({"convert", bad}).code, 2);
  QCOMPARE(runRopeCli({"convert", bad, out, "--to", "gguf"}).code, 1);
}

void TestCliRope::help() {
  const Run tool = runRopeCli({"--help"});
  QCOMPARE(tool.code, 0);
  QVERIFY(QString::fromStdString(tool.out).contains("convert"));
  for (const auto& c : cli::commands()) {
    const Run r = runRopeCli({c.name, "--help"});
    QCOMPARE(r.code, 0);
    QVERIFY(QString::fromStdString(r.out).startsWith("usage"));
  }
}

QTEST_APPLESS_MAIN(TestCliRope)
#include "test_cli_rope.moc"
