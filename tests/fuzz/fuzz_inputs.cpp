#include "fuzz_inputs.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "data/hf_tokenizer.h"
#include "data/token_data.h"
#include "io/factor_files.h"
#include "io/hf_config.h"
#include "model/checkpoint.h"
#include "model/model_spec.h"
#include "model/safetensors.h"
#include "rope/factor_set.h"
#include "rope/rope_math.h"
#include "search/search_state.h"
#include "util/error.h"

namespace rope::fuzz {
namespace {

namespace fs = std::filesystem;

// One scratch folder per process for the APIs that take a path; removed at exit.
class Scratch {
 public:
  Scratch() {
    std::string name = (fs::temp_directory_path() / "rope-fuzz-XXXXXX").string();
    if (!::mkdtemp(name.data())) throw std::runtime_error("cannot create a scratch folder");
    m_dir = name;
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(m_dir, ec);
  }
  // Writes bytes to dir/name (making the folders) and returns the path.
  std::string write(const std::string& name, const std::string& bytes) const {
    const fs::path path = m_dir / name;
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + path.string());
    return path.string();
  }
  std::string path(const std::string& name) const { return (m_dir / name).string(); }

 private:
  fs::path m_dir;
};

const Scratch& scratch() {
  static const Scratch s;
  return s;
}

// Runs fn; an InputError is an accepted outcome and its message is kept.
template <typename Fn>
void attempt(Errors& errors, Fn&& fn) {
  try {
    fn();
  } catch (const InputError& e) {
    errors.push_back(e.what());
  }
}

bool isFloat(DType d) {
  return d == DType::F64 || d == DType::F32 || d == DType::F16 || d == DType::BF16;
}

bool isInteger(DType d) {
  switch (d) {
    case DType::I64:
    case DType::I32:
    case DType::I16:
    case DType::I8:
    case DType::U64:
    case DType::U32:
    case DType::U16:
    case DType::U8:
      return true;
    default:
      return false;
  }
}

Errors feedTokens(const std::string& path, TokenSource src) {
  Errors errors;
  src.paths = {path};
  attempt(errors, [&] { loadTokens(src); });
  return errors;
}

// What reads must save: a factor set a reader accepted is written and read back.
void mustSave(const std::vector<FactorSet>& sets, const std::string& what) {
  try {
    parseProject(formatProject(sets), "saved project");
  } catch (const InputError& e) {
    throw PropertyViolation(what + " reads but does not save: " + e.what());
  }
}

// The set the patch tests write: four pairs, long and short factors.
FactorSet longRopeSet() {
  FactorSet s;
  s.name = "fuzz";
  s.method = "longrope";
  s.factors = {1.0, 1.5, 2.0, 4.0};
  s.shortFactors = {1.0, 1.0, 1.0, 1.0};
  s.originalMaxPosition = 64;
  s.targetLength = 256;
  return s;
}

// A config that read before the patch must read after it.
void patchAndReread(const std::string& config, const FactorSet& set, Errors& errors) {
  bool readBefore = false;
  try {
    parseRopeParams(config, "config.json");
    readBefore = true;
  } catch (const InputError&) {
  }
  std::string patched;
  attempt(errors, [&] {
    std::vector<std::string> warnings;
    patched = patchHfConfig(config, set, "config.json", &warnings);
  });
  if (patched.empty() || !readBefore) return;
  try {
    parseRopeParams(patched, "patched config.json");
  } catch (const InputError& e) {
    throw PropertyViolation(std::string("a patched config does not read back: ") + e.what());
  }
}

}  // namespace

Errors feedSafetensors(const std::string& bytes) {
  Errors errors;
  const std::string path = scratch().write("st/model.safetensors", bytes);
  attempt(errors, [&] {
    const SafetensorsFile file(path);
    for (const auto& t : file.tensors()) {
      if (t.numel() < 0) throw PropertyViolation("tensor " + t.name + ": negative numel");
      if (isFloat(t.dtype)) attempt(errors, [&] { t.toFloats(); });
      if (isInteger(t.dtype)) attempt(errors, [&] { t.toInt64s(); });
    }
  });
  return errors;
}

Errors feedModelIndex(const std::string& bytes) {
  Errors errors;
  static const float kShard[2] = {1.0f, 2.0f};
  scratch().write("index/a.safetensors",
                  formatSafetensors({{"x", DType::F32, {2}, kShard, sizeof kShard}}));
  scratch().write("index/model.safetensors.index.json", bytes);
  attempt(errors, [&] {
    const Checkpoint checkpoint(scratch().path("index"));
    for (const auto& [name, t] : checkpoint.tensors()) {
      if (checkpoint.find(name) != t) throw PropertyViolation("tensor " + name + " not found");
    }
  });
  return errors;
}

Errors feedNpyTokens(const std::string& bytes) {
  return feedTokens(scratch().write("tokens/t.npy", bytes), {});
}

Errors feedSafetensorsTokens(const std::string& bytes) {
  const std::string path = scratch().write("tokens/t.safetensors", bytes);
  Errors errors = feedTokens(path, {});
  attempt(errors, [&] { readInputIds(path); });
  return errors;
}

Errors feedBinTokens(const std::string& bytes) {
  const std::string path = scratch().write("tokens/t.bin", bytes);
  Errors errors;
  for (const char* dtype : {"uint16", "uint32"}) {
    TokenSource src;
    src.binDType = dtype;
    src.separatorToken = 0;
    for (auto& e : feedTokens(path, src)) errors.push_back(std::move(e));
  }
  // The same bytes as the dtype sidecar of a raw file.
  const std::string raw = scratch().write("tokens/s.bin", std::string(8, '\1'));
  scratch().write("tokens/s.bin.json", bytes);
  for (auto& e : feedTokens(raw, {})) errors.push_back(std::move(e));
  return errors;
}

Errors feedConfig(const std::string& bytes) {
  Errors errors;
  attempt(errors, [&] {
    const RopeParams p = parseRopeParams(bytes, "config.json");
    factorSetFromParams(p, p.maxPosition, "config");
    computeFrequencies(p);
    attentionFactor(p);
  });
  attempt(errors, [&] { parseModelConfig(bytes, "config.json"); });
  attempt(errors, [&] { parseModelSpec(bytes, "config.json"); });
  return errors;
}

Errors feedConfigPatch(const std::string& bytes) {
  Errors errors;
  patchAndReread(bytes, longRopeSet(), errors);
  attempt(errors, [&] {
    const RopeParams p = parseRopeParams(bytes, "config.json");
    patchAndReread(bytes, factorSetFromParams(p, p.maxPosition, "own"), errors);
  });
  return errors;
}

Errors feedFactorCsv(const std::string& bytes) {
  Errors errors;
  const std::string path = scratch().write("factors/f.csv", bytes);
  attempt(errors, [&] {
    const auto sets = readFactorFiles(path);
    mustSave(sets, "a LongRoPE CSV");
    for (const auto& s : sets) parseLongRopeCsv(formatLongRopeCsv(s, nullptr), "saved.csv");
  });
  return errors;
}

Errors feedFactorConfig(const std::string& bytes) {
  Errors errors;
  scratch().write("factor-model/config.json", bytes);
  attempt(errors, [&] { mustSave(readFactorFiles(scratch().path("factor-model")), "a config"); });
  return errors;
}

Errors feedProject(const std::string& bytes) {
  Errors errors;
  const std::string path = scratch().write("project/p.json", bytes);
  attempt(errors, [&] {
    const ProjectFile project = readProjectFile(path);
    const std::string copy = scratch().path("project/saved.json");
    try {
      writeProjectFile(copy, project);
      readProjectFile(copy);
    } catch (const InputError& e) {
      throw PropertyViolation(std::string("a project reads but does not save: ") + e.what());
    }
  });
  attempt(errors, [&] { readFactorFiles(path); });
  return errors;
}

Errors feedTokenizerJson(const std::string& bytes) {
  Errors errors;
  attempt(errors, [&] {
    const HfTokenizer tok = HfTokenizer::fromJson(bytes, "tokenizer.json");
    for (const char* text :
         {"Hello, world! 12 apples", " \t\n  ünïcödé 日本語 🙂", "<s>a</s>"}) {
      for (bool special : {false, true}) {
        std::vector<int64_t> ids;
        attempt(errors, [&] { ids = tok.encode(text, special); });
        try {
          tok.decode(ids, false);
          tok.decode(ids, true);
        } catch (const InputError& e) {
          throw PropertyViolation(std::string("ids that encode gave do not decode: ") + e.what());
        }
      }
    }
    for (int64_t id = 0; id < std::min(tok.vocabSize(), 64); ++id) tok.idToToken(id);
  });
  return errors;
}

Errors feedSearchCheckpoint(const std::string& bytes) {
  Errors errors;
  EvolutionParams params;
  params.space.pairs = 4;
  params.fingerprint = "fp";
  params.seed = 7;
  attempt(errors, [&] {
    const auto state = search_detail::parseCheckpoint(params, bytes, "checkpoint.json");
    try {
      search_detail::parseCheckpoint(params, search_detail::formatCheckpoint(params, state),
                                     "saved checkpoint.json");
    } catch (const InputError& e) {
      throw PropertyViolation(std::string("a checkpoint reads but does not save: ") + e.what());
    }
  });
  return errors;
}

}  // namespace rope::fuzz
