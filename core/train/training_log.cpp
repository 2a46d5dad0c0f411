#include "train/training_log.h"

#include <charconv>
#include <optional>
#include <sstream>
#include <string_view>

#include "util/error.h"

namespace rope {
namespace {

// A whole token as a number, as the trainer's printf wrote it in the C locale ("2.3456";
// "nan" or "inf" after a diverged step). A token with more after the number (a decimal comma)
// is no number.
template <typename T>
std::optional<T> number(std::string_view token) {
  T v{};
  const char* end = token.data() + token.size();
  const auto [stop, ec] = std::from_chars(token.data(), end, v);
  if (ec != std::errc() || stop != end) return std::nullopt;
  return v;
}

}  // namespace

TrainingLog parseTrainingLog(const std::string& text, const std::string& source) {
  TrainingLog log;
  std::istringstream lines(text);
  std::string line;
  int lineNumber = 0;
  while (std::getline(lines, line)) {
    ++lineNumber;
    std::istringstream in(line);
    std::vector<std::string> t;
    for (std::string token; in >> token;) t.push_back(token);
    if (t.empty()) continue;
    auto bad = [&] {
      return InputError(source + ": line " + std::to_string(lineNumber) +
                        " is not a training log line: '" + line.substr(0, 80) + "'");
    };
    // "step N loss L lr R" or "step N validation loss L ppl P[ at W tokens: loss L ppl P]..."
    const auto step = t.size() >= 4 && t[0] == "step" ? number<int>(t[1]) : std::nullopt;
    if (!step || *step < 1) throw bad();
    if (t[2] == "loss") {
      const auto loss = number<double>(t[3]);
      if (!loss) throw bad();
      log.training.push_back({*step, *loss});
      continue;
    }
    const auto loss = t.size() >= 5 && t[2] == "validation" && t[3] == "loss" ? number<double>(t[4])
                                                                              : std::nullopt;
    if (!loss) throw bad();
    log.validation.push_back({*step, *loss});
    for (std::size_t i = 5; i + 2 < t.size(); ++i) {
      if (t[i] != "tokens:" || t[i + 1] != "loss") continue;
      const auto window = number<double>(t[i + 2]);
      if (!window) throw bad();
      log.shortValidation.push_back({*step, *window});
    }
  }
  return log;
}

}  // namespace rope
