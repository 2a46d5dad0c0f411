#include "rope/rope_params.h"

#include "util/error.h"

namespace rope {

std::string methodName(RopeMethod method) {
  switch (method) {
    case RopeMethod::Default: return "default";
    case RopeMethod::Linear: return "linear";
    case RopeMethod::NtkStatic: return "ntk";
    case RopeMethod::Dynamic: return "dynamic";
    case RopeMethod::Yarn: return "yarn";
    case RopeMethod::Llama3: return "llama3";
    case RopeMethod::LongRope: return "longrope";
  }
  return "default";
}

RopeMethod parseMethod(const std::string& name) {
  if (name == "default") return RopeMethod::Default;
  if (name == "linear") return RopeMethod::Linear;
  if (name == "ntk") return RopeMethod::NtkStatic;
  if (name == "dynamic") return RopeMethod::Dynamic;
  if (name == "yarn") return RopeMethod::Yarn;
  if (name == "llama3") return RopeMethod::Llama3;
  if (name == "longrope" || name == "su") return RopeMethod::LongRope;
  throw InputError("unknown RoPE method '" + name +
                   "' (supported: default, linear, ntk, dynamic, yarn, llama3, longrope, su)");
}

std::string switchRuleName(LongRopeSwitch rule) {
  switch (rule) {
    case LongRopeSwitch::SequenceLength: return "sequence";
    case LongRopeSwitch::ContextLength: return "context";
    case LongRopeSwitch::AlwaysLong: return "long";
    case LongRopeSwitch::AlwaysShort: return "short";
  }
  return "sequence";
}

LongRopeSwitch parseSwitchRule(const std::string& name) {
  if (name == "sequence") return LongRopeSwitch::SequenceLength;
  if (name == "context") return LongRopeSwitch::ContextLength;
  if (name == "long") return LongRopeSwitch::AlwaysLong;
  if (name == "short") return LongRopeSwitch::AlwaysShort;
  throw InputError("unknown LongRoPE switch rule '" + name +
                   "' (supported: sequence, context, long, short)");
}

}  // namespace rope
