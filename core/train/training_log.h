#pragma once
// The trainer's log read back: training_log.txt of an exported model, or the "log" of an
// interrupted run's state.json (up to its last checkpoint). The trainer writes one line per
// step, "step N loss L lr R", and one per validation, "step N validation loss L ppl P" and,
// when it trains them, the short windows' and the passkey snippets' figures after it.

#include <string>
#include <vector>

namespace rope {

struct LossPoint {
  int step = 0;
  double loss = 0;  // nats per token
};

struct TrainingLog {
  std::vector<LossPoint> training;    // every step, in order
  std::vector<LossPoint> validation;  // every validation, in order
  // Nats per token at the original window, per validation (empty when none were trained).
  std::vector<LossPoint> shortValidation;
};

// Losses as written, a diverged step's "nan" or "inf" included (views skip them). Throws
// InputError naming source and the line for a line that is not the trainer's (numbers in the
// C locale's notation: "2,3456" is refused, not read as 2).
TrainingLog parseTrainingLog(const std::string& text, const std::string& source);

}  // namespace rope
