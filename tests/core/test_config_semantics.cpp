// Configs mean what transformers reads: both RoPE spellings in one config (read and written),
// DeepSeek's qk_rope_head_dim and keys the project does not understand, LongRoPE CSVs patched
// into Phi-3 configs (short factors kept, `su` kept), and microsoft/LongRoPE's own files.
#include <QtTest>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/cli.h"
#include "io/factor_files.h"
#include "io/hf_config.h"
#include "rope/rope_math.h"
#include "util/error.h"
#include "util/files.h"
#include "util/warnings.h"

using namespace rope;
using nlohmann::json;

namespace {

const std::string kLongRopeFiles = ROPE_FIXTURES_DIR "/longrope-files";

// A Llama 3.1 config carrying both spellings that disagree: transformers reads rope_scaling.
json llamaBoth() {
  return json::parse(R"({
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4096,
    "num_attention_heads": 32, "num_key_value_heads": 8, "num_hidden_layers": 32,
    "intermediate_size": 14336, "vocab_size": 128256, "max_position_embeddings": 131072,
    "rope_theta": 500000.0,
    "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                     "high_freq_factor": 4.0, "original_max_position_embeddings": 8192},
    "rope_parameters": {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 32.0,
                        "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                        "original_max_position_embeddings": 8192}
  })");
}

// An April Phi-3 config (legacy `su`, 4.x spelling), 48 pairs.
json phi3Su() {
  json j = json::parse(R"({
    "architectures": ["Phi3ForCausalLM"], "model_type": "phi3", "hidden_size": 3072,
    "num_attention_heads": 32, "num_hidden_layers": 32, "intermediate_size": 8192,
    "vocab_size": 32064, "max_position_embeddings": 131072,
    "original_max_position_embeddings": 4096, "rope_theta": 10000.0,
    "rope_scaling": {"type": "su"}
  })");
  std::vector<double> shortF, longF;
  for (int i = 0; i < 48; ++i) {
    shortF.push_back(1.0 + i * 0.01);
    longF.push_back(1.0 + i * 0.5);
  }
  j["rope_scaling"]["short_factor"] = shortF;
  j["rope_scaling"]["long_factor"] = longF;
  return j;
}

std::string writeJson(const QTemporaryDir& dir, const char* name, const json& j) {
  const std::string path = dir.filePath(name).toStdString();
  writeFileAtomic(path, j.dump(2));
  return path;
}

// The RoPE one spelling alone gives: the config with the other block removed.
RopeParams readOnly(const std::string& path, const char* keep) {
  json j = json::parse(readFile(path));
  j.erase(std::string(keep) == "rope_scaling" ? "rope_parameters" : "rope_scaling");
  return parseRopeParams(j.dump(), path + " (" + keep + " only)");
}

FactorSet csvSet(int pairs, double scale) {
  std::string csv;
  for (int i = 0; i < pairs; ++i) csv += std::to_string(1.0 + scale * i / pairs) + "\n";
  return parseLongRopeCsv(csv, "searched.csv");
}

}  // namespace

class TestConfigSemantics : public QObject {
  Q_OBJECT

 private slots:
  void ropeScalingWinsAndWarnsOnce() {
    QTemporaryDir dir;
    const std::string path = writeJson(dir, "config.json", llamaBoth());
    std::vector<std::string> seen;
    {
      ScopedWarningSink sink([&](const std::string& m) { seen.push_back(m); });
      const RopeParams p = readRopeParams(path);
      QCOMPARE(p.method, RopeMethod::Llama3);
      QCOMPARE(*p.factor, 8.0);  // rope_scaling's, as transformers 4.x and 5.x read it
      readModelConfig(path);     // the same config again: no second warning
    }
    QCOMPARE(seen.size(), size_t{1});
    QVERIFY2(QString::fromStdString(seen[0]).contains("factor 8 (rope_scaling) vs 32 "
                                                      "(rope_parameters)"),
             seen[0].c_str());

    // Agreeing blocks say nothing.
    json same = llamaBoth();
    same["rope_parameters"]["factor"] = 8.0;
    seen.clear();
    {
      ScopedWarningSink sink([&](const std::string& m) { seen.push_back(m); });
      readRopeParams(writeJson(dir, "same.json", same));
    }
    QVERIFY(seen.empty());

    // rope-cli reports it once on stderr and computes with factor 8.
    std::ostringstream out, err;
    QCOMPARE(cli::runCli({"rope", "--config", path, "--json"}, out, err), 0);
    const auto factors = json::parse(out.str())["factors"].get<std::vector<double>>();
    QCOMPARE(*std::max_element(factors.begin(), factors.end()), 8.0);  // llama3: at most s
    QCOMPARE(QString::fromStdString(err.str()).count("warning:"), 1);
  }

  void writesEverySpelling() {
    QTemporaryDir dir;
    const std::string path = writeJson(dir, "config.json", llamaBoth());
    FactorSet set = csvSet(64, 7.0);
    set.shortFactors = std::vector<double>(64, 1.0);
    set.originalMaxPosition = 8192;
    set.targetLength = 65536;
    std::vector<std::string> warnings;
    writeFactorFile(path, set, FactorFormat::HfConfig, &warnings);

    const json j = json::parse(readFile(path));
    for (const char* key : {"rope_scaling", "rope_parameters"}) {
      QCOMPARE(j[key]["long_factor"].get<std::vector<double>>(), set.factors);
      QCOMPARE(j[key]["short_factor"].get<std::vector<double>>(), set.shortFactors);
      QCOMPARE(j[key]["rope_type"], "longrope");
      QVERIFY(!j[key].contains("factor"));  // nothing stale of llama3 survives
    }
    QCOMPARE(j["rope_parameters"]["rope_theta"].get<double>(), 500000.0);
    QCOMPARE(j["rope_parameters"]["original_max_position_embeddings"].get<int>(), 8192);
    // Each spelling alone (4.x reads rope_scaling, 5.x either) gives the same RoPE.
    const RopeParams a = readOnly(path, "rope_scaling"), b = readOnly(path, "rope_parameters");
    for (const RopeParams& p : {a, b}) {
      QCOMPARE(p.method, RopeMethod::LongRope);
      QCOMPARE(p.base, 500000.0);
      QCOMPARE(p.originalMaxPosition, 8192);
      QCOMPARE(p.maxPosition, 65536);
      QCOMPARE(p.longFactor, set.factors);
    }
    QCOMPARE(computeFrequencies(a, 65536).invFreq, computeFrequencies(b, 65536).invFreq);
    QCOMPARE(computeFrequencies(a, 65536).attentionFactor,
             computeFrequencies(b, 65536).attentionFactor);
    QVERIFY(std::any_of(warnings.begin(), warnings.end(), [](const std::string& w) {
      return w.find("both rope_scaling and rope_parameters") != std::string::npos;
    }));
  }

  void deepSeekRotaryDim() {
    // DeepSeek-V2-Lite's shape: 2048 / 16 = 128, but RoPE turns only qk_rope_head_dim = 64.
    json j = json::parse(R"({
      "architectures": ["DeepseekV2ForCausalLM"], "model_type": "deepseek_v2",
      "hidden_size": 2048, "num_attention_heads": 16, "qk_nope_head_dim": 128,
      "qk_rope_head_dim": 64, "v_head_dim": 128, "kv_lora_rank": 512,
      "max_position_embeddings": 163840, "rope_theta": 10000,
      "rope_scaling": {"type": "yarn", "factor": 40, "original_max_position_embeddings": 4096,
                       "beta_fast": 32, "beta_slow": 1, "mscale": 0.707, "mscale_all_dim": 0.707}
    })");
    const RopeParams p = parseRopeParams(j.dump(), "deepseek.json");
    QCOMPARE(p.headDim, 64);
    QCOMPARE(computeFrequencies(p, 4096).invFreq.size(), size_t{32});
    QCOMPARE(computeFrequencies(p, 4096).attentionFactor, 1.0);  // mscale / mscale_all_dim

    json noRope = j;
    noRope.erase("qk_rope_head_dim");
    QVERIFY_THROWS_EXCEPTION(InputError, parseRopeParams(noRope.dump(), "x.json"));
    for (const char* key : {"rotary_dim", "rotary_pct", "rotary_emb_fraction"}) {
      json other = json::parse(R"({"hidden_size": 64, "num_attention_heads": 4,
                                   "max_position_embeddings": 512})");
      other[key] = 8;
      try {
        parseRopeParams(other.dump(), "other.json");
        QFAIL("no error");
      } catch (const InputError& e) {
        QVERIFY2(QString(e.what()).contains(QString("'%1'").arg(key)), e.what());
      }
    }
  }

  void csvIntoPhi3KeepsShortFactors() {
    QTemporaryDir dir;
    const json before = phi3Su();
    const std::string path = writeJson(dir, "config.json", before);
    const RopeParams old = readRopeParams(path);
    const FactorSet csv = csvSet(48, 40.0);  // long factors only
    std::vector<std::string> warnings;
    writeFactorFile(path, csv, FactorFormat::HfConfig, &warnings);
    const json j = json::parse(readFile(path));
    QCOMPARE(j["rope_scaling"]["short_factor"], before["rope_scaling"]["short_factor"]);
    QCOMPARE(j["rope_scaling"]["long_factor"].get<std::vector<double>>(), csv.factors);
    QCOMPARE(j["rope_scaling"]["type"], "su");  // the April spelling is kept
    QVERIFY(!j.contains("rope_parameters"));
    // At the original window the model's RoPE is what it was.
    QCOMPARE(computeFrequencies(readRopeParams(path), 4096).invFreq,
             computeFrequencies(old, 4096).invFreq);
    QVERIFY(std::any_of(warnings.begin(), warnings.end(), [](const std::string& w) {
      return w.find("short_factor kept") != std::string::npos;
    }));

    // Asked to modernise, `su` becomes longrope.
    writeFactorFile(path, csv, FactorFormat::HfConfig, nullptr, true);
    QCOMPARE(json::parse(readFile(path))["rope_scaling"]["type"], "longrope");

    // A config with no short factors to keep: the long ones are used, and said so.
    json llama = llamaBoth();
    llama.erase("rope_parameters");
    const std::string llamaPath = writeJson(dir, "llama.json", llama);
    warnings.clear();
    writeFactorFile(llamaPath, csvSet(64, 7.0), FactorFormat::HfConfig, &warnings);
    QVERIFY(std::any_of(warnings.begin(), warnings.end(), [](const std::string& w) {
      return w.find("short_factor is written equal to long_factor") != std::string::npos;
    }));
  }

  void longRopeRepositoryFiles() {
    const FactorSet init = readFactorFile(kLongRopeFiles + "/dim_mono_n_8192.csv");
    QCOMPARE(init.nHat, 0);
    QCOMPARE(init.factors.size(), size_t{64});
    QCOMPARE(init.factors.front(), 1.0);
    QCOMPARE(init.factors.back(), 2.0);
    const FactorSet yarn = readFactorFile(kLongRopeFiles + "/dim_mono_n_yarn_8x.csv");
    QCOMPARE(yarn.factors.size(), size_t{64});
    QCOMPARE(yarn.factors.back(), 8.0);
    QVERIFY(isMonotone(yarn.factors));
    const FactorSet scale = readFactorFile(kLongRopeFiles + "/4k_la2_128k_first4layers.csv");
    QCOMPARE(scale.layerFactors.size(), size_t{4});
    QCOMPARE(scale.factors.size(), size_t{64});
    QCOMPARE(scale.factors.front(), 1.009999990463257);
    QCOMPARE(scale.factors.back(), 2.789999961853027);
    QCOMPARE(scale.nHat, 0);

    // Three plain factors led by a whole number stay three factors; n_hat 1 before a factor of
    // 1 cannot be told from a factor.
    QCOMPARE(parseLongRopeCsv("1.0\n2.0\n3.0\n", "plain.csv").factors.size(), size_t{3});
    QCOMPARE(parseLongRopeCsv("1,1,1.5\n", "one.csv").nHat, 0);

    // n_hat leading every layer's row.
    const FactorSet rows = parseLongRopeCsv("4,1,1.5,2,2.5\n4,1,1.25,2,3\n", "n.csv");
    QCOMPARE(rows.nHat, 4);
    QCOMPARE(rows.layerFactors.size(), size_t{2});
    QCOMPARE(rows.factors, (std::vector<double>{1, 1.5, 2, 2.5}));
  }

  void writesNHatLayout_data() {
    QTest::addColumn<bool>("layers");
    QTest::newRow("one row") << false;
    QTest::newRow("per layer") << true;
  }

  void writesNHatLayout() {
    QFETCH(bool, layers);
    QTemporaryDir dir;
    FactorSet set = csvSet(3, 2.0);  // an odd pair count: the layout line settles it
    set.nHat = 8;
    if (layers) set.layerFactors = {set.factors, set.factors};
    for (FactorFormat f : {FactorFormat::LongRopeNCsv, FactorFormat::LongRopeCsv}) {
      const std::string path = dir.filePath("f.csv").toStdString();
      writeFactorFile(path, set, f);
      const FactorSet back = readFactorFile(path);
      QCOMPARE(back.factors, set.factors);
      QCOMPARE(back.layerFactors, set.layerFactors);
      QCOMPARE(back.nHat, f == FactorFormat::LongRopeNCsv ? 8 : 0);
    }
    QCOMPARE(parseFormat("longrope-n-csv"), FactorFormat::LongRopeNCsv);
  }
};

QTEST_GUILESS_MAIN(TestConfigSemantics)
#include "test_config_semantics.moc"
