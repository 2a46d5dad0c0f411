#include "runtime_options.h"

#include <cmath>
#include <sstream>

#include "rope/rope_math.h"

namespace rope {
namespace {

std::string num(double v) {
  std::ostringstream s;
  s.precision(10);
  s << v;
  return s.str();
}

std::string list(const std::vector<double>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + num(v[i]);
  return out + "]";
}

// vllm serve's --hf-overrides replaces config.json keys; max_model_len bounds the context.
std::string vllmCommand(const std::string& ropeScaling, int target) {
  return "vllm serve MODEL --max-model-len " + std::to_string(target) +
         " --hf-overrides '{\"rope_scaling\": " + ropeScaling +
         ", \"max_position_embeddings\": " + std::to_string(target) + "}'";
}

}  // namespace

RuntimeOptions runtimeOptions(const RopeParams& model, const FactorSet& set,
                              const std::optional<RopeParams>& method) {
  RuntimeOptions out;
  const int window = model.originalMaxPosition > 0 ? model.originalMaxPosition : model.maxPosition;
  const int target = set.targetLength > 0 ? set.targetLength : model.maxPosition;
  const std::string ctx = "llama-cli -m MODEL.gguf -c " + std::to_string(target);
  if (!method) {
    out.notes.push_back(
        "llama.cpp reads per-pair factors only from the GGUF (tensors rope_factors_long.weight / "
        "rope_factors_short.weight), not from the command line.");
    std::string block =
        "{\"rope_type\": \"longrope\", \"original_max_position_embeddings\": " +
        std::to_string(window) + ", \"long_factor\": " + list(set.factors) +
        ", \"short_factor\": " + list(set.shortFactors.empty() ? set.factors : set.shortFactors);
    if (set.attentionFactor) block += ", \"attention_factor\": " + num(*set.attentionFactor);
    out.vllm = vllmCommand(block + "}", target);
    if (set.nHat > 0) out.notes.push_back("n_hat is not expressible in vLLM or llama.cpp.");
    return out;
  }
  const RopeParams& p = *method;
  const double s = p.factor.value_or(1.0);
  const int d = rotaryDim(p);
  switch (p.method) {
    case RopeMethod::Default:
      out.llamaCpp = ctx;
      out.vllm = "vllm serve MODEL --max-model-len " + std::to_string(window);
      break;
    case RopeMethod::Linear:
      out.llamaCpp = ctx + " --rope-scaling linear --rope-scale " + num(s);
      out.vllm = vllmCommand("{\"rope_type\": \"linear\", \"factor\": " + num(s) + "}", target);
      break;
    case RopeMethod::NtkStatic: {
      const double base = p.base * std::pow(p.alpha, static_cast<double>(d) / (d - 2));
      out.llamaCpp = ctx + " --rope-freq-base " + num(base);
      out.vllm = "vllm serve MODEL --max-model-len " + std::to_string(target) +
                 " --hf-overrides '{\"rope_theta\": " + num(base) +
                 ", \"max_position_embeddings\": " + std::to_string(target) + "}'";
      out.notes.push_back("static NTK is a change of base: b' = b * alpha^(d/(d-2)) = " +
                          num(base));
      break;
    }
    case RopeMethod::Dynamic: {
      const double n = std::max(set.targetLength, p.maxPosition);
      const double base =
          p.base * std::pow(s * n / p.maxPosition - (s - 1), static_cast<double>(d) / (d - 2));
      out.llamaCpp = ctx + " --rope-freq-base " + num(base);
      out.notes.push_back(
          "llama.cpp has no dynamic NTK; --rope-freq-base gives its base at length " +
          std::to_string(set.targetLength) + " for every length.");
      out.vllm =
          vllmCommand("{\"rope_type\": \"dynamic\", \"factor\": " + num(s) + "}", set.targetLength);
      break;
    }
    case RopeMethod::Yarn:
      out.llamaCpp = ctx + " --rope-scaling yarn --rope-scale " + num(s) + " --yarn-orig-ctx " +
                     std::to_string(window) + " --yarn-beta-fast " + num(p.betaFast) +
                     " --yarn-beta-slow " + num(p.betaSlow);
      out.vllm = vllmCommand(
          "{\"rope_type\": \"yarn\", \"factor\": " + num(s) +
              ", \"original_max_position_embeddings\": " + std::to_string(window) +
              ", \"beta_fast\": " + num(p.betaFast) + ", \"beta_slow\": " + num(p.betaSlow) + "}",
          target);
      break;
    case RopeMethod::Llama3:
      out.notes.push_back(
          "llama.cpp applies llama3 scaling from the GGUF's rope_freqs tensor (written by "
          "convert_hf_to_gguf.py from config.json), not from command-line options.");
      out.vllm =
          vllmCommand("{\"rope_type\": \"llama3\", \"factor\": " + num(s) +
                          ", \"low_freq_factor\": " + num(p.lowFreqFactor) +
                          ", \"high_freq_factor\": " + num(p.highFreqFactor) +
                          ", \"original_max_position_embeddings\": " + std::to_string(window) + "}",
                      target);
      break;
    case RopeMethod::LongRope:
      return runtimeOptions(model, set, std::nullopt);
  }
  return out;
}

}  // namespace rope
