// rope-cli rope: the frequencies, rescale factors and attention factor of a RoPE, from a
// config or from a method's parameters.
#include <iomanip>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/cli_args.h"
#include "io/factor_files.h"
#include "io/hf_config.h"
#include "rope/rope_math.h"

namespace rope::cli {
namespace {

const char* kUsage = R"(usage:
  rope-cli rope --config PATH [--seq-len N] [--rope FILE] [--json]
  rope-cli rope --method default|linear|ntk|dynamic|yarn|llama3|longrope --head-dim D
                [--base B] [--partial-rotary F] [--factor S] [--alpha A]
                [--original-max L] [--max-position M] [--seq-len N]
                [--beta-fast X] [--beta-slow Y] [--no-truncate] [--mscale M] [--mscale-all-dim M]
                [--low-freq-factor X] [--high-freq-factor Y]
                [--factors FILE] [--short-factors FILE] [--switch sequence|context|long|short]
                [--context-length N] [--attention-factor A] [--n-hat N] [--json]

Prints the per-pair inverse frequencies inv_freq_i (rad/token), the rescale factors
lambda_i = base^(-2i/d) / inv_freq_i and the attention factor (which multiplies cos and sin),
computed in double precision with Hugging Face transformers' semantics.

  --config PATH     a config.json or a model folder (both HF spellings)
  --rope FILE       apply a factor file (project JSON, LongRoPE CSV, HF config) to the config
  --seq-len N       length of the forward pass: dynamic NTK and LongRoPE's switch depend on it
  --max-position M  max_position_embeddings (default: --original-max, else 2048)
  --original-max L  original_max_position_embeddings (YaRN, llama3, LongRoPE window)
  --factors FILE    LongRoPE long factors (CSV or project JSON); --short-factors likewise
  --window W        training window for the spectrum (default: the original window)
  --json            one JSON object: method, head_dim, rotary_dim, base, inv_freq, factors,
                    attention_factor, and the spectrum
)";

std::vector<double> factorsFrom(const std::string& path) { return readFactorFile(path).factors; }

RopeParams paramsFromMethod(const Args& a) {
  RopeParams p;
  p.method = parseMethod(a.require("method"));
  p.headDim = a.intValue("head-dim").value_or(0);
  if (!a.has("head-dim")) throw UsageError("--method needs --head-dim");
  p.base = a.doubleValue("base").value_or(10000.0);
  p.partialRotaryFactor = a.doubleValue("partial-rotary").value_or(1.0);
  p.factor = a.doubleValue("factor");
  p.alpha = a.doubleValue("alpha").value_or(p.factor.value_or(1.0));
  p.originalMaxPosition = a.intValue("original-max").value_or(0);
  p.maxPosition = a.intValue("max-position").value_or(
      p.originalMaxPosition > 0 ? p.originalMaxPosition : 2048);
  p.betaFast = a.doubleValue("beta-fast").value_or(32.0);
  p.betaSlow = a.doubleValue("beta-slow").value_or(1.0);
  p.truncate = !a.has("no-truncate");
  p.mscale = a.doubleValue("mscale");
  p.mscaleAllDim = a.doubleValue("mscale-all-dim");
  p.lowFreqFactor = a.doubleValue("low-freq-factor").value_or(1.0);
  p.highFreqFactor = a.doubleValue("high-freq-factor").value_or(4.0);
  p.attentionFactor = a.doubleValue("attention-factor");
  p.nHat = a.intValue("n-hat").value_or(0);
  if (auto rule = a.value("switch")) p.switchRule = parseSwitchRule(*rule);
  p.contextLength = a.intValue("context-length").value_or(0);
  if (p.method == RopeMethod::LongRope) {
    if (!a.has("factors")) throw UsageError("--method longrope needs --factors FILE");
    p.longFactor = factorsFrom(a.require("factors"));
    p.shortFactor = a.has("short-factors") ? factorsFrom(a.require("short-factors")) : p.longFactor;
  }
  return p;
}

nlohmann::ordered_json toJson(const RopeParams& p, const RopeFrequencies& fr, int seqLen,
                              const Spectrum& spectrum) {
  nlohmann::ordered_json j;
  j["method"] = methodName(p.method);
  j["head_dim"] = p.headDim;
  j["rotary_dim"] = rotaryDim(p);
  j["base"] = p.base;
  j["seq_len"] = seqLen;
  j["max_position"] = p.maxPosition;
  j["original_max_position"] = p.originalMaxPosition > 0 ? p.originalMaxPosition : p.maxPosition;
  j["inv_freq"] = fr.invFreq;
  j["factors"] = fr.factors;
  j["attention_factor"] = fr.attentionFactor;
  j["n_hat"] = p.nHat;
  if (p.method == RopeMethod::LongRope) {
    j["long_factors_used"] = fr.longFactorsUsed;
    j["switch"] = switchRuleName(p.switchRule);
  }
  nlohmann::ordered_json s;
  s["window"] = spectrum.window;
  s["critical_pair"] = spectrum.criticalPair;
  s["critical_position"] = spectrum.criticalPosition;
  std::vector<double> wl, ewl, rot;
  for (const auto& ps : spectrum.pairs) {
    wl.push_back(ps.wavelength);
    ewl.push_back(ps.effectiveWavelength);
    rot.push_back(ps.rotationsInWindow);
  }
  s["wavelength"] = wl;
  s["effective_wavelength"] = ewl;
  s["rotations_in_window"] = rot;
  j["spectrum"] = s;
  return j;
}

void printTable(std::ostream& out, const RopeParams& p, const RopeFrequencies& fr,
                const Spectrum& sp) {
  out << "method " << methodName(p.method) << ", rotary dim " << rotaryDim(p) << ", base "
      << p.base << ", attention factor " << std::setprecision(10) << fr.attentionFactor << "\n"
      << "critical pair " << sp.criticalPair << " for a window of " << sp.window << " tokens\n\n"
      << std::setw(5) << "pair" << std::setw(16) << "inv_freq" << std::setw(12) << "lambda"
      << std::setw(16) << "wavelength" << std::setw(16) << "eff. wavelen" << "\n";
  for (const auto& ps : sp.pairs) {
    out << std::setw(5) << ps.pair << std::setw(16) << std::setprecision(8)
        << fr.invFreq[ps.pair] << std::setw(12) << std::setprecision(6) << ps.factor
        << std::setw(16) << std::setprecision(8) << ps.wavelength << std::setw(16)
        << ps.effectiveWavelength << "\n";
  }
}

int run(const std::vector<std::string>& argv, std::ostream& out, std::ostream&) {
  const Args a(argv, {"json", "no-truncate"},
               {"config", "rope", "seq-len", "method", "head-dim", "base", "partial-rotary",
                "factor", "alpha", "original-max", "max-position", "beta-fast", "beta-slow",
                "mscale", "mscale-all-dim", "low-freq-factor", "high-freq-factor", "factors",
                "short-factors", "switch", "context-length", "attention-factor", "n-hat",
                "window"});
  if (!a.positional().empty()) throw UsageError("unexpected argument '" + a.positional()[0] + "'");
  if (a.has("config") == a.has("method")) {
    throw UsageError("give exactly one of --config PATH and --method M");
  }
  RopeParams p;
  if (a.has("config")) {
    p = readRopeParams(a.require("config"));
    if (auto ropeFile = a.value("rope")) p = applyFactorSet(p, readFactorFile(*ropeFile));
  } else {
    if (a.has("rope")) throw UsageError("--rope applies to --config; use --factors with --method");
    p = paramsFromMethod(a);
  }
  const int seqLen = a.intValue("seq-len").value_or(0);
  if (seqLen < 0) throw UsageError("--seq-len must not be negative");
  const RopeFrequencies fr = computeFrequencies(p, seqLen);
  const int window = a.intValue("window").value_or(
      p.originalMaxPosition > 0 ? p.originalMaxPosition : p.maxPosition);
  const Spectrum sp = analyzeSpectrum(p.base, fr, window);
  if (a.has("json")) {
    out << toJson(p, fr, seqLen, sp).dump() << "\n";
  } else {
    printTable(out, p, fr, sp);
  }
  return 0;
}

}  // namespace

Command ropeCommand() {
  return {"rope", "frequencies, rescale factors and attention factor of a RoPE", kUsage, run};
}

}  // namespace rope::cli
