#pragma once
// A recipe's folder read back without running anything: what the Recipe tab shows of a folder
// that rope-cli extend or an earlier session made, and of a run it resumes. The options it was
// started with (recipe.json), each finished stage's cost (stage.json), the searches' best
// perplexity per generation (their checkpoints, a stopped search's too) and the fine-tunings'
// losses (training_log.txt of a finished one, an interrupted one's up to its last checkpoint).

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "recipe/extend.h"
#include "search/evolution_search.h"
#include "train/training_log.h"

namespace rope::recipe {

struct StageRecord {
  bool started = false;                        // the stage's folder exists
  std::optional<StageCost> cost;               // set once the stage finished (skipped = true)
  std::vector<GenerationSummary> generations;  // stages 1, 3 and 4: the checkpoint's history
  TrainingLog losses;                          // stages 2 and 5
};

struct Record {
  Params options;       // as recipe.json holds them (outDir: the folder; search data: the paths)
  std::string command;  // the command that started it
  std::array<StageRecord, kStageCount> stages;
  std::string modelDir;  // the exported model's folder; empty until the recipe has finished
};

// Where a started, unfinished stage stopped, which is where a resume goes on: "stopped after
// generation 3", "stopped; checkpoint at step 200", "stopped before its first generation",
// "stopped before its first checkpoint".
std::string stoppedAt(const StageRecord& stage, Stage which);

// The stages the record has finished.
int finishedStages(const Record& record);

// True when dir holds a recipe (its recipe.json).
bool isRecipeFolder(const std::string& dir);
// Throws InputError naming the file when dir holds no recipe or one of its files is not what
// the recipe writes there.
Record readRecord(const std::string& dir);

}  // namespace rope::recipe
