#pragma once
// Training data for the demo model: the SentencePiece tokenizer (trained with Debian's
// spm_train) and windows of tokens drawn from the corpus, some of them passkey snippets.

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace rope {

class Tokenizer;
namespace passkey {
class PromptBuilder;
}

// A training window that holds a passkey prompt and its answer.
struct PasskeySnippet {
  std::vector<int64_t> ids;  // context + 1 token ids
  int answerStart = 0;       // index in ids of the key's first token
  int answerTokens = 0;      // the key's tokens
};

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
                double passkeyShare, double needleShare = 0.0, bool keysByLength = false);
  ~WindowSampler();
  // context + 1 token ids.
  std::vector<int64_t> sample(std::mt19937_64& rng) const;
  // Deterministic non-overlapping windows for validation (at most count).
  std::vector<std::vector<int64_t>> fixedWindows(int count) const;
  // A passkey snippet, key in 1..50000 (uniform, or with keysByLength a digit count uniform in
  // 1..5 first) at a random depth: the passkey test's own prompt
  // (eval/passkey.h: BOS, instruction, filler, the key sentence, filler, the question) at a
  // random length between its fixed parts and what the window leaves, or, for a needleShare
  // of the snippets, a needle in corpus text (PromptBuilder::needle: no instruction, so the
  // distance from the key to the question spans most of the window). Then the key and the
  // period that ends it (PromptBuilder::answerEnding), then corpus text up to context + 1 tokens.
  // Throws InputError when the window is too short for the prompt's fixed parts and a 5-digit key.
  PasskeySnippet passkeySnippet(std::mt19937_64& rng) const;
  // Whether the window holds a passkey snippet with any key.
  bool passkeyFits() const;
  std::vector<int64_t> passkeyWindow(std::mt19937_64& rng) const { return passkeySnippet(rng).ids; }
  int64_t totalTokens() const { return m_total; }

 private:
  std::vector<int64_t> corpusWindow(std::mt19937_64& rng, int length) const;
  // Tokens of a key's shortest passkey prompt, and of its answer with the ending
  // (PromptBuilder::answerEnding(key), given).
  std::pair<int, int> snippetTokens(int key, const std::vector<int64_t>& ending) const;

  std::vector<std::vector<int64_t>> m_docs;
  std::vector<int64_t> m_cumulative;  // window starts available up to each document
  int64_t m_total = 0;
  const Tokenizer& m_tokenizer;
  int m_context;
  double m_passkeyShare;
  double m_needleShare;
  bool m_keysByLength;
  std::unique_ptr<passkey::PromptBuilder> m_prompts;
};

}  // namespace rope
