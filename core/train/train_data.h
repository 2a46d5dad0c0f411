#pragma once
// Training data for the demo model: the SentencePiece tokenizer (trained with Debian's
// spm_train) and windows of tokens drawn from the corpus, some of them passkey snippets.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace rope {

class Tokenizer;

// Trains a unigram SentencePiece model on files (one document per file, one line per
// chapter); writes PREFIX.model and PREFIX.vocab (at most vocabSize pieces: fewer when the
// corpus is too small). Digits are split and always in the
// vocabulary (passkeys). BOS 1, EOS 2, UNK 0. Throws InputError when spm_train fails.
std::string trainTokenizer(const std::vector<std::string>& files, const std::string& prefix,
                           int vocabSize);

class WindowSampler {
 public:
  // docs: token ids per document (each starts with BOS). Throws InputError when no document
  // is longer than the window (context + 1 tokens).
  WindowSampler(std::vector<std::vector<int64_t>> docs, const Tokenizer& tokenizer, int context,
                double passkeyShare);
  // context + 1 token ids.
  std::vector<int64_t> sample(std::mt19937_64& rng) const;
  // Deterministic non-overlapping windows for validation (at most count).
  std::vector<std::vector<int64_t>> fixedWindows(int count) const;
  // A passkey snippet: instruction, filler, the key sentence, filler, the question and the
  // key, preceded by corpus text so it is exactly context + 1 tokens.
  std::vector<int64_t> passkeyWindow(std::mt19937_64& rng) const;
  int64_t totalTokens() const { return m_total; }

 private:
  std::vector<int64_t> corpusWindow(std::mt19937_64& rng, int length) const;

  std::vector<std::vector<int64_t>> m_docs;
  std::vector<int64_t> m_cumulative;  // window starts available up to each document
  int64_t m_total = 0;
  const Tokenizer& m_tokenizer;
  int m_context;
  double m_passkeyShare;
};

}  // namespace rope
