#pragma once
// The parameters of every RoPE scaling method the workbench knows, with Hugging Face
// transformers' semantics (see docs/formulas.md for the formulas and their sources).

#include <optional>
#include <string>
#include <vector>

namespace rope {

enum class RopeMethod {
  Default,    // plain RoPE
  Linear,     // Position Interpolation: inv_freq / s
  NtkStatic,  // NTK-aware base change with alpha
  Dynamic,    // dynamic NTK: base change that depends on the sequence length
  Yarn,       // YaRN, NTK-by-parts with a ramp between beta_fast and beta_slow
  Llama3,     // Llama 3.1's wavelength-banded interpolation
  LongRope,   // per-pair factors (short/long), Phi-3 "longrope" / legacy "su"
};

// Which length decides between LongRoPE's short and long factors.
enum class LongRopeSwitch {
  SequenceLength,  // Hugging Face: long when max(position)+1 > original window, per forward pass
  ContextLength,   // llama.cpp / vLLM: long when the allocated context (contextLength) > window
  AlwaysLong,
  AlwaysShort,
};

// How LongRoPE derives its attention factor when none is given explicitly.
enum class LongRopeAttention {
  Su,    // sqrt(1 + ln(s) / ln(L)), Phi-3 "longrope"/"su"
  Yarn,  // 0.1 ln(s) + 1, legacy Phi-3 "yarn"
};

struct RopeParams {
  RopeMethod method = RopeMethod::Default;
  int headDim = 64;
  double partialRotaryFactor = 1.0;  // rotary dim = int(headDim * partialRotaryFactor)
  double base = 10000.0;             // rope_theta
  int maxPosition = 2048;            // max_position_embeddings (M)
  int originalMaxPosition = 0;       // original window L; 0 = not given (falls back to maxPosition)

  std::optional<double> factor;      // s for linear, dynamic, yarn, llama3; derived M/L when absent
  double alpha = 1.0;                // static NTK

  // YaRN
  double betaFast = 32.0;
  double betaSlow = 1.0;
  bool truncate = true;
  std::optional<double> mscale;
  std::optional<double> mscaleAllDim;

  // llama3
  double lowFreqFactor = 1.0;
  double highFreqFactor = 4.0;

  // LongRoPE
  std::vector<double> shortFactor;               // rotaryDim/2 values
  std::vector<double> longFactor;                // rotaryDim/2 values
  std::vector<std::vector<double>> layerFactors; // optional layers x rotaryDim/2, replaces longFactor per layer
  LongRopeSwitch switchRule = LongRopeSwitch::SequenceLength;
  int contextLength = 0;                          // for LongRopeSwitch::ContextLength
  LongRopeAttention attentionPolicy = LongRopeAttention::Su;

  // Any method: an explicit attention factor overrides the derived one (yarn, longrope).
  std::optional<double> attentionFactor;
  // LongRoPE paper: the first nHat positions keep the original, unscaled cos/sin.
  int nHat = 0;
};

// "default", "linear", "ntk", "dynamic", "yarn", "llama3", "longrope".
std::string methodName(RopeMethod method);
// Accepts the names above and the config aliases "su" (longrope). Throws InputError.
RopeMethod parseMethod(const std::string& name);
std::string switchRuleName(LongRopeSwitch rule);
LongRopeSwitch parseSwitchRule(const std::string& name);

}  // namespace rope
