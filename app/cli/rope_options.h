#pragma once
// The RoPE options shared by the commands that evaluate a model: --rope FILE (a factor file)
// or --method M with --factor, --alpha, --original-max and --attention-factor on the model's
// own RoPE.

#include <optional>
#include <string>

#include "cli/cli_args.h"
#include "rope/factor_set.h"
#include "rope/rope_params.h"

namespace rope::cli {

// The model's RoPE (config.json in modelDir) with --method and its options applied. --method
// ntk takes --factor as its alpha when --alpha is absent. UsageError for --method longrope
// (its factors come from a file).
RopeParams ropeMethodParams(const Args& args, const std::string& modelDir);

// What --rope / --method ask for; neither: the config's RoPE.
struct RopeChoice {
  std::optional<FactorSet> factorSet;
  std::optional<RopeParams> rope;
  std::string source = "config";  // "config", the file, or "--method M --factor S"
};
// UsageError when both --rope and --method are given; InputError for an unreadable file.
RopeChoice ropeChoice(const Args& args, const std::string& modelDir);

}  // namespace rope::cli
