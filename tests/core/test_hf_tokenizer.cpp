// The tokenizer.json tokenizer against Hugging Face's tokenizers library (Rust, 0.22.2): the
// ids and decodes the library gave for every string of tests/fixtures/tokenizers/inputs.json
// on Llama 3, Qwen3, a SentencePiece-style Mistral tokenizer.json and seven variants derived
// from them (tests/fixtures/tokenizers/README.md); then the model-folder selection, the BOS
// rule, invalid UTF-8, bad files and rope-cli tokenize.
#include <zlib.h>

#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/cli.h"
#include "data/hf_tokenizer.h"
#include "data/token_data.h"
#include "data/tokenizer.h"
#include "util/error.h"
#include "util/files.h"

using namespace rope;
using nlohmann::json;

namespace {

const std::string kDir = ROPE_FIXTURES_DIR "/tokenizers/";

std::string gunzip(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error("cannot open " + path);
  std::string out;
  char buf[1 << 16];
  int n = 0;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  gzclose(f);
  return out;
}

// tokenizer.json of a fixture: a real one, or a variant of variants.json built from its base.
json tokenizerJson(const std::string& name) {
  const json variants = json::parse(readFile(kDir + "variants.json"));
  if (!variants.contains(name)) return json::parse(gunzip(kDir + name + "/tokenizer.json.gz"));
  const json& v = variants[name];
  json t = json::parse(gunzip(kDir + v["base"].get<std::string>() + "/tokenizer.json.gz"));
  for (const auto& [key, value] : v["overlay"].items()) t[key] = value;
  if (v.contains("added_tokens_extra")) {
    for (const auto& a : v["added_tokens_extra"]) t["added_tokens"].push_back(a);
  }
  return t;
}

// A model folder with a fixture's tokenizer.json (and its tokenizer_config.json).
std::string writeFolder(const QTemporaryDir& tmp, const std::string& name) {
  const std::string dir = tmp.path().toStdString() + "/" + name;
  std::filesystem::create_directories(dir);
  writeFileAtomic(dir + "/tokenizer.json", gunzip(kDir + name + "/tokenizer.json.gz"));
  std::filesystem::copy_file(kDir + name + "/tokenizer_config.json",
                             dir + "/tokenizer_config.json");
  return dir;
}

std::string errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

}  // namespace

class TestHfTokenizer : public QObject {
  Q_OBJECT

 private slots:
  void conformance_data() {
    QTest::addColumn<QString>("name");
    for (const char* n :
         {"llama3", "qwen3", "mistral", "llama3-template", "mistral-metaspace", "mistral-split",
          "qwen-bytelevel", "qwen-pieces", "qwen-whitespace", "qwen-wsplit"}) {
      QTest::newRow(n) << QString(n);
    }
  }

  // Every string: the library's ids with and without special tokens, and its decode of them
  // with and without the special tokens skipped.
  void conformance() {
    QFETCH(QString, name);
    const std::string n = name.toStdString();
    const HfTokenizer tok = HfTokenizer::fromJson(tokenizerJson(n).dump(), n);
    const json inputs = json::parse(readFile(kDir + "inputs.json"));
    const json expected = json::parse(gunzip(kDir + "expected/" + n + ".json.gz"));
    QCOMPARE(expected.size(), inputs.size());
    QVERIFY(inputs.size() >= 2000);
    int ids = 0, special = 0, decoded = 0, skipped = 0;
    size_t tokens = 0;
    std::string firstBad;
    for (size_t i = 0; i < inputs.size(); ++i) {
      const std::string text = inputs[i]["text"];
      const auto want = expected[i]["ids"].get<std::vector<int64_t>>();
      tokens += want.size();
      if (tok.encode(text) != want) {
        ++ids;
        if (firstBad.empty())
          firstBad = "ids of input " + std::to_string(i) + " " + json(text).dump();
      }
      if (tok.encode(text, true) != expected[i]["ids_special"].get<std::vector<int64_t>>()) {
        ++special;
      }
      if (tok.decode(want) != expected[i]["decoded"].get<std::string>()) {
        ++decoded;
        if (firstBad.empty()) firstBad = "decode of input " + std::to_string(i);
      }
      if (tok.decode(want, true) != expected[i]["decoded_skip"].get<std::string>()) ++skipped;
    }
    qInfo(
        "%s: %zu strings, %zu tokens; different ids %d, ids with special tokens %d, decodes "
        "%d, decodes skipping special tokens %d",
        n.c_str(), inputs.size(), tokens, ids, special, decoded, skipped);
    QVERIFY2(ids == 0 && special == 0 && decoded == 0 && skipped == 0, firstBad.c_str());
  }

  void modelFolderPrefersTokenizerJson() {
    QTemporaryDir tmp;
    const std::string dir = writeFolder(tmp, "mistral");
    QCOMPARE(Tokenizer::modelTokenizerPath(dir), dir + "/tokenizer.json");
    QVERIFY(Tokenizer::canLoad(dir + "/tokenizer.json"));
    const Tokenizer tok(Tokenizer::modelTokenizerPath(dir));
    QCOMPARE(tok.kind(), std::string("tokenizer.json"));
    QCOMPARE(tok.vocabSize(), 32000);
    QCOMPARE(tok.bosId(), 1);
    QCOMPARE(tok.eosId(), 2);
    QCOMPARE(tok.encode("Hello world"), (std::vector<int64_t>{22557, 1526}));
    QCOMPARE(tok.encodeWithSpecial("Hello world"), (std::vector<int64_t>{1, 22557, 1526}));
    QCOMPARE(tok.decode({1, 22557, 1526}), std::string("<s> Hello world"));
    QCOMPARE(tok.piece(22557), std::string("▁Hello"));
    QCOMPARE(tok.piece(99999), std::string("#99999"));
    // Without tokenizer.json the folder's tokenizer is tokenizer.model.
    QCOMPARE(Tokenizer::modelTokenizerPath(tmp.path().toStdString()),
             tmp.path().toStdString() + "/tokenizer.model");
    QVERIFY(!Tokenizer::canLoad(tmp.path().toStdString() + "/tokenizer.model"));
  }

  // ppl / search / passkey add what the tokenizer adds: the post-processor, with
  // tokenizer_config.json's add_bos_token / add_eos_token over it.
  void bosFollowsTheTokenizer() {
    QTemporaryDir tmp;
    const Tokenizer llama3(writeFolder(tmp, "llama3") + "/tokenizer.json");
    QCOMPARE(llama3.bosId(), -1);  // this file's post-processor is ByteLevel alone
    QCOMPARE(llama3.eosId(), 128001);
    QCOMPARE(llama3.encodeWithSpecial("Hi"), llama3.encode("Hi"));
    const Tokenizer qwen(writeFolder(tmp, "qwen3") + "/tokenizer.json");
    QCOMPARE(qwen.bosId(), -1);
    QCOMPARE(qwen.eosId(), 151645);  // <|im_end|>

    const std::string mistral = gunzip(kDir + "mistral/tokenizer.json.gz");
    const HfTokenizer noBos = HfTokenizer::fromJson(
        mistral, "m", R"({"add_bos_token": false, "add_eos_token": true, "bos_token": "<s>",
                         "eos_token": {"content": "</s>"}})");
    QCOMPARE(noBos.encode("Hi", true), (std::vector<int64_t>{15359, 2}));
    QCOMPARE(noBos.bosId(), -1);
    const HfTokenizer withBos =
        HfTokenizer::fromJson(gunzip(kDir + "llama3/tokenizer.json.gz"), "l",
                              R"({"add_bos_token": true, "bos_token": "<|begin_of_text|>"})");
    QCOMPARE(withBos.bosId(), 128000);
    QCOMPARE(withBos.encode("Hi", true).front(), int64_t{128000});

    // Text data: one document, with the tokenizer's special tokens unless addBos is off.
    const std::string txt = tmp.path().toStdString() + "/a.txt";
    writeFileAtomic(txt, "In the beginning\n");
    TokenSource src;
    src.paths = {txt};
    src.tokenizerPath = writeFolder(tmp, "mistral") + "/tokenizer.json";
    QCOMPARE(loadTokens(src).documents.front().front(), int64_t{1});
    src.addBos = false;
    QVERIFY(loadTokens(src).documents.front().front() != 1);
  }

  void invalidUtf8IsRefused_data() {
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<int>("offset");
    QTest::newRow("lone continuation") << QByteArray("ab\x80") << 2;
    QTest::newRow("truncated") << QByteArray("abc\xc3") << 3;
    QTest::newRow("surrogate") << QByteArray("\xed\xa0\x80x") << 0;
    QTest::newRow("overlong") << QByteArray("x\xc0\xaf") << 1;
    QTest::newRow("beyond U+10FFFF") << QByteArray("\xf4\x90\x80\x80") << 0;
    QTest::newRow("ff") << QByteArray("hello \xff world") << 6;
  }

  // The library takes only valid UTF-8 (a Rust &str): such text is refused, naming the byte.
  void invalidUtf8IsRefused() {
    QFETCH(QByteArray, text);
    QFETCH(int, offset);
    const HfTokenizer tok = HfTokenizer::fromJson(gunzip(kDir + "qwen3/tokenizer.json.gz"), "q");
    const std::string e = errorOf([&] { tok.encode(text.toStdString()); });
    QVERIFY2(e.find("not valid UTF-8 (byte " + std::to_string(offset) + " ") != std::string::npos,
             e.c_str());
  }

  void badFiles_data() {
    QTest::addColumn<QString>("json");
    QTest::addColumn<QString>("expected");
    const char* vocab = R"("vocab": {"a": 0, "b": 1, "ab": 2})";
    auto file = [&](const std::string& extra, const std::string& model = "") {
      return QString::fromStdString(
          "{" + extra + (extra.empty() ? "" : ", ") + R"("model": {"type": "BPE", )" +
          (model.empty() ? std::string(vocab) + R"(, "merges": ["a b"])" : model) + "}}");
    };
    QTest::newRow("truncated") << QString(R"({"model": {"type": "BPE", "vocab": {"a)")
                               << "bad.json: not valid JSON";
    QTest::newRow("not an object") << "[1, 2]"
                                   << "bad.json: tokenizer: must be a JSON object";
    QTest::newRow("no model") << "{}"
                              << "bad.json: tokenizer.model: is missing";
    QTest::newRow("unknown pre_tokenizer")
        << file(R"("pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Foo"}]})")
        << "bad.json: pre_tokenizer.pretokenizers[0]: pre_tokenizer type Foo is not supported";
    QTest::newRow("unknown normalizer")
        << file(R"("normalizer": {"type": "Precompiled"})")
        << "bad.json: normalizer: normalizer type Precompiled is not supported";
    QTest::newRow("unknown decoder")
        << file(R"("decoder": {"type": "WordPiece"})")
        << "bad.json: decoder: decoder type WordPiece is not supported";
    QTest::newRow("unknown post_processor")
        << file(R"("post_processor": {"type": "RobertaProcessing"})")
        << "bad.json: post_processor: post_processor type RobertaProcessing is not supported";
    QTest::newRow("unknown model") << QString(R"({"model": {"type": "WordPiece", "vocab": {}}})")
                                   << "bad.json: model: model type WordPiece is not supported";
    QTest::newRow("merge not in vocab")
        << file("", std::string(vocab) + R"(, "merges": ["a c"])")
        << "bad.json: model.merges[0]: names \"c\", which is not in the vocabulary";
    QTest::newRow("merge result not in vocab")
        << file("", R"("vocab": {"a": 0, "b": 1}, "merges": [["a", "b"]])")
        << "bad.json: model.merges[0]: makes \"ab\", which is not in the vocabulary";
    QTest::newRow("empty vocab") << file("", R"("vocab": {}, "merges": [])")
                                 << "bad.json: model.vocab: the vocabulary is empty";
    QTest::newRow("unk not in vocab")
        << file("", std::string(vocab) + R"(, "merges": [], "unk_token": "<unk>")")
        << "bad.json: model.unk_token: \"<unk>\" is not in the vocabulary";
    QTest::newRow("dropout") << file("", std::string(vocab) + R"(, "merges": [], "dropout": 0.1)")
                             << "bad.json: model.dropout: BPE dropout is not supported";
    QTest::newRow("bad regex")
        << file(
               "\"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": \"(a\"}, "
               "\"behavior\": \"Isolated\"}")
        << "bad.json: pre_tokenizer.pattern: the regex \"(a\" does not compile";
    QTest::newRow("bad behavior")
        << file(
               R"("pre_tokenizer": {"type": "Split", "pattern": {"String": "a"}, "behavior": "Sideways"})")
        << "bad.json: pre_tokenizer: split behavior Sideways is not supported";
    QTest::newRow("truncation") << file(R"("truncation": {"max_length": 8})")
                                << "bad.json: tokenizer.truncation: truncation is not supported";
    QTest::newRow("template without its token")
        << file(
               R"("post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}], "special_tokens": {}})")
        << "bad.json: post_processor.single[0]: special token <s> is not in special_tokens";
  }

  // A file the tokenizer cannot take fully is refused at load, naming the file and component.
  void badFiles() {
    QFETCH(QString, json);
    QFETCH(QString, expected);
    const std::string e = errorOf([&] { HfTokenizer::fromJson(json.toStdString(), "bad.json"); });
    QVERIFY2(e.find(expected.toStdString()) == 0, e.c_str());
  }

  void badFileOnDisk() {
    QTemporaryDir tmp;
    const std::string path = tmp.path().toStdString() + "/tokenizer.json";
    writeFileAtomic(path, gunzip(kDir + "qwen3/tokenizer.json.gz").substr(0, 5000));
    const std::string e = errorOf([&] { Tokenizer t(path); });
    QVERIFY2(e.find(path + ": not valid JSON") == 0, e.c_str());
  }

  void smallCases() {
    const HfTokenizer tok = HfTokenizer::fromJson(
        R"({"model": {"type": "BPE", "vocab": {"<unk>": 0, "a": 1, "b": 2, "ab": 3, "<0x63>": 4},
            "merges": ["a b"], "unk_token": "<unk>", "fuse_unk": true, "byte_fallback": true},
            "decoder": {"type": "Sequence", "decoders": [{"type": "ByteFallback"}, {"type": "Fuse"},
              {"type": "Strip", "content": "x", "start": 0, "stop": 2}]}})",
        "small");
    QCOMPARE(tok.encode("abcdda"), (std::vector<int64_t>{3, 4, 0, 1}));  // c by bytes, dd fused
    QCOMPARE(tok.encode(""), std::vector<int64_t>{});
    QCOMPARE(tok.decode({}), std::string());  // the library's Strip panics on this; here ""
    QCOMPARE(tok.decode({3, 4}), std::string("abc"));
    const std::string e = errorOf([&] { tok.decode({5}); });
    QVERIFY2(e.find("cannot decode token id 5: outside [0, 5)") == 0, e.c_str());
  }

  void cliTokenize() {
    QTemporaryDir tmp;
    const std::string dir = writeFolder(tmp, "mistral");
    const std::string input = tmp.path().toStdString() + "/in.json";
    writeFileAtomic(input, R"(["Hello world", "", "<s>x"])");
    std::ostringstream out, err;
    QCOMPARE(cli::runCli({"tokenize", "--model", dir, "--input", input, "--json"}, out, err), 0);
    const json j = json::parse(out.str());
    QCOMPARE(j["results"].size(), size_t{3});
    QCOMPARE(j["results"][0]["ids"].get<std::vector<int64_t>>(),
             (std::vector<int64_t>{22557, 1526}));
    QCOMPARE(j["results"][0]["decoded"].get<std::string>(), std::string("Hello world"));
    QCOMPARE(j["results"][1]["ids"].size(), size_t{0});
    QCOMPARE(j["results"][2]["ids"][0].get<int>(), 1);

    std::ostringstream out2;
    QCOMPARE(cli::runCli({"tokenize", "--tokenizer", dir + "/tokenizer.json", "--text",
                          "Hello world", "--add-special"},
                         out2, err),
             0);
    QCOMPARE(out2.str(), std::string("1 22557 1526\n"));
    std::ostringstream out3, err3;
    QCOMPARE(cli::runCli({"tokenize", "--text", "x"}, out3, err3), 2);
  }
};

QTEST_GUILESS_MAIN(TestHfTokenizer)
#include "test_hf_tokenizer.moc"
