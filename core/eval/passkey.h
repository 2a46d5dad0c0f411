#pragma once
// Passkey retrieval (Mohtashami & Jaggi 2023, as reported by LongRoPE, arXiv 2402.13753): can
// the model find a 5-digit key hidden in filler text at a given length and depth?
//
// Prompt, in tokens of the model's tokenizer, exactly `length` long:
//   [BOS] instruction  filler x n  "The pass key is K. Remember it. K is the pass key."
//   filler x m  "What is the pass key? The pass key is"
// Both filler runs repeat the filler sentence from its start and are cut to the token count
// the length and depth ask for (LongRoPE's reference cuts its filler text the same way, by
// characters). The key's depth is the share of the filler tokens before it: the requested
// depth to within half a token.
// Keys are drawn in 1..50000 (the paper's range); trial t of every cell uses the same key,
// so cells and RoPE methods are compared on the same keys.
//
// Scoring of one trial, with the forward passes Hugging Face's generate() runs with a key/value
// cache: one pass over the prompt, then one per new token. The RoPE is decided per pass, as
// there (Transformer::append): with LongRoPE's sequence-length switch a prompt within the
// original window is read with the short factors, and the first token beyond it runs the whole
// sequence again with the long ones (transformers' Phi-3 generate() drops its cache there).
//  - exact match: greedy decoding of up to maxNewTokens tokens (stopping early at EOS, once
//    a complete integer is in the output, or once the integer begun can no longer be the key);
//    correct when the first integer of the decoded output equals the key (the paper's rule);
//  - teacher-forced log-probability of the key's tokens after the prompt (nats), total and
//    per token: a finer signal than 0/1 accuracy.
// Greedy decoding reuses the teacher-forced passes while it agrees with the key (position t's
// logits only see tokens < t), so a correct answer costs the prompt's pass and one pass per key
// token.
//
// Shape of long work (STYLE.md): run(Params, Progress) never throws; progress is called with
// (trials done, trials total) after every forward pass (several per trial while decoding), and
// returning false cancels then: within one forward pass.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model/transformer.h"
#include "rope/factor_set.h"
#include "rope/rope_params.h"
#include "util/distribute.h"

namespace rope {
class Tokenizer;
}

namespace rope::passkey {

inline constexpr int kMaxKey = 50000;  // keys are drawn in 1..kMaxKey

// Text <-> token ids: a model's tokenizer, or a stand-in in tests.
struct Codec {
  std::function<std::vector<int64_t>(const std::string&)> encode;  // no BOS/EOS
  std::function<std::string(const std::vector<int64_t>&)> decode;
  int bos = -1;   // prepended to every prompt when >= 0
  int eos = -1;   // ends greedy decoding when >= 0
  int vocab = 0;  // decoding considers ids below it (0: every logit column)
};
// The tokenizer must outlive the codec.
Codec codecFor(const Tokenizer& tokenizer);

struct Prompt {
  std::vector<int64_t> ids;     // exactly the requested length, BOS included
  std::vector<int64_t> answer;  // the key's tokens as they follow the prompt
  int key = 0;
  int keyStart = 0;      // index in ids of the key sentence's first token
  int keyTokens = 0;     // tokens of the key sentence
  int fillerTokens = 0;  // filler tokens in the prompt, before and after the key
  int fillerBefore = 0;  // of which before the key
  double depth = 0;      // achieved depth fillerBefore / fillerTokens (0 if no filler)
};

class PromptBuilder {
 public:
  // Encodes the fixed texts once. Throws InputError when the codec gives no tokens for them.
  explicit PromptBuilder(Codec codec);

  // The fewest tokens a prompt can have with each of these keys: BOS, the instruction, the
  // key sentence and the question, no filler (the longest of the keys' key sentences).
  int minLength(const std::vector<int>& keys) const;
  // The prompt for a key at a depth in [0, 1]. Throws InputError for a length below what this
  // key's fixed parts take, a depth outside [0, 1] or a key outside 1..kMaxKey.
  Prompt build(int length, double depth, int key) const;
  // LongRoPE2's needle sample (arXiv 2502.20082, "needle-driven perplexity"): a real
  // document's first tokens as the haystack, the key sentence inserted at a depth of it, then
  // the question; `length` tokens with the answer, which follows ids. No instruction and no
  // filler: the text around the needle is the document's. keyStart is where the key sentence
  // starts; fillerTokens counts the document's tokens. Throws InputError when the document is
  // shorter than the haystack needs, the length leaves no haystack token, or depth or key are
  // out of range.
  Prompt needle(const std::vector<int64_t>& document, int length, double depth, int key) const;
  // The shortest needle sample for a key: key sentence, question, answer and one document token.
  int needleMinLength(int key) const;
  // The key's tokens as they follow a prompt (Prompt::answer).
  std::vector<int64_t> answerTokens(int key) const;
  // The tokens that end the answer as the key sentence ends the key ("." after "is K"), as
  // they follow answerTokens(key). Training samples continue with them, so that a model learns
  // where a key ends (that a 3-digit key is not the start of a 5-digit one).
  std::vector<int64_t> answerEnding(int key) const;
  const Codec& codec() const { return m_codec; }

 private:
  int fixedTokens(int key) const;
  // The tokens that `tail` adds after `head` (whose tokens are headIds) when the two are
  // encoded as one text; `tail` alone when the tokenizer merges across the boundary.
  std::vector<int64_t> tokensAfter(const std::string& head, const std::vector<int64_t>& headIds,
                                   const std::string& tail) const;

  Codec m_codec;
  std::vector<int64_t> m_instruction, m_filler, m_question;
};

// The first run of ASCII digits in text, without leading zeros ("0" for zeros only); empty
// when text has no digit.
std::string firstInteger(const std::string& text);
// True once text holds a digit run followed by another character: its first integer can no
// longer change, so decoding may stop.
bool answerComplete(const std::string& text);
// True once text's first integer can no longer equal key (a positive integer's digits),
// however decoding continues: its digits so far (leading zeros aside) are not a prefix of
// key's, since later tokens only append digits to it. Decoding may stop then too.
bool cannotBecome(const std::string& text, const std::string& key);

// Float32 logits rows firstRow..T-1 ([rows x vocab], row-major) of one forward pass over the
// whole sequence ids (Transformer::logits).
using LogitsFn = std::function<std::vector<float>(const std::vector<int64_t>& ids, int firstRow)>;

// What scoring needs from a model: a sequence that grows by forward passes. append(ids,
// firstRow) runs one pass over ids after the tokens appended so far and returns float32 logits
// rows firstRow..n-1 of it ([rows x vocab], row-major); truncate(n) keeps the first n tokens.
struct Decoder {
  std::function<std::vector<float>(const std::vector<int64_t>& ids, int firstRow)> append;
  std::function<void(int64_t keep)> truncate;
};
// The model with its key/value cache (Transformer::append and truncateCache): the passes and
// per-pass RoPE of generate(). The model must outlive the decoder.
Decoder cachedDecoder(Transformer& model);
// Each append runs logits over the whole sequence so far (a model without a cache; stand-in
// models in tests). Its RoPE is then that of a pass over the whole sequence.
Decoder recomputingDecoder(LogitsFn logits);

struct TrialScore {
  int key = 0;
  bool correct = false;
  std::string output;              // decoded greedy output
  std::vector<int64_t> generated;  // its token ids
  double logprob = 0;              // sum of log p(answer tokens | prompt, earlier answer), nats
  double logprobPerToken = 0;      // logprob / answer tokens
  int answerTokens = 0;
  int forwardPasses = 0;
};

// Scores one prompt, starting from an empty sequence (the decoder is truncated to 0 first).
// keepGoing (may be empty) is asked after every forward pass but the last; false throws
// CancelledError. Throws InputError when the logits have the wrong size.
TrialScore scoreTrial(const Decoder& model, const Codec& codec, const Prompt& prompt,
                      int maxNewTokens = 10, const std::function<bool()>& keepGoing = {});

// count keys in 1..kMaxKey from a seed (mt19937_64; the same on every platform).
std::vector<int> drawKeys(uint64_t seed, int count);

using Progress = std::function<bool(int done, int total)>;

struct Params {
  std::string modelDir;         // HF folder with tokenizer.model; run() loads it
  Transformer::Options engine;  // device, dtype, threads
  std::vector<int> lengths = {128, 256, 512};
  std::vector<double> depths = {0, 0.5, 1};
  int trials = 10;  // per (length, depth) cell
  uint64_t seed = 1;
  int maxNewTokens = 10;
  // RoPE: a factor set, else explicit params, else the config's.
  std::optional<FactorSet> factorSet;
  std::optional<RopeParams> rope;
  std::string ropeSource = "config";  // recorded in the methodology
  // How the trials run (util/distribute.h): here, in order, unless rope-cli spreads them over
  // the ranks of an MPI job; cells are assembled from the trials in order either way.
  Distribute distribute = runHere;
};

struct Cell {
  int length = 0;
  double depth = 0;          // requested
  double achievedDepth = 0;  // mean over trials of Prompt::depth
  int trials = 0;
  int correct = 0;
  double accuracy = 0;          // correct / trials
  double meanLogprob = 0;       // mean over trials of the per-token key log-probability, nats
  double meanLogprobTotal = 0;  // mean over trials of the key's total log-probability, nats
  std::vector<TrialScore> scores;
};

struct Methodology {
  std::vector<int> lengths;
  std::vector<double> depths;
  int trials = 0;
  uint64_t seed = 0;
  std::vector<int> keys;  // trial t of every cell uses keys[t]
  int maxNewTokens = 0;
  bool bos = false;  // prompts start with BOS
  std::string prompt =
      "LongRoPE passkey: instruction, filler x n, key sentence, filler x m, "
      "question; exact token length";
  std::string scoring =
      "greedy decoding with a key/value cache (one pass over the prompt, one per new token, "
      "RoPE per pass), first integer of the output == key; teacher-forced log-probability of "
      "the key tokens";
  std::string model, architecture, dtype, device;
  int originalMaxPosition = 0;  // the model's pretrained window
  std::string ropeMethod, ropeSource;
};

enum class Status { Ok, Cancelled, Failed };

struct Result {
  bool valid = false;
  Status status = Status::Failed;
  std::string error;
  double elapsedSeconds = 0;
  std::vector<Cell> cells;  // lengths outer, depths inner, in the order given
  Methodology methodology;
};

// Throws InputError for no lengths or depths, a depth outside [0, 1], trials or maxNewTokens
// below 1, or a length shorter than the prompt's fixed parts with the drawn keys (minLength).
void validate(const Params& params, const PromptBuilder& builder);

// Loads the model and its tokenizer.model, then evaluate(). Never throws.
Result run(const Params& params, const Progress& progress = {});

// With a loaded model and tokenizer (params.modelDir is only recorded). The model's RoPE is
// replaced only if params say so, and restored afterwards. Throws InputError for bad params,
// CancelledError when progress says stop.
Result evaluate(Transformer& model, const Tokenizer& tokenizer, const Params& params,
                const Progress& progress = {});

}  // namespace rope::passkey
