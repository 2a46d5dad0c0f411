#pragma once
// The parsers' public entry points as the fuzz targets call them, shared with test_bad_inputs
// so that every defect the fuzzer finds is replayed through the same calls in the normal build.
//
// Each feed* function takes a file's bytes, gives them to core the way a user's file reaches it
// (written to a scratch file where the API takes a path), and returns the messages of the
// InputErrors it got: empty when every call accepted the input. An InputError is the only
// exception a parser may throw; anything else escapes (the fuzzer reports it as a crash). A
// property a parser must keep (what reads must save) escapes as PropertyViolation.
// Not thread-safe: the scratch folder is shared.

#include <stdexcept>
#include <string>
#include <vector>

namespace rope::fuzz {

using Errors = std::vector<std::string>;

// A defect that is not a crash: e.g. a factor set that reads but refuses to save.
class PropertyViolation : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// model.safetensors: the header, then every tensor's values.
Errors feedSafetensors(const std::string& bytes);
// model.safetensors.index.json in a folder that holds one valid shard, a.safetensors.
Errors feedModelIndex(const std::string& bytes);
// Token files through loadTokens (and readInputIds for safetensors).
Errors feedNpyTokens(const std::string& bytes);
Errors feedSafetensorsTokens(const std::string& bytes);
Errors feedBinTokens(const std::string& bytes);  // as uint16 and uint32, split at token 0
// config.json read: parseRopeParams (and its factor set), parseModelConfig, parseModelSpec.
Errors feedConfig(const std::string& bytes);
// config.json written: patchHfConfig with a fixed LongRoPE set and with the config's own set.
Errors feedConfigPatch(const std::string& bytes);
// Factor files through readFactorFiles: a LongRoPE CSV, an HF config, a project.
Errors feedFactorCsv(const std::string& bytes);
Errors feedFactorConfig(const std::string& bytes);
// The workbench's project file: readProjectFile, then saved and read back.
Errors feedProject(const std::string& bytes);
// A Hugging Face tokenizer.json: loaded, a few texts encoded (with and without the special
// tokens) and the ids decoded again.
Errors feedTokenizerJson(const std::string& bytes);
// A search checkpoint, parsed against a 4-pair search with fingerprint "fp" and seed 7.
Errors feedSearchCheckpoint(const std::string& bytes);

}  // namespace rope::fuzz
