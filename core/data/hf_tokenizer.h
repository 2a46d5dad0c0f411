#pragma once
// A Hugging Face tokenizer.json tokenizer (Llama 3, Qwen2/2.5/3, Phi-4, Mistral and other BPE
// models) that gives the ids Hugging Face's tokenizers library gives, checked against it on
// tests/fixtures/tokenizers (tests/core/test_hf_tokenizer.cpp).
//
// Implemented, as the library (0.22) defines them: model BPE (merges "a b" or ["a", "b"],
// byte_fallback, ignore_merges, unk_token, fuse_unk, continuing_subword_prefix,
// end_of_word_suffix); normalizers Sequence, NFC, NFD, NFKC, NFKD, Lowercase, Strip, Replace,
// Prepend; pre-tokenizers Sequence, Split, ByteLevel, Metaspace, Digits, Punctuation,
// Whitespace, WhitespaceSplit; added_tokens (special or not; lstrip, rstrip, single_word,
// normalized) matched before the model; post-processors TemplateProcessing, ByteLevel,
// Sequence; decoders ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, Sequence.
// Anything else (another model, normalizer, pre-tokenizer, post-processor or decoder type,
// BPE dropout, truncation or padding) is refused when the file is loaded.
//
// tokenizer_config.json beside tokenizer.json, when present, is read as transformers does for
// Llama-style tokenizers: add_bos_token / add_eos_token (when given) decide whether bos_token /
// eos_token start / end a sequence with special tokens, and eos_token names the EOS.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace rope {

class HfTokenizer {
 public:
  // Loads a tokenizer.json file (and DIR/tokenizer_config.json when it exists). Throws
  // InputError naming the file and the component ("tokenizer.json: pre_tokenizer: pre_tokenizer
  // type X is not supported", "... model.merges[7]: names \"ab\", which is not in the
  // vocabulary").
  explicit HfTokenizer(const std::string& path);
  // The same from JSON text; source names it in messages; configJson may be empty.
  static HfTokenizer fromJson(const std::string& json, const std::string& source,
                              const std::string& configJson = {});
  ~HfTokenizer();
  HfTokenizer(HfTokenizer&&) noexcept;
  HfTokenizer& operator=(HfTokenizer&&) noexcept;

  // The ids of text: added tokens, normalizer, pre-tokenizer, BPE; with addSpecial, the
  // special tokens the post-processor (and tokenizer_config.json) put around them (the
  // library's add_special_tokens). Throws InputError for text that is not valid UTF-8, naming
  // the byte offset (the library only takes valid UTF-8 strings). Thread-safe.
  std::vector<int64_t> encode(const std::string& text, bool addSpecial = false) const;
  // The text of ids through the decoder (the library's decode); skipSpecial drops special
  // added tokens. Throws InputError for an id outside [0, vocabSize()). Thread-safe.
  std::string decode(const std::vector<int64_t>& ids, bool skipSpecial = false) const;

  // What encode(text, true) puts before and after the text's ids.
  const std::vector<int64_t>& specialPrefix() const;
  const std::vector<int64_t>& specialSuffix() const;
  // The BOS: the one token encode(text, true) puts in front; -1 when it puts none (or more).
  int bosId() const;
  // tokenizer_config.json's eos_token, else the one token put at the end; else -1.
  int eosId() const;
  int vocabSize() const;  // 1 + the largest id (model vocabulary and added tokens)
  // The token of an id as the vocabulary spells it ("Ġthe", "<|im_end|>"); empty for none.
  std::string idToToken(int64_t id) const;
  int64_t tokenToId(const std::string& token) const;  // -1 when absent

 private:
  HfTokenizer();
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace rope
