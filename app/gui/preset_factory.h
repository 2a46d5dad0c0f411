#pragma once
// Factor sets made from the core's methods for a target window (factorSetFromParams): the
// presets of the factor editor and the standard comparison at 4x. Plain C++.

#include <optional>
#include <string>
#include <vector>

#include "rope/factor_set.h"
#include "rope/rope_params.h"

namespace rope {

struct PresetRequest {
  RopeMethod method = RopeMethod::Linear;
  int targetWindow = 16384;  // the context the set is made for; s = targetWindow / L
  int dynamicLength = 0;     // dynamic NTK: sequence length it is evaluated at (0: targetWindow)
  double betaFast = 32.0;    // YaRN
  double betaSlow = 1.0;
  double lowFreqFactor = 1.0;  // llama3
  double highFreqFactor = 4.0;
  std::string longRopeFile;  // LongRoPE: a CSV, project JSON or HF config with the factors
  std::string name;          // empty: derived from method and factor
};

struct Preset {
  PresetRequest request;  // what it was made from (sessions store it to remake the preset)
  FactorSet set;
  RopeParams params;  // the method's parameters (for resets and runtime command lines)
  int seqLen = 0;     // the length the set was evaluated at
};

// L = the model's training window (original_max_position_embeddings, else
// max_position_embeddings). Throws InputError for a bad request or file.
Preset makePreset(const RopeParams& model, const PresetRequest& request);

// The set a preset's parameters give again (reset after edits).
FactorSet presetFactors(const Preset& preset, const std::string& name);

// PI, NTK, YaRN, dynamic NTK and llama3 at factor `factor` of the training window.
std::vector<Preset> standardPresets(const RopeParams& model, double factor);

}  // namespace rope
