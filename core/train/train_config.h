#pragma once
// What a training run is, apart from its tensors (internal to core/train): the checks of its
// params, the params as recorded in checkpoints and training.json, the config.json it exports
// (a new model's, or an --init model's with the fine-tuning RoPE) and, for fine-tuning, the
// init model's shape. No torch here: trainer.cpp keeps the tensors.

#include <string>
#include <vector>

#include "io/hf_config.h"
#include "io/json_util.h"
#include "train/trainer.h"

namespace rope::train_config {

constexpr double kRmsEps = 1e-5;  // a new model's RMSNorm epsilon

// The params as recorded (checkpoint state, training.json): a resume must match them.
json_util::Json paramsJson(const TrainParams& p);
// The --init folder a fine-tuning run continues, checked: what the trainer can build from it.
// Throws InputError naming what it cannot continue.
ModelConfig initModelConfig(const TrainParams& p);
// The params with an --init model's shape in place of the shape options.
TrainParams resolvedParams(const TrainParams& p);
// The config.json the run exports, whose RoPE is also the one it trains with. notes gets what
// was chosen for the user.
std::string exportConfig(const TrainParams& p, int vocab, std::vector<std::string>* notes);
// Rows of a step's batch given to windows at the original window (TrainParams::shortShare).
int shortRowsPerStep(const TrainParams& p);

}  // namespace rope::train_config
