// Factor files and HF configs: round trips for every format, both config spellings, and bad
// input for every parser.
#include <QtTest>
#include <nlohmann/json.hpp>

#include "io/factor_files.h"
#include "io/hf_config.h"
#include "rope/rope_math.h"
#include "util/error.h"
#include "util/files.h"

using namespace rope;

namespace {

const std::string kFixtures = ROPE_FIXTURES_DIR "/hf-tiny";

FactorSet sampleSet() {
  FactorSet s;
  s.name = "searched x4";
  s.method = "search";
  s.factors = {1.0, 1.0 / 3.0, 2.5, 3.25, 4.0, 4.75, 5.0, 5.0};
  s.factors[1] = 1.1 + 1e-13;  // a value that needs all 17 digits
  s.shortFactors = {1.0, 1.0, 1.01, 1.02, 1.03, 1.04, 1.05, 1.06};
  s.nHat = 4;
  s.attentionFactor = 1.0986;
  s.base = 10000;
  s.rotaryDim = 16;
  s.originalMaxPosition = 64;
  s.targetLength = 256;
  return s;
}

void compareSets(const FactorSet& a, const FactorSet& b) {
  QCOMPARE(a.name, b.name);
  QCOMPARE(a.method, b.method);
  QCOMPARE(a.factors, b.factors);
  QCOMPARE(a.shortFactors, b.shortFactors);
  QCOMPARE(a.layerFactors, b.layerFactors);
  QCOMPARE(a.nHat, b.nHat);
  QCOMPARE(a.attentionFactor, b.attentionFactor);
  QCOMPARE(a.base, b.base);
  QCOMPARE(a.rotaryDim, b.rotaryDim);
  QCOMPARE(a.originalMaxPosition, b.originalMaxPosition);
  QCOMPARE(a.targetLength, b.targetLength);
}

std::string write(const QTemporaryDir& dir, const char* name, const std::string& text) {
  const std::string path = dir.filePath(name).toStdString();
  writeFileAtomic(path, text);
  return path;
}

const char* kLlama4x = R"({
  "architectures": ["LlamaForCausalLM"], "hidden_size": 4096, "num_attention_heads": 32,
  "num_key_value_heads": 8, "num_hidden_layers": 32, "intermediate_size": 14336,
  "vocab_size": 128256, "max_position_embeddings": 131072, "rope_theta": 500000.0,
  "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                   "original_max_position_embeddings": 8192, "rope_type": "llama3"},
  "torch_dtype": "bfloat16", "custom_key": {"kept": [1, 2, 3]}
})";

const char* kPhi3Legacy = R"({
  "architectures": ["Phi3ForCausalLM"], "hidden_size": 3072, "num_attention_heads": 32,
  "num_hidden_layers": 32, "intermediate_size": 8192, "vocab_size": 32064,
  "max_position_embeddings": 131072, "original_max_position_embeddings": 4096,
  "rope_theta": 10000.0,
  "rope_scaling": {"type": "su", "short_factor": [%SHORT%], "long_factor": [%LONG%]}
})";

std::string phi3Legacy(const std::string& type = "su") {
  std::string s = kPhi3Legacy;
  std::string shortF, longF;
  for (int i = 0; i < 48; ++i) {
    shortF += (i ? "," : "") + std::to_string(1.0 + i * 0.01);
    longF += (i ? "," : "") + std::to_string(1.0 + i * 0.5);
  }
  s.replace(s.find("%SHORT%"), 7, shortF);
  s.replace(s.find("%LONG%"), 6, longF);
  s.replace(s.find("\"su\""), 4, "\"" + type + "\"");
  return s;
}

}  // namespace

class TestFactorFiles : public QObject {
  Q_OBJECT

 private slots:
  void fixturesSpelling5x();
  void spelling4x_data();
  void spelling4x();
  void projectRoundTrip();
  void projectSessionState();
  void csvRoundTrip();
  void csvMatrix();
  void hfConfigPatchKeepsOtherKeys_data();
  void hfConfigPatchKeepsOtherKeys();
  void hfConfigNewFile();
  void detect();
  void badConfigs_data();
  void badConfigs();
  void badCsv_data();
  void badCsv();
  void badProject_data();
  void badProject();
  void failedWriteKeepsOldFile();
};

void TestFactorFiles::fixturesSpelling5x() {
  const RopeParams llama = readRopeParams(kFixtures + "/llama_default");
  QCOMPARE(llama.method, RopeMethod::Default);
  QCOMPARE(llama.headDim, 16);
  QCOMPARE(llama.base, 10000.0);
  const ModelConfig phi = readModelConfig(kFixtures + "/phi3_longrope");
  QCOMPARE(phi.architecture, std::string("Phi3ForCausalLM"));
  QCOMPARE(phi.spelling, RopeSpelling::RopeParameters);
  QCOMPARE(phi.rope.method, RopeMethod::LongRope);
  QCOMPARE(phi.rope.originalMaxPosition, 64);
  QCOMPARE(phi.rope.maxPosition, 512);
  QCOMPARE(phi.rope.longFactor.back(), 11.5);
  QCOMPARE(phi.rope.shortFactor[1], 1.05);
  QCOMPARE(phi.numKvHeads, 2);
  QCOMPARE(phi.rmsNormEps, 1e-5);
  QVERIFY(qFuzzyCompare(computeFrequencies(phi.rope, 300).attentionFactor, std::sqrt(1.5)));
}

void TestFactorFiles::spelling4x_data() {
  QTest::addColumn<QString>("text");
  QTest::addColumn<int>("method");
  QTest::addColumn<double>("lastFactor");
  QTest::newRow("llama3.1") << QString(kLlama4x) << int(RopeMethod::Llama3) << 8.0;
  QTest::newRow("phi3 su") << QString::fromStdString(phi3Legacy()) << int(RopeMethod::LongRope)
                           << 24.5;
  QTest::newRow("phi3 legacy yarn")
      << QString::fromStdString(phi3Legacy("yarn")) << int(RopeMethod::LongRope) << 24.5;
  QTest::newRow("linear type") << R"({"hidden_size": 64, "num_attention_heads": 4,
      "max_position_embeddings": 2048, "rope_scaling": {"type": "linear", "factor": 4}})"
                               << int(RopeMethod::Linear) << 4.0;
  QTest::newRow("dynamic") << R"({"head_dim": 16, "max_position_embeddings": 2048,
      "rope_scaling": {"rope_type": "dynamic", "factor": 2.0}})" << int(RopeMethod::Dynamic)
                           << 1.0;
  QTest::newRow("yarn deepseek") << R"({"head_dim": 64, "max_position_embeddings": 163840,
      "rope_theta": 10000, "rope_scaling": {"type": "yarn", "factor": 40, "beta_fast": 32,
      "beta_slow": 1, "mscale": 1.0, "mscale_all_dim": 1.0,
      "original_max_position_embeddings": 4096}})" << int(RopeMethod::Yarn) << 40.0;
  QTest::newRow("null rope_scaling") << R"({"head_dim": 16, "max_position_embeddings": 2048,
      "rope_scaling": null})" << int(RopeMethod::Default) << 1.0;
}

void TestFactorFiles::spelling4x() {
  QFETCH(QString, text);
  QFETCH(int, method);
  QFETCH(double, lastFactor);
  const RopeParams p = parseRopeParams(text.toStdString(), "config.json");
  QCOMPARE(int(p.method), method);
  const auto fr = computeFrequencies(p, p.maxPosition);
  QVERIFY(qFuzzyCompare(fr.factors.back(), lastFactor));
  if (text.contains("\"yarn\", \"short_factor\"") || text.contains("\"type\": \"yarn\", \"short")) {
    QCOMPARE(p.attentionPolicy, LongRopeAttention::Yarn);
  }
}

void TestFactorFiles::projectRoundTrip() {
  QTemporaryDir dir;
  FactorSet a = sampleSet();
  FactorSet b = sampleSet();
  b.name = "per layer";
  b.attentionFactor.reset();
  b.shortFactors.clear();
  b.layerFactors = {a.factors, a.shortFactors};
  const std::string path = dir.filePath("p.json").toStdString();
  writeProject(path, {a, b});
  QCOMPARE(detectFormat(path), FactorFormat::Project);
  const auto sets = readFactorFiles(path);
  QCOMPARE(sets.size(), size_t(2));
  compareSets(sets[0], a);
  compareSets(sets[1], b);
  compareSets(readFactorFile(path, "per layer"), b);
  QVERIFY_THROWS_EXCEPTION(InputError, readFactorFile(path, "missing"));
}

// The GUI's session state travels verbatim next to the sets; plain readers ignore it.
void TestFactorFiles::projectSessionState() {
  QTemporaryDir dir;
  const std::string path = dir.filePath("session.json").toStdString();
  ProjectFile p;
  p.sets = {sampleSet()};
  p.session = R"({"model":"/m","sets":[{"color":"#ff0000","visible":false}],"active":0})";
  writeProjectFile(path, p);
  const ProjectFile back = readProjectFile(path);
  compareSets(back.sets.front(), p.sets.front());
  QCOMPARE(nlohmann::json::parse(back.session), nlohmann::json::parse(p.session));
  compareSets(readFactorFile(path), p.sets.front());
  writeProject(path, p.sets);
  QVERIFY(readProjectFile(path).session.empty());
  p.session = "[1, 2]";
  QVERIFY_THROWS_EXCEPTION(InputError, writeProjectFile(path, p));
  QVERIFY(readProjectFile(path).session.empty());  // the failed write changed nothing
  writeFileAtomic(path, formatProject(p.sets).replace(1, 0, "\"session\": 3, "));
  QVERIFY_THROWS_EXCEPTION(InputError, readProjectFile(path));
}

void TestFactorFiles::csvRoundTrip() {
  QTemporaryDir dir;
  const FactorSet a = sampleSet();
  const std::string path = dir.filePath("f.csv").toStdString();
  std::vector<std::string> warnings;
  writeFactorFile(path, a, FactorFormat::LongRopeCsv, &warnings);
  QCOMPARE(warnings.size(), size_t(3));  // n_hat, attention factor, short factors
  const FactorSet b = readFactorFile(path);
  QCOMPARE(b.factors, a.factors);  // bit-exact
  QCOMPARE(b.name, std::string("f"));
  // A single row of comma-separated values, comments and blank lines.
  const FactorSet c = parseLongRopeCsv("# searched\n\n1.0, 1.5,2, 2.5\n", "row.csv");
  QCOMPARE(c.factors, (std::vector<double>{1.0, 1.5, 2.0, 2.5}));
}

void TestFactorFiles::csvMatrix() {
  QTemporaryDir dir;
  FactorSet a = sampleSet();
  a.layerFactors = {{1, 2, 3}, {1.5, 2.5, 3.5}};
  a.factors = a.layerFactors[0];
  a.shortFactors.clear();
  const std::string path = dir.filePath("layers.csv").toStdString();
  writeFactorFile(path, a, FactorFormat::LongRopeCsv);
  const FactorSet b = readFactorFile(path);
  QCOMPARE(b.layerFactors, a.layerFactors);
  QCOMPARE(b.factors, a.layerFactors[0]);
}

void TestFactorFiles::hfConfigPatchKeepsOtherKeys_data() {
  QTest::addColumn<QString>("config");
  QTest::addColumn<QString>("blockKey");
  QTest::newRow("4.x llama3") << QString(kLlama4x) << "rope_scaling";
  QTest::newRow("5.x phi3 fixture")
      << QString::fromStdString(readFile(kFixtures + "/phi3_longrope/config.json"))
      << "rope_parameters";
}

void TestFactorFiles::hfConfigPatchKeepsOtherKeys() {
  QFETCH(QString, config);
  QFETCH(QString, blockKey);
  QTemporaryDir dir;
  const std::string path = write(dir, "config.json", config.toStdString());
  const RopeParams before = readRopeParams(path);
  FactorSet set = factorSetFromParams(before, before.maxPosition, "x");
  set.factors = std::vector<double>(set.factors.size(), 3.0);
  set.shortFactors = std::vector<double>(set.factors.size(), 1.5);
  set.targetLength = 4 * (before.originalMaxPosition > 0 ? before.originalMaxPosition : 2048);
  set.originalMaxPosition = set.targetLength / 4;
  set.attentionFactor.reset();
  std::vector<std::string> warnings;
  writeFactorFile(path, set, FactorFormat::HfConfig, &warnings);
  QVERIFY(warnings.empty());

  const auto oldJson = nlohmann::json::parse(config.toStdString());
  const auto newJson = nlohmann::json::parse(readFile(path));
  for (auto it = oldJson.begin(); it != oldJson.end(); ++it) {
    if (it.key() == blockKey.toStdString() || it.key() == "max_position_embeddings" ||
        it.key() == "original_max_position_embeddings") {
      continue;
    }
    QVERIFY2(newJson.contains(it.key()) && newJson[it.key()] == it.value(), it.key().c_str());
  }
  const FactorSet back = readFactorFile(path);
  QCOMPARE(back.factors, set.factors);
  QCOMPARE(back.shortFactors, set.shortFactors);
  const RopeParams after = readRopeParams(path);
  QCOMPARE(after.method, RopeMethod::LongRope);
  QCOMPARE(after.base, before.base);
  QCOMPARE(after.maxPosition, set.targetLength);
  // The config's attention factor is the one the set implies (derived by the same rule).
  QVERIFY(qFuzzyCompare(computeFrequencies(after, set.targetLength).attentionFactor,
                        computeFrequencies(applyFactorSet(before, set), set.targetLength)
                            .attentionFactor));
}

void TestFactorFiles::hfConfigNewFile() {
  QTemporaryDir dir;
  FactorSet a = sampleSet();
  const std::string path = dir.filePath("config.json").toStdString();
  std::vector<std::string> warnings;
  writeFactorFile(path, a, FactorFormat::HfConfig, &warnings);
  QCOMPARE(warnings.size(), size_t(1));  // n_hat
  const auto j = nlohmann::json::parse(readFile(path));
  QCOMPARE(j["rope_scaling"]["type"], "longrope");
  QCOMPARE(j["rope_scaling"]["attention_factor"].get<double>(), 1.0986);
  QCOMPARE(j["original_max_position_embeddings"].get<int>(), 64);
  QCOMPARE(j["max_position_embeddings"].get<int>(), 256);
  QCOMPARE(j["rope_scaling"]["long_factor"].get<std::vector<double>>(), a.factors);
}

void TestFactorFiles::detect() {
  QTemporaryDir dir;
  QCOMPARE(detectFormat(kFixtures + "/llama_default"), FactorFormat::HfConfig);
  QCOMPARE(detectFormat(write(dir, "a.csv", "1\n")), FactorFormat::LongRopeCsv);
  QVERIFY_THROWS_EXCEPTION(InputError, detectFormat(write(dir, "a.bin", "x")));
  QVERIFY_THROWS_EXCEPTION(InputError, detectFormat(write(dir, "a.json", "[1,2]")));
  QCOMPARE(parseFormat(formatName(FactorFormat::Project)), FactorFormat::Project);
  QVERIFY_THROWS_EXCEPTION(InputError, parseFormat("gguf"));
}

void TestFactorFiles::badConfigs_data() {
  QTest::addColumn<QString>("text");
  QTest::addColumn<QString>("mentions");
  QTest::newRow("truncated") << R"({"head_dim": 16, "max_posi)" << "not valid JSON";
  QTest::newRow("not an object") << "[1, 2]" << "JSON object";
  QTest::newRow("missing max") << R"({"head_dim": 16})" << "max_position_embeddings";
  QTest::newRow("missing dims") << R"({"max_position_embeddings": 64})" << "hidden_size";
  QTest::newRow("string head_dim") << R"({"head_dim": "16", "max_position_embeddings": 64})"
                                   << "'head_dim' must be an integer";
  QTest::newRow("float heads") << R"({"hidden_size": 64, "num_attention_heads": 4.5,
      "max_position_embeddings": 64})" << "num_attention_heads";
  QTest::newRow("negative max") << R"({"head_dim": 16, "max_position_embeddings": -1})"
                                << "positive";
  QTest::newRow("rope_scaling list") << R"({"head_dim": 16, "max_position_embeddings": 64,
      "rope_scaling": [1]})" << "must be an object";
  QTest::newRow("unknown type") << R"({"head_dim": 16, "max_position_embeddings": 64,
      "rope_scaling": {"type": "mrope"}})" << "mrope";
  QTest::newRow("linear no factor") << R"({"head_dim": 16, "max_position_embeddings": 64,
      "rope_scaling": {"type": "linear"}})" << "factor";
  QTest::newRow("factor string") << R"({"head_dim": 16, "max_position_embeddings": 64,
      "rope_scaling": {"type": "linear", "factor": "4"}})" << "'factor' must be a number";
  QTest::newRow("longrope short length") << R"({"head_dim": 4, "max_position_embeddings": 64,
      "rope_scaling": {"type": "longrope", "short_factor": [1], "long_factor": [1, 2]}})"
                                         << "short_factor has 1 values";
  QTest::newRow("longrope missing long") << R"({"head_dim": 4, "max_position_embeddings": 64,
      "rope_scaling": {"type": "longrope", "short_factor": [1, 1]}})" << "long_factor";
  QTest::newRow("factor list has string") << R"({"head_dim": 4, "max_position_embeddings": 64,
      "rope_scaling": {"type": "longrope", "short_factor": [1, "x"], "long_factor": [1, 2]}})"
                                          << "must be a number";
  QTest::newRow("llama3 missing") << R"({"head_dim": 4, "max_position_embeddings": 64,
      "rope_scaling": {"rope_type": "llama3", "factor": 8}})" << "low_freq_factor";
  QTest::newRow("huge number") << R"({"head_dim": 4, "max_position_embeddings": 64,
      "rope_theta": 1e999})" << "number overflow";
  QTest::newRow("zero factor") << R"({"head_dim": 4, "max_position_embeddings": 64,
      "rope_scaling": {"type": "linear", "factor": 0}})" << "factor";
}

void TestFactorFiles::badConfigs() {
  QFETCH(QString, text);
  QFETCH(QString, mentions);
  try {
    parseRopeParams(text.toStdString(), "cfg.json");
    QFAIL("no error");
  } catch (const InputError& e) {
    const QString msg = e.what();
    QVERIFY2(msg.startsWith("cfg.json"), qPrintable(msg));
    QVERIFY2(msg.contains(mentions), qPrintable(msg));
  }
}

void TestFactorFiles::badCsv_data() {
  QTest::addColumn<QString>("text");
  QTest::addColumn<QString>("mentions");
  QTest::newRow("empty") << "" << "no factors";
  QTest::newRow("only comments") << "# x\n\n" << "no factors";
  QTest::newRow("nan") << "1\nnan\n" << "not finite";
  QTest::newRow("inf") << "1\ninf\n" << "not finite";
  QTest::newRow("text") << "1\nabc\n" << "'abc' is not a number";
  QTest::newRow("ragged") << "1,2\n1,2,3\n" << "3 values";
  QTest::newRow("negative") << "1\n-2\n" << "positive";
  QTest::newRow("zero") << "1\n0\n" << "positive";
  QTest::newRow("trailing comma") << "1,2,\n" << "";
  QTest::newRow("truncated number") << "1\n1e\n" << "not a number";
}

void TestFactorFiles::badCsv() {
  QFETCH(QString, text);
  QFETCH(QString, mentions);
  try {
    parseLongRopeCsv(text.toStdString(), "f.csv");
    QFAIL("no error");
  } catch (const InputError& e) {
    QVERIFY2(QString(e.what()).contains(mentions), e.what());
    QVERIFY2(QString(e.what()).startsWith("f.csv"), e.what());
  }
}

void TestFactorFiles::badProject_data() {
  QTest::addColumn<QString>("text");
  QTest::addColumn<QString>("mentions");
  QTest::newRow("truncated") << R"({"format": "rope-workbench-project", "vers)" << "JSON";
  QTest::newRow("no tag") << R"({"version": 1, "factor_sets": []})" << "not a RoPE Workbench";
  QTest::newRow("newer") << R"({"format": "rope-workbench-project", "version": 99,
      "factor_sets": []})" << "version 99";
  QTest::newRow("sets not list") << R"({"format": "rope-workbench-project", "version": 1,
      "factor_sets": {}})" << "must be a list";
  QTest::newRow("no factors") << R"({"format": "rope-workbench-project", "version": 1,
      "factor_sets": [{"name": "a"}]})" << "no 'factors'";
  QTest::newRow("wrong type") << R"({"format": "rope-workbench-project", "version": 1,
      "factor_sets": [{"name": "a", "factors": [1, 2], "n_hat": "4"}]})" << "'n_hat'";
  QTest::newRow("length vs rotary") << R"({"format": "rope-workbench-project", "version": 1,
      "factor_sets": [{"name": "a", "factors": [1, 2], "rotary_dim": 8}]})" << "needs 4";
  QTest::newRow("negative factor") << R"({"format": "rope-workbench-project", "version": 1,
      "factor_sets": [{"name": "a", "factors": [1, -2]}]})" << "positive";
  QTest::newRow("attention 0") << R"({"format": "rope-workbench-project", "version": 1,
      "factor_sets": [{"name": "a", "factors": [1, 2], "attention_factor": 0}]})"
                               << "attention factor";
}

void TestFactorFiles::badProject() {
  QFETCH(QString, text);
  QFETCH(QString, mentions);
  try {
    parseProject(text.toStdString(), "p.json");
    QFAIL("no error");
  } catch (const InputError& e) {
    QVERIFY2(QString(e.what()).contains(mentions), e.what());
  }
}

void TestFactorFiles::failedWriteKeepsOldFile() {
  QTemporaryDir dir;
  const std::string path = write(dir, "config.json", kLlama4x);
  FactorSet wrongLength = sampleSet();  // 8 pairs; the config has 64
  QVERIFY_THROWS_EXCEPTION(InputError,
                           writeFactorFile(path, wrongLength, FactorFormat::HfConfig));
  QCOMPARE(readFile(path), std::string(kLlama4x));
  QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), 1);
  QVERIFY_THROWS_EXCEPTION(InputError,
                           writeFileAtomic(dir.filePath("no/such/dir/x").toStdString(), "x"));
}

QTEST_APPLESS_MAIN(TestFactorFiles)
#include "test_factor_files.moc"
