#include "cli/rope_options.h"

#include "io/factor_files.h"
#include "io/hf_config.h"

namespace rope::cli {

RopeParams ropeMethodParams(const Args& a, const std::string& modelDir) {
  RopeParams p = readRopeParams(modelDir);
  p.method = parseMethod(a.require("method"));
  if (p.method == RopeMethod::LongRope) {
    throw UsageError("--method longrope needs per-pair factors: give them with --rope FILE");
  }
  if (auto f = a.doubleValue("factor")) p.factor = *f;
  if (auto f = a.doubleValue("alpha")) p.alpha = *f;
  else if (p.method == RopeMethod::NtkStatic && p.factor) p.alpha = *p.factor;
  if (auto l = a.intValue("original-max")) p.originalMaxPosition = *l;
  if (auto f = a.doubleValue("attention-factor")) p.attentionFactor = *f;
  return p;
}

RopeChoice ropeChoice(const Args& a, const std::string& modelDir) {
  if (a.has("rope") && a.has("method")) throw UsageError("give --rope or --method, not both");
  RopeChoice c;
  if (auto file = a.value("rope")) {
    c.factorSet = readFactorFile(*file);
    c.source = *file;
  } else if (a.has("method")) {
    c.rope = ropeMethodParams(a, modelDir);
    c.source = "--method " + a.require("method");
    if (auto f = a.value("factor")) c.source += " --factor " + *f;
  }
  return c;
}

}  // namespace rope::cli
