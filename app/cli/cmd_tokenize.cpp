// rope-cli tokenize: a model's tokenizer (tokenizer.json or SentencePiece tokenizer.model) on
// strings, printing the ids and the decoded text, to check it against Hugging Face's.
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/cli_args.h"
#include "data/tokenizer.h"
#include "train/demo_assets.h"
#include "util/error.h"
#include "util/files.h"

namespace rope::cli {
namespace {

const char* kUsage =
    R"(usage: rope-cli tokenize (--model DIR|demo | --tokenizer FILE) (--text STRING | --input STRINGS.json)
                         [--add-special] [--json]

Tokenizes text with a model's tokenizer, as Hugging Face's tokenizers library does.
  --model        a model folder: its tokenizer.json, else its tokenizer.model
  --tokenizer    a tokenizer file of either kind (tokenizer.json or SentencePiece model)
  --text         one string
  --input        a JSON array of strings
  --add-special  add the special tokens the tokenizer puts around a sequence (the library's
                 add_special_tokens=True: the post-processor's template, tokenizer_config.json's
                 add_bos_token; SentencePiece: BOS); without it none are added
  --json         print {"results": [{"ids": [...], "decoded": "..."}]} in input order, where
                 decoded is decode(ids) (special tokens kept)
Without --json, prints each string's ids on one line, separated by spaces.
Text must be valid UTF-8.
)";

std::vector<std::string> readStrings(const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(readFile(path));
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path + ": not valid JSON (" + e.what() + ")");
  }
  if (!j.is_array()) throw InputError(path + ": must be a JSON array of strings");
  std::vector<std::string> out;
  for (size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_string()) {
      throw InputError(path + ": element " + std::to_string(i) + " is not a string");
    }
    out.push_back(j[i].get<std::string>());
  }
  return out;
}

int run(const std::vector<std::string>& argv, std::ostream& out, std::ostream&) {
  const Args a(argv, {"add-special", "json"}, {"model", "tokenizer", "text", "input"});
  if (!a.positional().empty()) throw UsageError("unexpected argument '" + a.positional()[0] + "'");
  if (a.has("model") == a.has("tokenizer")) throw UsageError("give --model or --tokenizer");
  if (a.has("text") == a.has("input")) throw UsageError("give --text or --input");

  const std::string path = a.has("tokenizer")
                               ? a.require("tokenizer")
                               : Tokenizer::modelTokenizerPath(resolveModel(a.require("model")));
  const Tokenizer tokenizer(path);
  const std::vector<std::string> texts =
      a.has("text") ? std::vector<std::string>{a.require("text")} : readStrings(a.require("input"));
  const bool special = a.has("add-special");

  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (const std::string& text : texts) {
    const std::vector<int64_t> ids =
        special ? tokenizer.encodeWithSpecial(text) : tokenizer.encode(text);
    if (a.has("json")) {
      // A SentencePiece decode may produce bytes that are not UTF-8; JSON gets U+FFFD for them.
      const std::string decoded = tokenizer.decode(ids);
      results.push_back({{"ids", ids}, {"decoded", decoded}});
      continue;
    }
    for (size_t i = 0; i < ids.size(); ++i) out << (i ? " " : "") << ids[i];
    out << "\n";
  }
  if (a.has("json")) {
    out << nlohmann::ordered_json({{"results", results}})
               .dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
        << "\n";
  }
  return 0;
}

}  // namespace

Command tokenizeCommand() {
  return {"tokenize", "ids and decoded text of strings with a model's tokenizer", kUsage, run};
}

}  // namespace rope::cli
