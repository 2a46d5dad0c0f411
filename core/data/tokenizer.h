#pragma once
// A model's tokenizer, of either kind: a Hugging Face tokenizer.json (HfTokenizer, always
// built in), or a SentencePiece tokenizer.model through libsentencepiece (optional at build
// time: without it, available() is false and loading a tokenizer.model throws InputError).
// A model folder's tokenizer is modelTokenizerPath(): tokenizer.json when it has one.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace rope {

class Tokenizer {
 public:
  // True when the SentencePiece module loads (modulePath()).
  static bool available();
  // Where the SentencePiece module is loaded from: $ROPE_SENTENCEPIECE_SHIM when set, else the
  // installed copy beside the executable (<exe>/../lib/rope-workbench), else the build's own;
  // empty when this build has none (no libsentencepiece-dev when it was configured).
  static std::string modulePath();

  // The tokenizer of a model folder: DIR/tokenizer.json when it exists, else
  // DIR/tokenizer.model (returned even when missing, so that messages name it).
  static std::string modelTokenizerPath(const std::string& modelDir);
  // True when this build can load path: a tokenizer.json, or a SentencePiece model when
  // available(). False for a missing file.
  static bool canLoad(const std::string& path);

  // Loads a tokenizer file: tokenizer.json (a JSON object) or a SentencePiece model (anything
  // else). Throws InputError when it cannot be read, parsed or is not supported.
  explicit Tokenizer(const std::string& path);
  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // "tokenizer.json" or "SentencePiece".
  std::string kind() const;
  // Token ids of text, without BOS/EOS. Throws InputError for text a tokenizer.json cannot
  // take (not UTF-8). Thread-safe (the processor is read-only).
  std::vector<int64_t> encode(const std::string& text) const;
  // The ids of text as the model is fed a sequence: with the special tokens the tokenizer adds
  // (tokenizer.json: its post-processor and tokenizer_config.json's add_bos_token /
  // add_eos_token; SentencePiece: BOS when it defines one, as Llama's tokenizer does).
  std::vector<int64_t> encodeWithSpecial(const std::string& text) const;
  // The text of token ids (SentencePiece's Decode: pieces joined, "\u2581" turned back into
  // spaces, the leading space dropped; tokenizer.json: its decoder, special tokens kept). Throws
  // InputError for an id outside [0, vocabSize()). Thread-safe.
  std::string decode(const std::vector<int64_t>& ids) const;
  // The BOS that encodeWithSpecial puts first; -1 when it puts none.
  int bosId() const;
  int eosId() const;  // -1 when the model defines none
  int vocabSize() const;
  // The piece of a token id as the model sees it ("▁the", "Ġthe", "<s>"); "#id" for an id
  // outside the vocabulary. Thread-safe.
  std::string piece(int64_t id) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace rope
