#pragma once
// LongRoPE's whole recipe (Ding et al., ICML 2024, section 3.3) on one model, as five stages
// in one folder:
//   1. search   the long factors at the fine-tuning length L' (LongRoPE's search, no n_hat:
//               a Hugging Face config cannot hold it);
//   2. finetune continue training the model at L' with those factors in every forward pass,
//               a share of each step at the original window with the short factors (ones)
//               as Phi-3 was trained (TrainParams::shortShare);
//   3. search2  search again on the fine-tuned model at the final target L'' (progressive
//               extension), seeded with stage one's factors as they are and stretched by
//               L'' / L'; scored by perplexity at L'' and at L' (the final long factors serve
//               both; with Params::passkeyScores also by the key tokens of passkey prompts at
//               both), the attention factor held at the fine-tuned value;
//   4. short    readjust the short factors at the original window on the fine-tuned model,
//               the long factors of stage three fixed, so that short-context quality recovers
//               (the paper's last stage: with Params::refineSteps 0 the recipe ends here and
//               exports stage two's weights);
//   5. refine   a short second fine-tuning at L' with the final factors, stage three's long
//               and stage four's short ones (the long set is what the final model reads every
//               length above the window with, the short set what it reads the window with),
//               same data and mix. The paper's third stage has no fine-tuning; on the demo
//               model that lost most retrieval at 4x-8x and beyond L', and a model fine-tuned
//               only with short factors of ones kept the pretrained model's retrieval at the
//               window under the readjusted ones (docs/recipe.md).
// The attention factor stays what fine-tuning used: a Hugging Face LongRoPE config applies its
// one factor at every length, and the model learnt its attention with that value.
// The result is a Hugging Face folder (the last fine-tuning's weights, a config with stage
// three's long factors and stage four's short factors at max_position_embeddings L'').
//
// Every stage's output stays in the folder (factor sets, the fine-tuned model, the search
// checkpoints, stage.json with its cost). A run killed at any moment resumes where it stopped:
// a finished stage is skipped, a search continues from its checkpoint, fine-tuning from its
// last checkpoint. The options are recorded in recipe.json; resuming with other options is
// refused. Long work has the usual shape: run() reports progress and returns false from the
// callback to stop; bad input fails before any work with a message naming what is wrong.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/token_data.h"
#include "rope/factor_set.h"
#include "search/evolution_search.h"
#include "search/longrope_search.h"
#include "train/trainer.h"

namespace rope::recipe {

struct Params {
  std::string modelDir;    // the pretrained Hugging Face folder (a model the trainer continues)
  std::string outDir;      // the recipe's folder; must not exist unless resuming
  int target = 0;          // L'': the final context (stage three)
  int fineTuneLength = 0;  // L': stage one's target and the fine-tuning context; 0: target / 4

  // The searches (stages one, three and four).
  TokenSource searchData;  // scored documents (the demo's validation split, say)
  int samples = 4;         // documents per evaluation
  int population = 16;     // parents, mutations and crossovers follow it (half, a quarter each)
  int generations = 8;
  int shortGenerations = 0;  // stage four; 0: generations
  // Stage three also scores the key tokens of passkey prompts at L' and L''
  // (longrope::Fitness::Passkey, in the geometric mean with the perplexities), for long factors
  // that keep the retrieval fine-tuning taught. Off by default: on the demo model it traded
  // short-context retrieval for reach (docs/recipe.md).
  bool passkeyScores = false;
  // Stages one and three hold the pairs whose wavelength exceeds the original window at s or
  // more (longrope::Params::criticalFloor, LongRoPE2's critical dimension).
  bool criticalFloor = false;
  std::uint64_t seed = 0;

  // Stage two: the trainer's options (TrainParams) for the fine-tuning.
  std::string corpusDir;  // a prepared corpus (train/, validation/)
  int steps = 400;
  int batch = 4;
  double learningRate = 1e-3;
  int warmupSteps = 20;
  double passkeyShare = 0.5;
  double shortShare = 0.25;  // of each step's rows, at the original window (0: none)
  // TrainParams::passkeyKeysByLength (stages two and five). On: with keys uniform in 1..50000
  // the final model misread short keys (docs/recipe.md).
  bool passkeyKeysByLength = true;
  int evalEvery = 100;
  int evalWindows = 32;
  // Stage five: its steps (0: no stage five) and peak learning rate; the other options are
  // stage two's (warm-up: a tenth of the steps, at least one).
  int refineSteps = 150;
  double refineLearningRate = 1e-3;  // stage two's; 5e-4 retrieved less (docs/recipe.md)

  int threads = 0;             // CPU threads; 0: all
  std::string device = "cpu";  // "cpu" or "cuda" (one device: the trainer's)
  bool resume = false;         // continue outDir
  std::string command;         // the command line, recorded in recipe.json
  // Who scores the candidates of each search stage (longrope::Params::makeScorer, given that
  // stage's params: its model is the fine-tuned one from stage three on); empty: this
  // process. rope-cli under mpirun passes the ranks of the job; fine-tuning stays here.
  std::function<std::unique_ptr<CandidateScorer>(const longrope::Params& search, int longest)>
      makeScorer;
};

enum class Stage { Search, FineTune, Search2, Short, Refine, Export };
constexpr int kStageCount = 5;  // the stages before the export
// "search", "finetune", "search2", "short", "refine", "export"
const char* stageName(Stage stage);
// The stage's folder in the recipe's folder: "1-search", "2-finetune", "3-search2",
// "4-short", "5-refine" (each with stage.json once finished; the searches' factors.json, the
// fine-tunings' model/), "model" for the export.
const char* stageFolder(Stage stage);
// Stages two and five train; the others search.
inline bool isFineTuning(Stage stage) { return stage == Stage::FineTune || stage == Stage::Refine; }

struct Event {
  Stage stage = Stage::Search;
  int stageIndex = 0;   // 1..6
  std::string message;  // a line for the log ("stage 2/5: fine-tuning at 1024 tokens", ...)
  std::optional<SearchEvent> search;   // stages one, three and four
  std::optional<TrainProgress> train;  // stages two and five
};
// Return false to stop; whatever was finished stays and --resume continues.
using Progress = std::function<bool(const Event&)>;

struct StageCost {
  Stage stage = Stage::Search;
  double seconds = 0;         // summed over resumed runs
  int evaluations = 0;        // full fitness evaluations (searches)
  int generations = 0;        // (searches)
  int steps = 0;              // optimizer steps (fine-tunings)
  double bestPerplexity = 0;  // the stage's fitness (searches) or validation ppl (fine-tuning)
  std::string output;         // the stage's file or folder, relative to outDir
  bool skipped = false;       // finished by an earlier run
};

struct Result {
  bool valid = false;
  bool cancelled = false;
  std::string error;
  std::vector<std::string> warnings;
  std::vector<StageCost> stages;  // the finished ones, in order
  std::string modelDir;           // the final Hugging Face folder
  FactorSet final;                // its factors (long, short)
  double seconds = 0;             // this run's wall time
};

// L': the fine-tuning length, Params::fineTuneLength or, when 0, the target / 4.
int firstTarget(const Params& p);
// The stages a recipe with these options runs: all five, four with Params::refineSteps 0.
inline int stageCount(const Params& p) { return p.refineSteps > 0 ? kStageCount : kStageCount - 1; }

// Throws InputError for bad params (before any work); run() reports them in Result::error.
void validateParams(const Params& params);
Result run(const Params& params, const Progress& progress = {});

}  // namespace rope::recipe
