#pragma once
// What test_passkey and test_passkey_demo share: rope-cli run in-process, the demo model, and
// greedy decoding the slow way to check scoreTrial against.
#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "eval/passkey.h"
#include "train/demo_assets.h"
#include "util/error.h"

namespace rope::testing {

struct CliRun {
  int code;
  std::string out, err;
};

inline CliRun cliRun(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int code = cli::runCli(args, out, err);
  return {code, out.str(), err.str()};
}

// The demo model folder, or empty when it is not there.
inline std::string demoModel() {
  try {
    return demoModelDir();
  } catch (const InputError&) {
    return {};
  }
}

// Greedy decoding the slow way (one forward pass per new token), for comparison; it stops
// only at EOS or a complete integer, not when the integer can no longer be the key.
inline std::vector<int64_t> naiveGreedy(const passkey::LogitsFn& logits,
                                        const passkey::Codec& codec, std::vector<int64_t> ids,
                                        int maxNew) {
  std::vector<int64_t> gen;
  while (static_cast<int>(gen.size()) < maxNew) {
    const std::vector<float> row = logits(ids, static_cast<int>(ids.size()) - 1);
    const int64_t t = std::max_element(row.begin(), row.begin() + codec.vocab) - row.begin();
    if (t == codec.eos) break;
    gen.push_back(t);
    ids.push_back(t);
    if (passkey::answerComplete(codec.decode(gen))) break;
  }
  return gen;
}

// scoreTrial's decoding against the slow one: the same tokens up to where it stopped (a
// prefix: it also stops once the integer can no longer be the key), and the same verdict.
inline bool decodesAsNaive(const passkey::TrialScore& s, const std::vector<int64_t>& naive,
                           const passkey::Codec& codec, const std::string& key) {
  const bool prefix = s.generated.size() <= naive.size() &&
                      std::equal(s.generated.begin(), s.generated.end(), naive.begin());
  const bool stoppedEarly = s.generated.size() < naive.size();
  return prefix && (!stoppedEarly || passkey::cannotBecome(s.output, key)) &&
         s.correct == (passkey::firstInteger(codec.decode(naive)) == key);
}

}  // namespace rope::testing
