#include "preset_factory.h"

#include <cmath>
#include <filesystem>
#include <sstream>

#include "io/factor_files.h"
#include "rope/rope_math.h"
#include "util/error.h"

namespace rope {
namespace {

std::string factorText(double s) {
  std::ostringstream out;
  out << s << "x";
  return out.str();
}

int windowOf(const RopeParams& p) {
  return p.originalMaxPosition > 0 ? p.originalMaxPosition : p.maxPosition;
}

}  // namespace

Preset makePreset(const RopeParams& model, const PresetRequest& r) {
  const int window = windowOf(model);
  if (r.targetWindow <= 0) throw InputError("the target window must be positive");
  const double s = static_cast<double>(r.targetWindow) / window;
  // The model's unscaled RoPE with the requested method on top.
  RopeParams p;
  p.headDim = model.headDim;
  p.partialRotaryFactor = model.partialRotaryFactor;
  p.base = model.base;
  p.method = r.method;
  p.originalMaxPosition = window;
  p.maxPosition = r.targetWindow;
  p.factor = s;
  int seqLen = r.targetWindow;
  std::string name = r.name;
  const std::string tag = factorText(s);
  switch (r.method) {
    case RopeMethod::Default:
      p.factor.reset();
      p.maxPosition = window;
      seqLen = window;
      if (name.empty()) name = "original RoPE";
      break;
    case RopeMethod::Linear:
      if (name.empty()) name = "PI " + tag;
      break;
    case RopeMethod::NtkStatic:
      p.alpha = s;
      if (name.empty()) name = "NTK " + tag;
      break;
    case RopeMethod::Dynamic:
      // Dynamic NTK scales relative to max_position_embeddings = the training window.
      p.maxPosition = window;
      seqLen = r.dynamicLength > 0 ? r.dynamicLength : r.targetWindow;
      if (name.empty()) name = "dynamic " + tag + " @" + std::to_string(seqLen);
      break;
    case RopeMethod::Yarn:
      p.betaFast = r.betaFast;
      p.betaSlow = r.betaSlow;
      if (name.empty()) name = "YaRN " + tag;
      break;
    case RopeMethod::Llama3:
      p.lowFreqFactor = r.lowFreqFactor;
      p.highFreqFactor = r.highFreqFactor;
      if (name.empty()) name = "llama3 " + tag;
      break;
    case RopeMethod::LongRope: {
      if (r.longRopeFile.empty()) throw InputError("LongRoPE needs a factor file");
      const FactorSet file = readFactorFile(r.longRopeFile);
      validateFactorSet(file, rotaryDim(model) / 2, false);
      p.factor.reset();
      p.longFactor = file.factors;
      p.shortFactor = file.shortFactors.empty() ? file.factors : file.shortFactors;
      p.layerFactors = file.layerFactors;
      p.nHat = file.nHat;
      p.attentionFactor = file.attentionFactor;
      if (name.empty()) {
        name = "LongRoPE " + std::filesystem::path(r.longRopeFile).stem().string();
      }
      break;
    }
  }
  validateParams(p);
  Preset preset;
  preset.request = r;
  preset.params = p;
  preset.seqLen = seqLen;
  preset.set = presetFactors(preset, name);
  return preset;
}

FactorSet presetFactors(const Preset& preset, const std::string& name) {
  FactorSet set = factorSetFromParams(preset.params, preset.seqLen, name);
  // The set is made for the target window even when the method is evaluated elsewhere.
  set.targetLength =
      preset.params.method == RopeMethod::Dynamic ? preset.seqLen : preset.params.maxPosition;
  return set;
}

std::vector<Preset> standardPresets(const RopeParams& model, double factor) {
  const int target = static_cast<int>(std::lround(windowOf(model) * factor));
  std::vector<Preset> out;
  for (RopeMethod m : {RopeMethod::Linear, RopeMethod::NtkStatic, RopeMethod::Yarn,
                       RopeMethod::Dynamic, RopeMethod::Llama3}) {
    PresetRequest r;
    r.method = m;
    r.targetWindow = target;
    out.push_back(makePreset(model, r));
  }
  return out;
}

}  // namespace rope
