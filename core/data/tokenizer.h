#pragma once
// A model's SentencePiece tokenizer (tokenizer.model) through libsentencepiece. Optional at
// build time: without it, available() is false and the constructor throws InputError.

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

  // Loads a tokenizer.model file. Throws InputError when it cannot be read or parsed.
  explicit Tokenizer(const std::string& path);
  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // Token ids of text, without BOS/EOS. Thread-safe (the processor is read-only).
  std::vector<int64_t> encode(const std::string& text) const;
  // The text of token ids (SentencePiece's Decode: pieces joined, "\u2581" turned back into
  // spaces, the leading space dropped). Throws InputError for an id outside [0, vocabSize()).
  // Thread-safe.
  std::string decode(const std::vector<int64_t>& ids) const;
  int bosId() const;  // -1 when the model defines none
  int eosId() const;  // -1 when the model defines none
  int vocabSize() const;
  // The piece of a token id as the model sees it ("▁the", "<s>"); "#id" for an id outside the
  // vocabulary. Thread-safe.
  std::string piece(int64_t id) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace rope
