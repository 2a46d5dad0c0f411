#pragma once
// LongRoPE's search on a real model (Ding et al., ICML 2024): the evolutionary search of
// search/evolution_search.h with perplexity at the target length as its fitness.
//
// Stage "long": lambda_i (and n_hat, optionally the attention factor) for target length L'
// at s = L' / L (L the model's original window), seeded with PI, NTK-aware, dynamic NTK and
// YaRN at s (a seed outside the bounds is dropped with a warning) plus the user's sets. Optional
// stage "stage2" (progressive extension): a second search at a longer target whose factors multiply
// stage one's. Optional stage "short": the short factors at the original window with the long
// factors fixed (Phi-3's short_factor).
//
// Fitness: perplexity of the first `samples` documents holding at least the target length,
// each truncated to it (one forward pass, tokens 1..L'-1 scored, token-weighted), or the
// needle-driven perplexity of LongRoPE2 (see Fitness). Screening ("cheap-first") scores
// children on fewer documents and/or a shorter proxy length first.
// Candidates are scored several per forward pass and on every device (BatchEvaluator).
//
// Shape of long work (STYLE.md): run() never throws; bad input fails before any work starts
// with an actionable message in Result::error.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/token_data.h"
#include "model/transformer.h"
#include "rope/factor_set.h"
#include "search/batch_evaluator.h"
#include "search/evolution_search.h"

namespace rope::longrope {

// What a candidate is scored by. Perplexity: the paper's (LongRoPE, ICML 2024). Needle:
// LongRoPE2's needle-driven perplexity (arXiv 2502.20082): each of the `samples` documents
// carries a passkey sentence at a depth (spread evenly: (i + 0.5) / samples) and ends with the
// question and the key (eval/passkey.h PromptBuilder::needle, keys drawn from the seed); only
// the key's tokens are scored, so the fitness rewards retrieval over the whole window rather
// than local fluency. Passkey: each sample is the passkey test's own prompt (PromptBuilder::
// build: instruction, filler, the key sentence at depth (i + 0.5) / samples, the question; keys
// from the seed) followed by the key, only the key's tokens scored: retrieval in the format the
// trainer's passkey snippets teach (the documents are not used). Needle and Passkey need a
// tokenizer (the data's, else the model's tokenizer.model).
enum class Fitness { Perplexity, Needle, Passkey };
const char* fitnessName(Fitness f);
// "perplexity", "needle" or "passkey"; throws InputError naming the choices otherwise.
Fitness parseFitness(const std::string& name);

// One more score of a long stage's candidates: a fitness at a length.
struct Score {
  int length = 0;
  Fitness fitness = Fitness::Perplexity;
};

// The suffixes of the later stages' checkpoints to Params::checkpointPath.
inline constexpr const char* kStage2Checkpoint = ".stage2";
inline constexpr const char* kShortCheckpoint = ".short";

struct Params {
  std::string modelDir;          // HF folder
  Transformer::Options engine;   // dtype and CPU threads; the device comes from `devices`
  std::string devices = "auto";  // auto | cpu | cuda | cuda:N[,cuda:M...]
  int batch = 0;                 // candidates per forward pass per device; 0: automatic
  TokenSource data;              // search data (the demo's validation split, say)
  int targetLength = 0;          // L'
  int originalWindow = 0;        // L; 0: the config's original window
  int samples = 5;               // documents per evaluation
  Fitness fitness = Fitness::Perplexity;

  // Search space: lambda in [lambdaMin, lambdaMax], lambdaMax 0 meaning lambdaMaxScale * s.
  double lambdaMin = 1.0;
  double lambdaMax = 0;
  double lambdaMaxScale = 1.25;  // LongRoPE: 1.25 s
  double step = 0.01;
  // LongRoPE2's critical dimension (arXiv 2502.20082), in its theoretical form: the pairs
  // whose wavelength exceeds the original window (rope/rope_math.h criticalPair) never
  // completed a rotation in pretraining, so a factor below s would take their angles past
  // any the model has seen; with this on, those pairs search within [s, lambdaMax] (a seed
  // below is raised to s). Stage two: s2 on its own factors; the short stage: none.
  bool criticalFloor = false;
  bool searchNHat = true;
  std::vector<int> nHatChoices = {0, 1, 2, 4, 8, 12, 16, 20, 24, 28, 32, 64, 128, 256};
  bool searchAttention = false;  // else `attentionFactor`, or LongRoPE's sqrt(1 + ln s / ln L)
  // Without searchAttention: the attention factor every candidate carries (the recipe holds a
  // fine-tuned model's at the value it was trained with). Unset: LongRoPE's formula at the
  // candidate's target length.
  std::optional<double> attentionFactor;
  double attentionMin = 1.0;
  double attentionMax = 1.5;
  double attentionStep = 0.01;

  // Schedule (paper defaults).
  int population = 64;
  int parents = 32;
  int mutations = 16;
  int crossovers = 16;
  int generations = 40;
  double mutationProbability = 0.3;
  std::uint64_t seed = 0;
  int earlyStopPatience = 0;  // 0: off (the paper's fixed schedule)
  int nHatSweep = 0;          // every n_hat for the best K curves at the end; 0: off
  double earlyStopTolerance = 1e-3;

  // More scores of the long factors, each at a length above the original window and up to the
  // target (the same documents truncated; not the target's own fitness again): a long stage's
  // fitness is then the geometric mean of its own and these, so that factors chosen for a long
  // target stay good at the shorter lengths they will also serve (a LongRoPE config applies
  // its long factors at every length beyond the window), or also keep the key retrievable.
  // Stage one takes those up to its target, stage two those up to its own; not the short
  // stage. Empty: the stage's fitness alone (the paper's).
  std::vector<Score> alsoScore;

  // Cheap-first screening: children scored on screenSamples documents at screenLength
  // (0: the target) first; only the best screenKeep fraction get the full evaluation.
  bool screening = false;
  int screenSamples = 1;
  int screenLength = 0;
  double screenKeep = 0.5;

  std::vector<FactorSet> seeds;  // the user's sets, added to PI/NTK/dynamic/YaRN

  // Stage two (progressive extension) at stage2Target > targetLength; 0: none.
  int stage2Target = 0;
  // Short factors at the original window, searched last; their own generation count
  // (0: generations).
  bool searchShortFactors = false;
  int shortGenerations = 0;
  // Short readjust alone: the long factors are given (their n_hat and attention factor too),
  // so no long search runs; only the short stage does (searchShortFactors must be set, no
  // stage two). targetLength 0: the set's target length.
  std::optional<FactorSet> longFactors;

  // Who scores the candidates: by default a BatchEvaluator on `devices` in this process;
  // rope-cli under mpirun passes one that spreads them over the ranks of the job. Called once,
  // with the longest length a stage scores at, after the params are checked.
  std::function<std::unique_ptr<CandidateScorer>(int longestLength)> makeScorer;

  // Checkpoints: checkpointPath for stage one, PATH.stage2 and PATH.short for the others
  // (kStage2Checkpoint, kShortCheckpoint).
  std::string checkpointPath;
  bool resume = false;
};

struct StageResult {
  std::string name;         // "long", "stage2", "short"
  int length = 0;           // the length this stage scored at
  std::string fingerprint;  // what its checkpoint is tied to
  EvolutionResult search;
  std::vector<std::pair<std::string, double>> seedPerplexities;  // as scored by the search
};

enum class Status { Ok, Cancelled, Failed };

struct Result {
  bool valid = false;
  Status status = Status::Failed;
  std::string error;
  std::vector<std::string> warnings;
  double elapsedSeconds = 0;
  FactorSet best;             // the final set: long factors, n_hat, short factors if searched;
                              // after a cancel, the best so far (empty before a generation ends)
  double bestPerplexity = 0;  // of the long factors at the final target, on the search data
                              // (with Fitness::Needle: of the key tokens of the needle samples;
                              // with alsoScore: the geometric mean over the scores)
  int evaluations = 0;        // full evaluations over all stages (cache hits excluded)
  int screenings = 0;
  int generations = 0;  // completed generations over all stages
  std::vector<std::string> devices;
  int batch = 0;
  std::vector<StageResult> stages;
};

// Event of a stage's search (SearchEvent) with the stage's name; return false to cancel,
// which takes effect after the current batch of candidates (the checkpoint is kept).
using Progress = std::function<bool(const std::string& stage, const SearchEvent& event)>;

Result run(const Params& params, const Progress& progress = {});

// The fixed methods at s = target / window as factor sets (PI, NTK-aware with alpha = s,
// HF's dynamic NTK with factor s at the target length, YaRN with factor s), each with its own
// attention factor: the seeds.
std::vector<FactorSet> methodSeeds(const RopeParams& model, int window, int target);

}  // namespace rope::longrope
