#include "train/training_log.h"

#include <cmath>
#include <sstream>

#include "util/error.h"

namespace rope {

TrainingLog parseTrainingLog(const std::string& text, const std::string& source) {
  TrainingLog log;
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (line.empty()) continue;
    auto bad = [&] {
      return InputError(source + ": line " + std::to_string(number) +
                        " is not a training log line: '" + line.substr(0, 80) + "'");
    };
    std::istringstream in(line);
    std::string word, kind;
    LossPoint p;
    if (!(in >> word >> p.step >> kind) || word != "step" || p.step < 1) throw bad();
    if (kind == "loss") {
      if (!(in >> p.loss) || !std::isfinite(p.loss)) throw bad();
      log.training.push_back(p);
      continue;
    }
    // "validation loss L ppl P[ at W tokens: loss L ppl P][ passkey ...]"
    if (kind != "validation" || !(in >> word >> p.loss) || word != "loss" ||
        !std::isfinite(p.loss)) {
      throw bad();
    }
    log.validation.push_back(p);
    const std::size_t at = line.find(" tokens: loss ");
    if (at != std::string::npos) {
      LossPoint s{p.step, 0};
      std::istringstream rest(line.substr(at + 14));
      if (!(rest >> s.loss) || !std::isfinite(s.loss)) throw bad();
      log.shortValidation.push_back(s);
    }
  }
  return log;
}

}  // namespace rope
