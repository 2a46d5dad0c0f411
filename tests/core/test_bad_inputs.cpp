// The inputs that the fuzzer found (tests/fixtures/bad-inputs, README there): each goes through
// the entry point of the fuzz target that found it (tests/fuzz/fuzz_inputs.h) and must end in an
// InputError whose message names the problem, or, where the input is valid, in the right result.
// Nothing else may escape: another exception fails the row, a crash fails the run.
#include <QtTest>
#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include "data/token_data.h"
#include "fuzz_inputs.h"
#include "model/model_spec.h"
#include "model/safetensors.h"
#include "util/error.h"
#include "util/files.h"

using namespace rope;
namespace fs = std::filesystem;

namespace {

const std::string kBadInputs = ROPE_FIXTURES_DIR "/bad-inputs";

using Feed = std::function<fuzz::Errors(const std::string&)>;

// The fuzz target behind each kind of file (the names of the rows' entry column).
const std::map<QString, Feed>& feeds() {
  static const std::map<QString, Feed> all = {
      {"safetensors", fuzz::feedSafetensors},
      {"model-index", fuzz::feedModelIndex},
      {"npy-tokens", fuzz::feedNpyTokens},
      {"safetensors-tokens", fuzz::feedSafetensorsTokens},
      {"config", fuzz::feedConfig},
      {"config-patch", fuzz::feedConfigPatch},
      {"factor-csv", fuzz::feedFactorCsv},
      {"factor-config", fuzz::feedFactorConfig},
      {"search-checkpoint", fuzz::feedSearchCheckpoint},
      {"tokenizer-json", fuzz::feedTokenizerJson},
  };
  return all;
}

std::string bytesOf(const std::string& file) { return readFile(kBadInputs + "/" + file); }

// The invalid inputs: file, entry point, a fragment the message must hold.
struct BadRow {
  const char* file;
  const char* entry;
  const char* fragment;
};

// ff_* files begin with the factor-files fuzz target's selector byte (0: a CSV, 1: an HF config).
constexpr BadRow kBad[] = {
    // F1: a number beyond a double escaped as nlohmann's out_of_range.
    {"st_number_overflow.safetensors", "safetensors", "number overflow"},
    {"st_fuzzer_min_number_overflow.safetensors", "safetensors", "number overflow"},
    {"st_fuzzer_found_number_overflow.safetensors", "safetensors", "number overflow"},
    {"ci_number_overflow.index.json", "model-index", "number overflow"},
    {"ci_fuzzer_found_number_overflow.index.json", "model-index", "number overflow"},
    // F3: std::stoull threw invalid_argument / out_of_range on the shape.
    {"tok_npy_stoull_invalid.npy", "npy-tokens", "shape entries must be non-negative integers"},
    {"tok_npy_stoull_range.npy", "npy-tokens", "shape entry too large"},
    {"tok_fuzzer_min_stoull.npy", "npy-tokens", "unknown key 'fortran_ord'"},
    // F4: rows * cols * width wrapped; (0, 1e11) allocated 800 GB.
    {"tok_npy_mul_overflow.npy", "npy-tokens", "shorter than its shape"},
    {"tok_npy_zero_rows_huge_cols.npy", "npy-tokens", "no tokens"},
    // F6: [2^63 - 1, 0] made 2^63 empty documents.
    {"tok_st_rows_zero_cols.safetensors", "safetensors-tokens", "input_ids is empty"},
    // F7: a string or 1e300 in max_window_layers (type_error, float-cast UB).
    {"hf_max_window_layers_string.config.json", "config", "'max_window_layers' must be an integer"},
    {"hf_max_window_layers_1e300.config.json", "config", "'max_window_layers' must be an integer"},
    // F8: no bound on head_dim or the layer count: 8 GB allocations.
    {"hf_head_dim_huge.config.json", "config", "head_dim"},
    {"ff_head_dim_huge.config.json", "factor-config", "head_dim"},
    {"hf_layers_huge.config.json", "config", "'num_hidden_layers' is 2147483647"},
    // F9: "model_type": 5 escaped as a type_error when factors were written into the config.
    {"hf_patch_model_type_int.config.json", "config-patch", "model_type"},
    // F10: missing or mistyped search parameters, a huge generation in the history.
    {"ck_no_search.checkpoint.json", "search-checkpoint", "'search'"},
    {"ck_fuzzer_min_no_search.checkpoint.json", "search-checkpoint", "'search'"},
    {"ck_search_list.checkpoint.json", "search-checkpoint", "must be an object, got a list"},
    {"ck_fingerprint_int.checkpoint.json", "search-checkpoint",
     "'fingerprint' must be a string, got an integer"},
    {"ck_history_generation_1e300.checkpoint.json", "search-checkpoint",
     "'generation' must be an integer"},
    // F11: an original window of 1: LongRoPE's attention factor divides by ln 1 = 0.
    {"probe_ff_longrope_window1.config.json", "factor-config", "original_max_position_embeddings"},
    // F12: a line of a form feed alone split into no cells; n_hat was read from the empty row.
    {"ff_csv_formfeed_line.csv", "factor-csv", "no factors"},
    // F13: the template's special token id 16 is outside the vocabulary (added_tokens misspelled):
    // encode gives an id that decode refuses.
    {"tj_template_id_outside_vocab.tokenizer.json", "tokenizer-json", "post_processor"},
    // F14: a vocabulary id of 199999990 sized a 6.4 GB id table.
    {"tj_vocab_id_huge.tokenizer.json", "tokenizer-json", "is far beyond the vocabulary"},
};

// Inputs that were valid all along; the defect was in how they were read.
const std::set<std::string> kValid = {
    "st_numel_overflow.safetensors",    // F2: [2^32, 2^32, 0] is an empty tensor
    "tok_npy_long_shape.npy",           // F5: (<60k spaces>1,) is shape (1,)
    "raw_long_shape_60k.npy",           // F5, the same file as found
    "hf_use_sliding_null.config.json",  // F7: null is "not given"
};

}  // namespace

class TestBadInputs : public QObject {
  Q_OBJECT

 private slots:
  void everyFileHasARow() {
    std::set<std::string> rows(kValid);
    for (const auto& r : kBad) rows.insert(r.file);
    for (const auto& entry : fs::directory_iterator(kBadInputs)) {
      const std::string name = entry.path().filename().string();
      if (name == "README.md") continue;
      QVERIFY2(rows.count(name),
               qPrintable("no test row for bad-inputs/" + QString::fromStdString(name)));
    }
  }

  void badInput_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("entry");
    QTest::addColumn<QString>("fragment");
    for (const auto& r : kBad) QTest::newRow(r.file) << r.file << r.entry << r.fragment;
  }

  void badInput() {
    QFETCH(QString, file);
    QFETCH(QString, entry);
    QFETCH(QString, fragment);
    std::string bytes = bytesOf(file.toStdString());
    if (file.startsWith("ff_") || file.startsWith("probe_ff_")) bytes.erase(0, 1);
    fuzz::Errors errors;
    try {
      errors = feeds().at(entry)(bytes);
    } catch (const std::exception& e) {
      QFAIL(qPrintable(QString("escaped as another exception: ") + e.what()));
    }
    QVERIFY2(!errors.empty(), "accepted without an InputError");
    QString all;
    for (const auto& e : errors) all += QString::fromStdString(e) + "\n";
    QVERIFY2(all.contains(fragment), qPrintable("'" + fragment + "' not in:\n" + all));
  }

  void emptyTensorWithHugeDims() {
    const fuzz::Errors errors = fuzz::feedSafetensors(bytesOf("st_numel_overflow.safetensors"));
    QVERIFY2(errors.empty(), errors.empty() ? "" : errors.front().c_str());
    const SafetensorsFile file(kBadInputs + "/st_numel_overflow.safetensors");
    const TensorView& t = file.tensor("a");
    QCOMPARE(t.shape, (std::vector<int64_t>{int64_t{1} << 32, int64_t{1} << 32, 0}));
    QCOMPARE(t.numel(), int64_t{0});
    QVERIFY(t.toFloats().empty());
  }

  void npyWithLongShapeTuple_data() {
    QTest::addColumn<QString>("file");
    QTest::newRow("tok_npy_long_shape") << "tok_npy_long_shape.npy";
    QTest::newRow("raw_long_shape_60k") << "raw_long_shape_60k.npy";
  }

  void npyWithLongShapeTuple() {
    QFETCH(QString, file);
    TokenSource src;
    src.paths = {kBadInputs + "/" + file.toStdString()};
    const TokenDataset data = loadTokens(src);
    QCOMPARE(data.documents, (std::vector<std::vector<int64_t>>{{0}}));
  }

  void useSlidingWindowNull() {
    const std::string file = "hf_use_sliding_null.config.json";
    const fuzz::Errors errors = fuzz::feedConfig(bytesOf(file));
    QVERIFY2(errors.empty(), errors.empty() ? "" : errors.front().c_str());
    // Mistral slides in every layer unless told otherwise; null tells nothing.
    const ModelSpec spec = parseModelSpec(bytesOf(file), file);
    QCOMPARE(spec.slidingWindow, std::vector<int>{16});
  }
};

QTEST_APPLESS_MAIN(TestBadInputs)
#include "test_bad_inputs.moc"
