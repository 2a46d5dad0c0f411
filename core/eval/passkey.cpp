#include "eval/passkey.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>

#include "data/tokenizer.h"
#include "train/passkey_text.h"
#include "util/bytes.h"
#include "util/error.h"
#include "util/guarded_run.h"

namespace rope::passkey {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::vector<int64_t> encodeNonEmpty(const Codec& codec, const std::string& text) {
  std::vector<int64_t> ids = codec.encode(text);
  if (ids.empty()) throw InputError("the tokenizer gives no tokens for \"" + text + "\"");
  return ids;
}

bool startsWith(const std::vector<int64_t>& a, const std::vector<int64_t>& prefix) {
  return a.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), a.begin());
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string keyRangeProblem(int key) {
  return "pass key " + std::to_string(key) + " outside 1.." + std::to_string(kMaxKey);
}

// log-softmax of row at column `target`, in double.
double logProb(const float* row, int64_t width, int64_t target) {
  const float mx = *std::max_element(row, row + width);
  double sum = 0;
  for (int64_t v = 0; v < width; ++v) sum += std::exp(static_cast<double>(row[v] - mx));
  return static_cast<double>(row[target] - mx) - std::log(sum);
}

}  // namespace

Codec codecFor(const Tokenizer& tokenizer) {
  Codec c;
  c.encode = [&tokenizer](const std::string& text) { return tokenizer.encode(text); };
  c.decode = [&tokenizer](const std::vector<int64_t>& ids) { return tokenizer.decode(ids); };
  c.bos = tokenizer.bosId();
  c.eos = tokenizer.eosId();
  c.vocab = tokenizer.vocabSize();
  return c;
}

PromptBuilder::PromptBuilder(Codec codec) : m_codec(std::move(codec)) {
  m_instruction = encodeNonEmpty(m_codec, kInstruction);
  m_filler = encodeNonEmpty(m_codec, kFiller);
  m_question = encodeNonEmpty(m_codec, kQuestion);
}

int PromptBuilder::fixedTokens(int key) const {
  return (m_codec.bos >= 0 ? 1 : 0) + static_cast<int>(m_instruction.size()) +
         static_cast<int>(m_codec.encode(keySentence(key)).size()) +
         static_cast<int>(m_question.size());
}

int PromptBuilder::minLength(const std::vector<int>& keys) const {
  int out = 0;
  for (int key : keys) out = std::max(out, fixedTokens(key));
  return out;
}

Prompt PromptBuilder::build(int length, double depth, int key) const {
  if (key < 1 || key > kMaxKey) throw InputError(keyRangeProblem(key));
  if (!(depth >= 0 && depth <= 1)) {
    throw InputError("passkey depth " + number(depth) + " outside [0, 1]");
  }
  const std::vector<int64_t> keyIds = encodeNonEmpty(m_codec, keySentence(key));
  const int fixed = fixedTokens(key);
  if (length < fixed) {
    throw InputError("passkey length " + std::to_string(length) +
                     " is shorter than the prompt's "
                     "fixed parts (" +
                     std::to_string(fixed) + " tokens: BOS, instruction, key sentence, question)");
  }
  // The filler runs are token streams of the repeated sentence, cut where the length says
  // (the reference cuts its filler text by characters the same way).
  const int filler = length - fixed;
  const int sentence = static_cast<int>(m_filler.size());
  const int before = std::clamp(static_cast<int>(std::lround(depth * filler)), 0, filler);

  Prompt p;
  p.key = key;
  p.keyTokens = static_cast<int>(keyIds.size());
  p.fillerTokens = filler;
  p.fillerBefore = before;
  p.depth = filler > 0 ? static_cast<double>(p.fillerBefore) / filler : depth;
  p.ids.reserve(length);
  if (m_codec.bos >= 0) p.ids.push_back(m_codec.bos);
  p.ids.insert(p.ids.end(), m_instruction.begin(), m_instruction.end());
  for (int i = 0; i < before; ++i) p.ids.push_back(m_filler[i % sentence]);
  p.keyStart = static_cast<int>(p.ids.size());
  p.ids.insert(p.ids.end(), keyIds.begin(), keyIds.end());
  for (int i = 0; i < filler - p.fillerBefore; ++i) p.ids.push_back(m_filler[i % sentence]);
  p.ids.insert(p.ids.end(), m_question.begin(), m_question.end());

  p.answer = answerTokens(key);
  return p;
}

std::vector<int64_t> PromptBuilder::answerTokens(int key) const {
  // The key as it follows the question in text ("... is 4501"), so its tokens are the ones
  // the model was shown.
  return tokensAfter(kQuestion, m_question, " " + std::to_string(key));
}

std::vector<int64_t> PromptBuilder::answerEnding(int key) const {
  const std::string answered = std::string(kQuestion) + " " + std::to_string(key);
  return tokensAfter(answered, m_codec.encode(answered), ".");
}

std::vector<int64_t> PromptBuilder::tokensAfter(const std::string& head,
                                                const std::vector<int64_t>& headIds,
                                                const std::string& tail) const {
  const std::vector<int64_t> joined = m_codec.encode(head + tail);
  if (startsWith(joined, headIds) && joined.size() > headIds.size()) {
    return std::vector<int64_t>(joined.begin() + static_cast<std::ptrdiff_t>(headIds.size()),
                                joined.end());
  }
  // A tokenizer that merges across the boundary: the tail alone (without a leading space).
  const size_t start = tail.find_first_not_of(' ');
  return encodeNonEmpty(m_codec, tail.substr(start == std::string::npos ? 0 : start));
}

int PromptBuilder::needleMinLength(int key) const {
  return static_cast<int>(encodeNonEmpty(m_codec, keySentence(key)).size() + m_question.size() +
                          answerTokens(key).size()) +
         1;
}

Prompt PromptBuilder::needle(const std::vector<int64_t>& document, int length, double depth,
                             int key) const {
  if (key < 1 || key > kMaxKey) throw InputError(keyRangeProblem(key));
  if (!(depth >= 0 && depth <= 1)) {
    throw InputError("needle depth " + number(depth) + " outside [0, 1]");
  }
  const std::vector<int64_t> keyIds = encodeNonEmpty(m_codec, keySentence(key));
  Prompt p;
  p.key = key;
  p.answer = answerTokens(key);
  p.keyTokens = static_cast<int>(keyIds.size());
  const int fixed = p.keyTokens + static_cast<int>(m_question.size() + p.answer.size());
  const int haystack = length - fixed;
  if (haystack < 1) {
    throw InputError("needle length " + std::to_string(length) + " leaves no document token (" +
                     std::to_string(fixed) + " tokens: key sentence, question, answer)");
  }
  if (static_cast<int>(document.size()) < haystack) {
    throw InputError("a needle sample of " + std::to_string(length) +
                     " tokens needs a document of " + std::to_string(haystack) +
                     " tokens, this one has " + std::to_string(document.size()));
  }
  // Depth 0 still keeps the document's first token (BOS) in front.
  const int before = std::clamp(static_cast<int>(std::lround(depth * haystack)), 1, haystack);
  p.fillerTokens = haystack;
  p.fillerBefore = before;
  p.depth = static_cast<double>(before) / haystack;
  p.ids.reserve(length);
  p.ids.assign(document.begin(), document.begin() + before);
  p.keyStart = before;
  p.ids.insert(p.ids.end(), keyIds.begin(), keyIds.end());
  p.ids.insert(p.ids.end(), document.begin() + before, document.begin() + haystack);
  p.ids.insert(p.ids.end(), m_question.begin(), m_question.end());
  return p;
}

std::string firstInteger(const std::string& text) {
  const auto begin = std::find_if(text.begin(), text.end(), isDigit);
  if (begin == text.end()) return {};
  const auto end = std::find_if_not(begin, text.end(), isDigit);
  const auto nonZero = std::find_if(begin, end, [](char c) { return c != '0'; });
  return nonZero == end ? std::string("0") : std::string(nonZero, end);
}

bool answerComplete(const std::string& text) {
  const auto begin = std::find_if(text.begin(), text.end(), isDigit);
  return begin != text.end() && std::find_if_not(begin, text.end(), isDigit) != text.end();
}

bool cannotBecome(const std::string& text, const std::string& key) {
  const auto begin = std::find_if(text.begin(), text.end(), isDigit);
  const auto end = std::find_if_not(begin, text.end(), isDigit);
  // firstInteger's leading zeros do not count: "007" may still become "7123".
  const std::string digits(std::find_if(begin, end, [](char c) { return c != '0'; }), end);
  return digits.size() > key.size() || key.compare(0, digits.size(), digits) != 0;
}

Decoder cachedDecoder(Transformer& model) {
  return {[&model](const std::vector<int64_t>& ids, int firstRow) {
            return model.append(ids, firstRow);
          },
          [&model](int64_t keep) { model.truncateCache(keep); }};
}

Decoder recomputingDecoder(LogitsFn logits) {
  auto sequence = std::make_shared<std::vector<int64_t>>();
  return {[logits, sequence](const std::vector<int64_t>& ids, int firstRow) {
            const int before = static_cast<int>(sequence->size());
            sequence->insert(sequence->end(), ids.begin(), ids.end());
            return logits(*sequence, before + firstRow);
          },
          [sequence](int64_t keep) {
            if (keep < static_cast<int64_t>(sequence->size())) sequence->resize(keep);
          }};
}

TrialScore scoreTrial(const Decoder& model, const Codec& codec, const Prompt& prompt,
                      int maxNewTokens, const std::function<bool()>& keepGoing) {
  if (prompt.ids.empty() || prompt.answer.empty()) throw InputError("empty passkey prompt");
  const int L = static_cast<int>(prompt.ids.size());
  const int A = static_cast<int>(prompt.answer.size());
  TrialScore s;
  s.key = prompt.key;
  s.answerTokens = A;
  auto pass = [&](const std::vector<int64_t>& ids, int firstRow) {
    if (s.forwardPasses > 0 && keepGoing && !keepGoing()) throw CancelledError();
    ++s.forwardPasses;
    return model.append(ids, firstRow);
  };

  // Teacher forcing, as generate() would feed the key: the prompt's last row, then one pass per
  // key token; forced row j sees answer[0..j).
  model.truncate(0);
  std::vector<float> forced = pass(prompt.ids, L - 1);
  const int64_t width = static_cast<int64_t>(forced.size());
  if (width == 0) throw InputError("no logits for the prompt's last row");
  for (int j = 0; j < A; ++j) {
    const std::vector<float> row = pass({prompt.answer[j]}, 0);
    if (static_cast<int64_t>(row.size()) != width) {
      throw InputError("logits of " + std::to_string(row.size()) + " values for one row of " +
                       std::to_string(width));
    }
    forced.insert(forced.end(), row.begin(), row.end());
  }
  for (int j = 0; j < A; ++j) {
    if (prompt.answer[j] < 0 || prompt.answer[j] >= width) {
      throw InputError("answer token " + std::to_string(prompt.answer[j]) + " outside the " +
                       std::to_string(width) + "-column logits");
    }
    s.logprob += logProb(forced.data() + j * width, width, prompt.answer[j]);
  }
  s.logprobPerToken = s.logprob / A;

  // Greedy decoding; while it follows the answer, the forced rows are its logits. Once it
  // leaves the answer, the sequence goes back to the prompt and the agreeing tokens, and each
  // new token gets its pass.
  const int64_t argmaxWidth = codec.vocab > 0 ? std::min<int64_t>(width, codec.vocab) : width;
  bool onAnswer = true, rewound = false;
  std::vector<float> fresh;
  const std::string keyText = std::to_string(prompt.key);
  while (static_cast<int>(s.generated.size()) < maxNewTokens) {
    const int j = static_cast<int>(s.generated.size());
    const float* row;
    if (onAnswer && j <= A) {
      row = forced.data() + j * width;
    } else {
      // j >= 1 here, and generated[0..j-1) agree with the answer.
      if (!rewound) model.truncate(L + j - 1);
      rewound = true;
      fresh = pass({s.generated.back()}, 0);
      if (static_cast<int64_t>(fresh.size()) != width) {
        throw InputError("logits of " + std::to_string(fresh.size()) + " values for one row of " +
                         std::to_string(width));
      }
      row = fresh.data();
    }
    const int64_t token = std::max_element(row, row + argmaxWidth) - row;
    onAnswer = onAnswer && j < A && token == prompt.answer[j];
    if (token == codec.eos && codec.eos >= 0) break;
    s.generated.push_back(token);
    s.output = codec.decode(s.generated);
    // Stop once the outcome is settled: the first integer is complete, or already not the key.
    if (answerComplete(s.output) || cannotBecome(s.output, keyText)) break;
  }
  s.correct = firstInteger(s.output) == keyText;
  return s;
}

std::vector<int> drawKeys(uint64_t seed, int count) {
  std::mt19937_64 rng(seed);
  std::vector<int> keys;
  for (int i = 0; i < count; ++i) keys.push_back(1 + static_cast<int>(rng() % kMaxKey));
  return keys;
}

void validate(const Params& p, const PromptBuilder& builder) {
  if (p.lengths.empty()) throw InputError("no passkey lengths given");
  if (p.depths.empty()) throw InputError("no passkey depths given");
  for (double d : p.depths) {
    if (!(d >= 0 && d <= 1)) {
      throw InputError("passkey depth " + number(d) +
                       " outside [0, 1] (0: right after the instruction, 1: right before the "
                       "question)");
    }
  }
  if (p.trials < 1) throw InputError("trials must be at least 1, got " + std::to_string(p.trials));
  if (p.maxNewTokens < 1) {
    throw InputError("max new tokens must be at least 1, got " + std::to_string(p.maxNewTokens));
  }
  const int minLength = builder.minLength(drawKeys(p.seed, p.trials));
  for (int len : p.lengths) {
    if (len < minLength) {
      throw InputError("passkey length " + std::to_string(len) +
                       " is shorter than the prompt's fixed parts (" + std::to_string(minLength) +
                       " tokens: BOS, instruction, key sentence, question); use at least " +
                       std::to_string(minLength));
    }
  }
}

Result evaluate(Transformer& model, const Tokenizer& tokenizer, const Params& p,
                const Progress& progress) {
  const auto t0 = Clock::now();
  const PromptBuilder builder(codecFor(tokenizer));
  validate(p, builder);
  const RopeRestore restore(model, p.factorSet, p.rope);

  Result r;
  Methodology& m = r.methodology;
  m.lengths = p.lengths;
  m.depths = p.depths;
  m.trials = p.trials;
  m.seed = p.seed;
  m.keys = drawKeys(p.seed, p.trials);
  m.maxNewTokens = p.maxNewTokens;
  m.bos = builder.codec().bos >= 0;
  m.model = p.modelDir;
  m.architecture = model.config().architecture;
  m.dtype = computeDTypeName(model.options().dtype);
  m.device = model.options().device;
  m.originalMaxPosition = model.config().rope.originalMaxPosition > 0
                              ? model.config().rope.originalMaxPosition
                              : model.config().rope.maxPosition;
  m.ropeMethod = methodName(model.rope().method);
  m.ropeSource = p.ropeSource;

  const Decoder decoder = cachedDecoder(model);
  // The cache's memory goes when the trials end, however they end.
  struct CacheRelease {
    Transformer& model;
    ~CacheRelease() { model.truncateCache(0); }
  } release{model};
  // Trial i: length i / (depths x trials), depth (i / trials) % depths, key i % trials; each
  // comes back as bytes (its TrialScore and the prompt's achieved depth).
  const int trials = p.trials;
  const int cells = static_cast<int>(p.lengths.size() * p.depths.size());
  const int total = cells * trials;
  // Set by progress, read by the tasks, which may run on another thread (cluster farms).
  std::atomic<bool> cancelled = false;
  std::atomic<int> done = 0;
  const TaskFn trial = [&](int i) {
    if (cancelled) throw CancelledError();
    const int cell = i / trials;
    const Prompt prompt = builder.build(p.lengths[cell / p.depths.size()],
                                        p.depths[cell % p.depths.size()], m.keys[i % trials]);
    const TrialScore s = scoreTrial(decoder, builder.codec(), prompt, p.maxNewTokens,
                                    [&] { return !progress || progress(done.load(), total); });
    return ByteWriter()
        .put(prompt.depth)
        .put<int32_t>(s.key)
        .put<int8_t>(s.correct ? 1 : 0)
        .put(s.output)
        .put(s.generated)
        .put(s.logprob)
        .put(s.logprobPerToken)
        .put<int32_t>(s.answerTokens)
        .put<int32_t>(s.forwardPasses)
        .take();
  };
  const std::vector<std::string> scores =
      (p.distribute ? p.distribute : runHere)(total, trial, [&](int n) {
        done = n;
        cancelled = progress && !progress(n, total);
      });
  if (cancelled) throw CancelledError();
  for (int cell = 0; cell < cells; ++cell) {
    Cell c;
    c.length = p.lengths[cell / p.depths.size()];
    c.depth = p.depths[cell % p.depths.size()];
    for (int t = 0; t < trials; ++t) {
      ByteReader in(scores[cell * trials + t]);
      c.achievedDepth += in.get<double>();
      TrialScore s;
      s.key = in.get<int32_t>();
      s.correct = in.get<int8_t>() != 0;
      s.output = in.getString();
      s.generated = in.getVector<int64_t>();
      s.logprob = in.get<double>();
      s.logprobPerToken = in.get<double>();
      s.answerTokens = in.get<int32_t>();
      s.forwardPasses = in.get<int32_t>();
      c.correct += s.correct ? 1 : 0;
      c.meanLogprob += s.logprobPerToken;
      c.meanLogprobTotal += s.logprob;
      c.scores.push_back(std::move(s));
      ++c.trials;
    }
    c.accuracy = static_cast<double>(c.correct) / c.trials;
    c.meanLogprob /= c.trials;
    c.meanLogprobTotal /= c.trials;
    c.achievedDepth /= c.trials;
    r.cells.push_back(std::move(c));
  }
  r.valid = true;
  r.status = Status::Ok;
  r.elapsedSeconds = secondsSince(t0);
  return r;
}

Result run(const Params& p, const Progress& progress) {
  return guardedRun<Result>([&] {
    const std::string tokenizerPath = Tokenizer::modelTokenizerPath(p.modelDir);
    if (!std::filesystem::is_regular_file(tokenizerPath)) {
      throw InputError("no tokenizer.json or tokenizer.model in " + p.modelDir +
                       ": the passkey test builds its prompts with the model's tokenizer");
    }
    const Tokenizer tokenizer(tokenizerPath);
    Transformer model(p.modelDir, p.engine);
    return evaluate(model, tokenizer, p, progress);
  });
}

}  // namespace rope::passkey
