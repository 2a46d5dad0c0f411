#pragma once
// Internal to the tokenizer.json tokenizer: its pipeline stages as Hugging Face's tokenizers
// library defines them (normalizer, pre-tokenizer, BPE model, post-processor, decoder), each
// built from its JSON object. A component or option the library has and this code does not is
// refused with InputError "FILE: WHERE: type X is not supported"; nothing is silently
// different. All stages are immutable after construction and thread-safe.

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "data/hf_text.h"

namespace rope::hf {

using Json = nlohmann::json;

// Where a component sits in tokenizer.json, for error messages ("FILE: WHERE: ...").
struct Where {
  std::string file;
  std::string path;  // "pre_tokenizer.pretokenizers[1]"
  Where operator/(const std::string& key) const { return {file, path + "." + key}; }
  Where operator[](size_t i) const { return {file, path + "[" + std::to_string(i) + "]"}; }
};
[[noreturn]] void fail(const Where& where, const std::string& message);
// A member of obj: its string (throws when absent or not a string, unless a default is given).
std::string stringField(const Json& obj, const char* key, const Where& where);
bool boolField(const Json& obj, const char* key, const Where& where, bool fallback);
// The one character of a string field (Metaspace's replacement, Strip's content).
char32_t charField(const Json& obj, const char* key, const Where& where);

// A piece of text between pipeline stages. atStart: it begins at the input's first character
// (the library's offsets_original().0 == 0, which Metaspace's prepend_scheme "first" reads).
struct Piece {
  std::string text;
  bool atStart = false;
};

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  // Rewrites s; sets leadingRemoved when characters at its start were deleted (so that the
  // text no longer starts at the input's first character).
  virtual void apply(std::string& s, bool& leadingRemoved) const = 0;
};
std::unique_ptr<Normalizer> makeNormalizer(const Json& j, const Where& where);

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  virtual void apply(std::vector<Piece>& pieces) const = 0;
};
std::unique_ptr<PreTokenizer> makePreTokenizer(const Json& j, const Where& where);

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual void apply(std::vector<std::string>& tokens) const = 0;
};
std::unique_ptr<Decoder> makeDecoder(const Json& j, const Where& where);

// Post-processing of one sequence: the ids it puts before and after the encoded text when
// special tokens are added (TemplateProcessing's single template; ByteLevel adds none).
struct Template {
  std::vector<int64_t> prefix;
  std::vector<int64_t> suffix;
};
Template makeTemplate(const Json& j, const Where& where);

// The BPE model of tokenizer.json.
class Bpe {
 public:
  Bpe(const Json& model, const Where& where);
  ~Bpe();
  // Appends the ids of one pre-tokenized piece. Throws InputError when a character has no
  // token and there is neither byte fallback nor an unk_token.
  void tokenize(std::string_view piece, std::vector<int64_t>& out) const;
  int64_t tokenToId(std::string_view token) const;  // -1 when absent
  const std::string* idToToken(int64_t id) const;   // null when absent
  int64_t maxId() const;
  int64_t size() const;  // the number of vocabulary entries

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// A Split or Replace pattern: {"String": "..."} (every occurrence, left to right) or
// {"Regex": "..."} (an Oniguruma pattern, run with PCRE2; see hf_text.h).
class Pattern {
 public:
  Pattern(const Json& j, const Where& where);
  std::vector<std::pair<size_t, size_t>> find(std::string_view s) const;

 private:
  std::string m_literal;
  std::shared_ptr<const Regex> m_regex;
};

// Splitting a string at pattern matches, as the library's SplitDelimiterBehavior does.
enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };
SplitBehavior parseBehavior(const std::string& name, const Where& where);
// matches: sorted, non-overlapping [start, end) byte ranges of s. Appends the resulting
// pieces of `in` (empty ones dropped) to out.
void splitPiece(const Piece& in, const std::vector<std::pair<size_t, size_t>>& matches, bool invert,
                SplitBehavior behavior, std::vector<Piece>& out);

}  // namespace rope::hf
