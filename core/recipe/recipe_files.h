#pragma once
// The files recipe::run keeps in a recipe's folder, written and read in one place:
// recipe.json's "options" (everything the results depend on: run() writes them when it starts
// a folder and refuses to resume it with others), each stage's stage.json (its cost) and
// where the stages keep their checkpoints and models (implemented in record.cpp).

#include <string>

#include "io/json_util.h"
#include "recipe/extend.h"

namespace rope::recipe {

// In the recipe's folder: the options (recipe.json), the finished recipe's costs
// (report.json); in each stage's folder, its cost once finished (stage.json).
inline constexpr const char* kRecipeFile = "recipe.json";
inline constexpr const char* kReportFile = "report.json";
inline constexpr const char* kStageFile = "stage.json";
// The fine-tuning stages' model folder, inside the stage's folder ("2-finetune/model").
inline constexpr const char* kStageModelDir = "model";
// A search stage's checkpointPath (longrope::Params), in the stage's folder.
std::string searchCheckpointPath(const std::string& stageDir);
// The checkpoint that holds the search stage's own generations: that path, the short
// readjust's with longrope::kShortCheckpoint.
std::string searchHistoryPath(const std::string& stageDir, Stage stage);

json_util::Json optionsJson(const Params& p);
// optionsJson's inverse (the search data as its recorded paths; outDir, threads, device and
// the command are not options). Throws InputError naming source and the option that is
// missing or of the wrong type.
Params paramsFromOptions(const json_util::Json& options, const std::string& source);
// The options of a parsed recipe.json (InputError naming source when it holds none).
json_util::Json optionsOf(const json_util::Json& recipe, const std::string& source);

json_util::Json costJson(const StageCost& c);
// A finished stage's stage.json (skipped = true); InputError naming path when it is not one.
StageCost readStageCost(const std::string& path, Stage stage);

}  // namespace rope::recipe
