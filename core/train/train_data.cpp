#include "train/train_data.h"

#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "data/tokenizer.h"
#include "eval/passkey.h"
#include "util/error.h"

extern char** environ;

namespace rope {
namespace {

// A key in 1..kMaxKey whose digit count is uniform first (1 to kMaxKey's), then the key
// uniform among the keys of that many digits.
int keyOfRandomLength(std::mt19937_64& rng) {
  const int maxDigits = static_cast<int>(std::to_string(passkey::kMaxKey).size());
  const int digits = 1 + static_cast<int>(rng() % static_cast<uint64_t>(maxDigits));
  int lo = 1;
  for (int d = 1; d < digits; ++d) lo *= 10;
  const int hi = std::min(lo * 10 - 1, passkey::kMaxKey);
  return lo + static_cast<int>(rng() % static_cast<uint64_t>(hi - lo + 1));
}

}  // namespace

std::string trainTokenizer(const std::vector<std::string>& files, const std::string& prefix,
                           int vocabSize) {
  if (files.empty()) throw InputError("no training documents for the tokenizer");
  std::string input;
  for (const auto& f : files) input += (input.empty() ? "" : ",") + f;
  std::vector<std::string> args = {"spm_train",
                                   "--input=" + input,
                                   "--model_prefix=" + prefix,
                                   "--vocab_size=" + std::to_string(vocabSize),
                                   "--model_type=unigram",
                                   "--character_coverage=1.0",
                                   "--split_digits=true",
                                   "--user_defined_symbols=0,1,2,3,4,5,6,7,8,9",
                                   "--unk_id=0",
                                   "--bos_id=1",
                                   "--eos_id=2",
                                   "--pad_id=-1",
                                   "--max_sentence_length=32768",
                                   "--input_sentence_size=0",
                                   "--shuffle_input_sentence=false",
                                   "--num_threads=1",
                                   "--minloglevel=2",
                                   "--hard_vocab_limit=false"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawnp(&pid, "spm_train", nullptr, nullptr, argv.data(), environ) != 0) {
    throw InputError("cannot run spm_train (Debian package sentencepiece; scripts/setup.sh)");
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw InputError("spm_train failed to train a " + std::to_string(vocabSize) +
                     "-piece tokenizer (a corpus too small for the vocabulary?)");
  }
  return prefix + ".model";
}

WindowSampler::WindowSampler(std::vector<std::vector<int64_t>> docs, const Tokenizer& tokenizer,
                             int context, double passkeyShare, double needleShare,
                             bool keysByLength)
    : m_docs(std::move(docs)),
      m_tokenizer(tokenizer),
      m_context(context),
      m_passkeyShare(passkeyShare),
      m_needleShare(needleShare),
      m_keysByLength(keysByLength) {
  for (const auto& d : m_docs) {
    m_total += std::max<int64_t>(0, static_cast<int64_t>(d.size()) - context);
    m_cumulative.push_back(m_total);
  }
  if (m_total == 0) {
    throw InputError("no document is longer than the window (" + std::to_string(context + 1) +
                     " tokens); use a smaller --context or a larger corpus");
  }
  m_prompts = std::make_unique<passkey::PromptBuilder>(passkey::codecFor(m_tokenizer));
  if (m_passkeyShare > 0 && !passkeyFits()) {
    const auto [fixed, answer] =
        snippetTokens(passkey::kMaxKey, m_prompts->answerEnding(passkey::kMaxKey));
    throw InputError("a passkey snippet needs at least " + std::to_string(fixed + answer) +
                     " tokens, the window has " + std::to_string(context + 1) +
                     "; use a larger --context or --passkey-share 0");
  }
}

bool WindowSampler::passkeyFits() const {
  // Keys of five digits have the longest key sentences and answers.
  const auto [fixed, answer] =
      snippetTokens(passkey::kMaxKey, m_prompts->answerEnding(passkey::kMaxKey));
  return fixed + answer <= m_context + 1;
}

std::pair<int, int> WindowSampler::snippetTokens(int key,
                                                 const std::vector<int64_t>& ending) const {
  const int fixed = m_prompts->minLength({key});
  return {fixed, static_cast<int>(m_prompts->answerTokens(key).size() + ending.size())};
}

WindowSampler::~WindowSampler() = default;

std::vector<int64_t> WindowSampler::corpusWindow(std::mt19937_64& rng, int length) const {
  const int64_t r = static_cast<int64_t>(rng() % static_cast<uint64_t>(m_total));
  const size_t doc =
      std::upper_bound(m_cumulative.begin(), m_cumulative.end(), r) - m_cumulative.begin();
  const int64_t start = r - (doc == 0 ? 0 : m_cumulative[doc - 1]);
  const auto& d = m_docs[doc];
  return std::vector<int64_t>(d.begin() + start, d.begin() + start + length);
}

std::vector<int64_t> WindowSampler::sample(std::mt19937_64& rng) const {
  const double u = (rng() >> 11) * (1.0 / 9007199254740992.0);
  if (u < m_passkeyShare) return passkeyWindow(rng);
  return corpusWindow(rng, m_context + 1);
}

PasskeySnippet WindowSampler::passkeySnippet(std::mt19937_64& rng) const {
  const int window = m_context + 1;
  const int key = m_keysByLength ? keyOfRandomLength(rng)
                                 : 1 + static_cast<int>(rng() % passkey::kMaxKey);
  // The answer ends as the key sentence ends ("."), then corpus text follows.
  const std::vector<int64_t> ending = m_prompts->answerEnding(key);
  const auto [fixed, answer] = snippetTokens(key, ending);
  const int longest = window - answer;
  if (longest < fixed) {
    throw InputError("a passkey snippet needs " + std::to_string(fixed + answer) +
                     " tokens, the window has " + std::to_string(window));
  }
  // Needles end with the answer; they may take what the ending leaves (at least their
  // shortest: the instruction prompt that fits above is longer than a needle).
  const int room = window - static_cast<int>(ending.size());
  auto uniform = [&rng] { return (rng() >> 11) * (1.0 / 9007199254740992.0); };
  passkey::Prompt prompt;
  // (No draw decides the kind when there are no needles: the snippets of a run without them
  // stay what they were.)
  if (m_needleShare > 0 && uniform() < m_needleShare) {
    // A needle in corpus text (PromptBuilder::needle): no instruction, so the key can lie
    // anywhere from next to the question to the far end of the window.
    const double depth = uniform();
    const int shortest = m_prompts->needleMinLength(key);
    const int length =
        shortest + static_cast<int>(rng() % static_cast<uint64_t>(room - shortest + 1));
    prompt = m_prompts->needle(corpusWindow(rng, window), length, depth, key);
  } else {
    // The test's own prompt: instruction and filler, of a random length that fits.
    const int length = fixed + static_cast<int>(rng() % static_cast<uint64_t>(longest - fixed + 1));
    const double depth = uniform();
    prompt = m_prompts->build(length, depth, key);
  }
  PasskeySnippet out;
  out.ids = prompt.ids;
  out.answerStart = static_cast<int>(out.ids.size());
  out.answerTokens = static_cast<int>(prompt.answer.size());
  out.ids.insert(out.ids.end(), prompt.answer.begin(), prompt.answer.end());
  out.ids.insert(out.ids.end(), ending.begin(), ending.end());
  const int rest = window - static_cast<int>(out.ids.size());
  if (rest > 0) {
    const std::vector<int64_t> tail = corpusWindow(rng, rest);
    out.ids.insert(out.ids.end(), tail.begin(), tail.end());
  }
  return out;
}

std::vector<std::vector<int64_t>> WindowSampler::fixedWindows(int count) const {
  std::vector<std::vector<int64_t>> out;
  const int window = m_context + 1;
  for (size_t pass = 0; static_cast<int>(out.size()) < count && pass < 1000; ++pass) {
    bool any = false;
    for (const auto& d : m_docs) {
      const size_t start = pass * window;
      if (start + window > d.size()) continue;
      any = true;
      out.emplace_back(d.begin() + start, d.begin() + start + window);
      if (static_cast<int>(out.size()) == count) break;
    }
    if (!any) break;
  }
  return out;
}

}  // namespace rope
