#include "train/train_data.h"

#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "data/tokenizer.h"
#include "train/passkey_text.h"
#include "util/error.h"

extern char** environ;

namespace rope {

std::string trainTokenizer(const std::vector<std::string>& files, const std::string& prefix,
                           int vocabSize) {
  if (files.empty()) throw InputError("no training documents for the tokenizer");
  std::string input;
  for (const auto& f : files) input += (input.empty() ? "" : ",") + f;
  std::vector<std::string> args = {
      "spm_train", "--input=" + input, "--model_prefix=" + prefix,
      "--vocab_size=" + std::to_string(vocabSize), "--model_type=unigram",
      "--character_coverage=1.0", "--split_digits=true",
      "--user_defined_symbols=0,1,2,3,4,5,6,7,8,9", "--unk_id=0", "--bos_id=1", "--eos_id=2",
      "--pad_id=-1", "--max_sentence_length=32768", "--input_sentence_size=0",
      "--shuffle_input_sentence=false", "--num_threads=1", "--minloglevel=2",
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
                             int context, double passkeyShare)
    : m_docs(std::move(docs)), m_tokenizer(tokenizer), m_context(context),
      m_passkeyShare(passkeyShare) {
  for (const auto& d : m_docs) {
    m_total += std::max<int64_t>(0, static_cast<int64_t>(d.size()) - context);
    m_cumulative.push_back(m_total);
  }
  if (m_total == 0) {
    throw InputError("no document is longer than the window (" + std::to_string(context + 1) +
                     " tokens); use a smaller --context or a larger corpus");
  }
}

std::vector<int64_t> WindowSampler::corpusWindow(std::mt19937_64& rng, int length) const {
  const int64_t r = static_cast<int64_t>(rng() % static_cast<uint64_t>(m_total));
  const size_t doc = std::upper_bound(m_cumulative.begin(), m_cumulative.end(), r) -
                     m_cumulative.begin();
  const int64_t start = r - (doc == 0 ? 0 : m_cumulative[doc - 1]);
  const auto& d = m_docs[doc];
  return std::vector<int64_t>(d.begin() + start, d.begin() + start + length);
}

std::vector<int64_t> WindowSampler::sample(std::mt19937_64& rng) const {
  const double u = (rng() >> 11) * (1.0 / 9007199254740992.0);
  if (u < m_passkeyShare) return passkeyWindow(rng);
  return corpusWindow(rng, m_context + 1);
}

std::vector<int64_t> WindowSampler::passkeyWindow(std::mt19937_64& rng) const {
  const int window = m_context + 1;
  const int key = 1 + static_cast<int>(rng() % 50000);
  int before = static_cast<int>(rng() % 4);
  int after = static_cast<int>(rng() % 4);
  std::vector<int64_t> ids;
  for (;;) {
    std::string text = std::string(passkey::kInstruction);
    for (int i = 0; i < before; ++i) text += std::string(" ") + passkey::kFiller;
    text += " " + passkey::keySentence(key);
    for (int i = 0; i < after; ++i) text += std::string(" ") + passkey::kFiller;
    text += std::string(" ") + passkey::kQuestion + " " + std::to_string(key) + ".";
    ids = m_tokenizer.encode(text);
    if (static_cast<int>(ids.size()) <= window || (before == 0 && after == 0)) break;
    (before >= after ? before : after) -= 1;
  }
  if (static_cast<int>(ids.size()) > window) {
    ids.erase(ids.begin(), ids.end() - window);  // keep the question and the key
    return ids;
  }
  std::vector<int64_t> out = corpusWindow(rng, window - static_cast<int>(ids.size()));
  out.insert(out.end(), ids.begin(), ids.end());
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
