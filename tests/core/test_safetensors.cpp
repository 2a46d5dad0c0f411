// The safetensors reader/writer, sharded checkpoints, the engine's checks on what it loads, and
// rope-cli logits: every bad input must be a clear InputError (exit code 1), never a crash.
#include <QtTest>

#include <cstring>
#include <filesystem>
#include <sstream>

#include "cli/cli.h"
#include "model/checkpoint.h"
#include "model/safetensors.h"
#include "model/transformer.h"
#include "rope/factor_set.h"
#include "util/error.h"
#include "util/files.h"

using namespace rope;
namespace fs = std::filesystem;

namespace {

const std::string kFixtures = ROPE_FIXTURES_DIR "/hf-tiny";

// A file with the given header text and data bytes.
std::string rawFile(const std::string& header, size_t dataBytes, uint64_t lengthField = 0) {
  std::string out(8, '\0');
  const uint64_t len = lengthField ? lengthField : header.size();
  std::memcpy(out.data(), &len, 8);
  return out + header + std::string(dataBytes, '\x01');
}

// Expects an InputError whose message contains every fragment.
template <typename Fn>
void expectInputError(Fn&& fn, const std::vector<std::string>& fragments) {
  try {
    fn();
  } catch (const InputError& e) {
    const std::string msg = e.what();
    for (const auto& f : fragments) {
      QVERIFY2(msg.find(f) != std::string::npos, qPrintable(QString::fromStdString(
                                                     "'" + f + "' not in: " + msg)));
    }
    return;
  }
  QFAIL("no InputError");
}

// A copy of a fixture model folder; edit(name, tensors) may change the tensors written.
struct Blob {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  std::string bytes;
};

std::vector<Blob> fixtureTensors(const std::string& model) {
  const SafetensorsFile f(kFixtures + "/" + model + "/model.safetensors");
  std::vector<Blob> out;
  for (const auto& t : f.tensors()) {
    out.push_back({t.name, t.dtype, t.shape,
                   std::string(reinterpret_cast<const char*>(t.data), t.bytes)});
  }
  return out;
}

void writeBlobs(const std::string& path, const std::vector<Blob>& blobs) {
  std::vector<TensorBlob> refs;
  for (const auto& b : blobs) refs.push_back({b.name, b.dtype, b.shape, b.bytes.data(), b.bytes.size()});
  writeSafetensors(path, refs);
}

std::string copyModel(const QTemporaryDir& tmp, const std::string& model,
                      const std::vector<Blob>& blobs, const std::string& config = {}) {
  const std::string dir = tmp.filePath(QString::fromStdString(model)).toStdString();
  fs::create_directories(dir);
  writeFileAtomic(dir + "/config.json",
                  config.empty() ? readFile(kFixtures + "/" + model + "/config.json") : config);
  writeBlobs(dir + "/model.safetensors", blobs);
  return dir;
}

int runCli(const std::vector<std::string>& args, std::string* err = nullptr) {
  std::ostringstream o, e;
  const int rc = cli::runCli(args, o, e);
  if (err) *err = e.str();
  return rc;
}

}  // namespace

class TestSafetensors : public QObject {
  Q_OBJECT

 private slots:
  void roundTrip() {
    QTemporaryDir tmp;
    const std::vector<float> f = {1.5f, -2.0f, 3.25f, 0.0f, 1e-8f, 7.0f};
    const std::vector<int64_t> ids = {1, 511, -3};
    const std::string path = tmp.filePath("a.safetensors").toStdString();
    writeSafetensors(path, {{"x", DType::F32, {2, 3}, f.data(), f.size() * 4},
                            {"input_ids", DType::I64, {1, 3}, ids.data(), ids.size() * 8}},
                     {{"k", "v"}});
    const SafetensorsFile r(path);
    QCOMPARE(r.tensors().size(), size_t{2});
    QCOMPARE(r.tensor("x").shape, (std::vector<int64_t>{2, 3}));
    QCOMPARE(r.tensor("x").toFloats(), f);
    QCOMPARE(r.tensor("input_ids").toInt64s(), ids);
    QCOMPARE(r.metadata().at("k"), std::string("v"));
    QVERIFY_THROWS_EXCEPTION(InputError, r.tensor("input_ids").toFloats());
    expectInputError([&] { r.tensor("nope"); }, {path, "nope"});
  }

  void badFiles_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("fragment");
    const std::string ok = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    auto row = [](const char* name, const std::string& b, const char* frag) {
      QTest::newRow(name) << QByteArray(b.data(), static_cast<int>(b.size())) << QString(frag);
    };
    row("empty", "", "truncated");
    row("shorter than the length field", "abc", "truncated");
    row("header length past EOF", rawFile(ok, 8, 1'000'000), "header length 1000000");
    row("truncated data", rawFile(ok, 4), "past the data area");
    row("malformed JSON", rawFile(R"({"a":{"dtype":"F32",)", 8), "not valid JSON");
    row("not an object", rawFile("[1,2,3]", 0), "not a JSON object");
    row("unknown dtype", rawFile(R"({"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}})", 8),
        "tensor a: unknown dtype 'F33'");
    row("span mismatch", rawFile(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8),
        "tensor a: shape [3] x F32 needs 12 bytes, data_offsets span 8");
    row("overlapping spans",
        rawFile(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12),
        "overlaps");
    row("duplicate name",
        rawFile(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8),
        "'a' appears twice");
    row("negative shape", rawFile(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8),
        "non-negative");
    row("reversed offsets", rawFile(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", 8),
        "begin 8 > end 0");
  }

  void badFiles() {
    QFETCH(QByteArray, bytes);
    QFETCH(QString, fragment);
    QTemporaryDir tmp;
    const std::string path = tmp.filePath("bad.safetensors").toStdString();
    writeFileAtomic(path, bytes.toStdString());
    expectInputError([&] { SafetensorsFile f(path); }, {path, fragment.toStdString()});
  }

  void shardedCheckpointMatchesSingleFile() {
    QTemporaryDir tmp;
    const auto blobs = fixtureTensors("llama_default");
    const std::string dir = tmp.filePath("sharded").toStdString();
    fs::create_directories(dir);
    writeFileAtomic(dir + "/config.json", readFile(kFixtures + "/llama_default/config.json"));
    const size_t half = blobs.size() / 2;
    writeBlobs(dir + "/model-00001-of-00002.safetensors", {blobs.begin(), blobs.begin() + half});
    writeBlobs(dir + "/model-00002-of-00002.safetensors", {blobs.begin() + half, blobs.end()});
    std::string map;
    for (size_t i = 0; i < blobs.size(); ++i) {
      map += (i ? ",\"" : "\"") + blobs[i].name + "\":\"model-0000" + (i < half ? "1" : "2") +
             "-of-00002.safetensors\"";
    }
    writeFileAtomic(dir + "/model.safetensors.index.json", "{\"weight_map\":{" + map + "}}");
    QCOMPARE(Checkpoint(dir).files().size(), size_t{2});
    const std::vector<int64_t> ids = {1, 5, 9, 200, 7, 3};
    Transformer sharded(dir, {});
    Transformer single(kFixtures + "/llama_default", {});
    QCOMPARE(sharded.logits(ids), single.logits(ids));

    // An index that places a tensor in the wrong shard.
    std::string wrong = map;
    wrong.replace(wrong.find("00001-of"), 5, "00002");
    writeFileAtomic(dir + "/model.safetensors.index.json", "{\"weight_map\":{" + wrong + "}}");
    expectInputError([&] { Checkpoint c(dir); }, {"does not hold it"});
  }

  void badCheckpoints() {
    QTemporaryDir tmp;
    auto blobs = fixtureTensors("llama_default");
    // Mis-shaped: up_proj of layer 1 with half its rows.
    auto misShaped = blobs;
    for (auto& b : misShaped) {
      if (b.name == "model.layers.1.mlp.up_proj.weight") {
        b.shape = {64, 64};
        b.bytes.resize(64 * 64 * 4);
      }
    }
    expectInputError([&] { Transformer t(copyModel(tmp, "llama_default", misShaped), {}); },
                     {"tensor model.layers.1.mlp.up_proj.weight: shape [64, 64], expected [128, 64]"});
    // Missing and unexpected tensors.
    auto missing = blobs;
    missing.erase(missing.begin());
    expectInputError([&] { Transformer t(copyModel(tmp, "llama_default", missing), {}); },
                     {missing.size() < blobs.size() ? blobs.front().name : "", "missing"});
    auto extra = blobs;
    extra.push_back({"model.layers.7.foo", DType::F32, {1}, std::string(4, '\0')});
    expectInputError([&] { Transformer t(copyModel(tmp, "llama_default", extra), {}); },
                     {"model.layers.7.foo", "not part of a LlamaForCausalLM"});
    // Config with a missing key, and an unsupported architecture.
    std::string config = readFile(kFixtures + "/llama_default/config.json");
    std::string noVocab = config;
    noVocab.replace(noVocab.find("\"vocab_size\""), 12, "\"vocab_sizes\"");
    expectInputError([&] { Transformer t(copyModel(tmp, "llama_default", blobs, noVocab), {}); },
                     {"config.json", "vocab_size"});
    std::string gpt2 = config;
    gpt2.replace(gpt2.find("LlamaForCausalLM"), 16, "GPT2LMHeadModel");
    expectInputError([&] { Transformer t(copyModel(tmp, "llama_default", blobs, gpt2), {}); },
                     {"GPT2LMHeadModel", "Qwen2ForCausalLM", "Phi3ForCausalLM"});
    expectInputError([&] { Transformer t(tmp.filePath("nowhere").toStdString(), {}); },
                     {"nowhere"});
  }

  void factorSetOfWrongLength() {
    Transformer engine(kFixtures + "/phi3_longrope", {});
    FactorSet set;
    set.factors = {1, 2, 3, 4};  // the model has 8 pairs
    expectInputError([&] { engine.setFactorSet(set); }, {"4 values", "8"});
  }

  void cliLogits() {
    QTemporaryDir tmp;
    const std::string model = kFixtures + "/phi3_longrope";
    const std::string out = tmp.filePath("out.safetensors").toStdString();
    std::string err;
    QCOMPARE(runCli({"logits", "--model", model, "--input",
                     model + "/reference_long.safetensors", "--out", out}, &err), 0);
    const SafetensorsFile ref(model + "/reference_long.safetensors");
    const SafetensorsFile got(out);
    QCOMPARE(got.tensor("logits").shape, (std::vector<int64_t>{300, 512}));
    const auto a = got.tensor("logits").toFloats(), b = ref.tensor("logits").toFloats();
    double diff = 0, scale = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      diff = std::max(diff, double(std::abs(a[i] - b[i])));
      scale = std::max(scale, double(std::abs(b[i])));
    }
    QVERIFY(diff <= 1e-4 * scale);

    // Out-of-vocabulary ids: exit code 1 and a one-line message.
    const std::vector<int64_t> bad = {3, 512, 4};
    const std::string in = tmp.filePath("bad.safetensors").toStdString();
    writeSafetensors(in, {{"input_ids", DType::I64, {3}, bad.data(), 24}});
    QCOMPARE(runCli({"logits", "--model", model, "--input", in, "--out", out}, &err), 1);
    QVERIFY2(err.find("token id 512 at position 1 is outside the vocabulary [0, 512)") !=
                 std::string::npos, err.c_str());
    QCOMPARE(std::count(err.begin(), err.end(), '\n'), 1);

    // A factor file of the wrong length for the model's rotary dim.
    const std::string csv = tmp.filePath("f.csv").toStdString();
    writeFileAtomic(csv, "1.0\n2.0\n3.0\n");
    QCOMPARE(runCli({"logits", "--model", model, "--input", model + "/reference_short.safetensors",
                     "--out", out, "--rope", csv}, &err), 1);
    QVERIFY2(err.find("3 values") != std::string::npos, err.c_str());
    // Wrong input shape, and a usage error.
    const std::vector<int64_t> two = {1, 2, 3, 4};
    writeSafetensors(in, {{"input_ids", DType::I64, {2, 2}, two.data(), 32}});
    QCOMPARE(runCli({"logits", "--model", model, "--input", in, "--out", out}, &err), 1);
    QVERIFY2(err.find("[T] or [1, T]") != std::string::npos, err.c_str());
    QCOMPARE(runCli({"logits", "--model", model}, &err), 2);
  }
};

QTEST_GUILESS_MAIN(TestSafetensors)
#include "test_safetensors.moc"
