#pragma once
// Internal to the tokenizer.json tokenizer (hf_tokenizer.cpp): UTF-8 text handling with the
// character classes and transforms of Hugging Face's tokenizers library (Rust), through ICU
// (properties, case mapping, normalization forms) and PCRE2 (the patterns of Split and
// Replace, written for Oniguruma). Every function is pure and thread-safe.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rope::hf {

// The code point starting at s[i] and its length in bytes; s must be valid UTF-8.
char32_t decodeAt(std::string_view s, size_t i, int* length);
void appendUtf8(std::string& out, char32_t c);
// The byte offset of the first invalid UTF-8 sequence in s, or npos when s is valid.
size_t firstInvalidUtf8(std::string_view s);
// Bytes to text as Rust's String::from_utf8_lossy: each maximal invalid subsequence becomes
// one U+FFFD.
std::string utf8Lossy(std::string_view bytes);

// Rust's char::is_whitespace (the White_Space property).
bool isWhitespace(char32_t c);
// Rust regex's \w: Alphabetic, Mark, Decimal_Number, Connector_Punctuation, Join_Control.
bool isWordChar(char32_t c);
// Rust's char::is_numeric: general categories Nd, Nl, No.
bool isNumeric(char32_t c);
// The tokenizers library's is_punc: ASCII punctuation or a P* general category.
bool isPunctuation(char32_t c);

enum class NormalForm { NFC, NFD, NFKC, NFKD };
std::string normalize(std::string_view s, NormalForm form);
// Each character's full lowercase mapping on its own (Rust's char::to_lowercase, no context:
// a final capital sigma becomes σ).
std::string lowercase(std::string_view s);

// A compiled Oniguruma-style pattern run with PCRE2 (UTF, UCP, JIT). \s, \S, \w, \W are
// rewritten to Oniguruma's Unicode classes, and ^/$ are line anchors as in Ruby syntax.
class Regex {
 public:
  // Throws std::invalid_argument with PCRE2's message when the pattern does not compile.
  explicit Regex(const std::string& pattern);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;
  // The non-overlapping matches [start, end) in s, as the onig crate's find_iter gives them:
  // an empty match right where the previous match ended is skipped.
  std::vector<std::pair<size_t, size_t>> findAll(std::string_view s) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// The GPT-2 byte-to-character table of the ByteLevel pre-tokenizer and decoder: the UTF-8
// text of each byte's character, and the byte of a character (-1 for others).
const std::string& byteLevelChar(uint8_t b);
int byteLevelByte(char32_t c);

}  // namespace rope::hf
