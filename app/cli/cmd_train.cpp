// rope-cli corpus / train: the demo model's corpus and trainer.
#include <cmath>
#include <iomanip>

#include "cli/cli.h"
#include "cli/cli_args.h"
#include "cli/rope_options.h"
#include "io/factor_files.h"
#include "rope/rope_math.h"
#include "train/demo_assets.h"
#include "train/kjv_corpus.h"
#include "train/trainer.h"

namespace rope::cli {
namespace {

const char* kCorpusUsage = R"(usage: rope-cli corpus [--out DIR]

Prepares the demo model's corpus: the King James Bible from Debian's bible-kjv package, one
document per book, split by book into train/, validation/ and test/ (8 test books, all longer
than 8 x 128 tokens). Default folder: the cache ($XDG_CACHE_HOME or ~/.cache)/rope-workbench/kjv.
An existing prepared corpus is kept.
)";

const char* kTrainUsage =
    R"(usage: rope-cli train --out DIR [--corpus DIR|kjv] [--context 128] [--layers 4]
                      [--hidden 256] [--heads 4] [--kv-heads 4] [--intermediate 688]
                      [--vocab 4096] [--steps 3000] [--batch 32] [--lr 0.002] [--warmup 100]
                      [--weight-decay 0.1] [--passkey-share 0.25]
                      [--passkey-needles 0] [--passkey-keys uniform|by-length] [--eval-every 250]
                      [--eval-windows 64] [--seed 1] [--threads N] [--device cpu|cuda] [--resume]
       rope-cli train --out DIR --init MODEL --context L' [--rope FILE | --method M --factor S]
                      [--short-share F] [--steps ...] [--batch ...] [--lr ...]
                      (the training options above)

Trains a Llama-architecture model with plain RoPE (base 10000) at a short window on the corpus
(default: the KJV corpus, prepared on first use), with a share of passkey snippets inside the
window (--passkey-share; the passkey test's prompt, or for a --passkey-needles share of them a
key hidden in corpus text without the instruction; --passkey-keys by-length draws a digit count
uniform in 1..5 before the key, so that short keys are as common as long ones, where uniform
keys in 1..50000 have five digits 80% of the time). AdamW, warm-up then cosine decay; every
--eval-every steps a checkpoint and a validation: perplexity, and passkey copying (key loss,
share of keys retrieved greedily, keys drawn as the passkey test does) on validation text. The
result is a Hugging Face folder (config.json, model.safetensors in float16, tokenizer.model,
training_log.txt, training.json). Work happens in DIR.partial; DIR appears
only when training has finished. --resume continues an interrupted run from its last
checkpoint.

Fine-tuning (the LongRoPE recipe's second step):
  --init MODEL   continue this Hugging Face folder ("demo": the bundled demo model): a Llama
                 model with tied embeddings and a tokenizer.model. Its shape and tokenizer are
                 kept (the shape options are refused), the optimizer starts fresh, --context
                 must exceed its original window; passkey snippets are made at that length.
  --rope FILE    a factor set (project JSON, LongRoPE CSV, HF config) applied in every forward
                 pass: its long factors at the context, its attention factor (else LongRoPE's
                 sqrt(1 + ln s / ln L) at the length it was made for)
  --method M --factor S   a fixed method as a factor set instead (linear: PI, yarn, ntk,
                 dynamic), applied at every length as the method is
  --short-share F  mixed-length fine-tuning: this share of each step's rows (rounded; at
                 least one row of each kind must remain) becomes windows at the original
                 window, L' / window of them per row, read with the RoPE the exported config
                 gives there (short factors); validation then reports them too (default 0)
The exported config carries the RoPE as a LongRoPE block (short_factor, long_factor,
original_max_position_embeddings, max_position_embeddings = L'), which the engine and
transformers read alike; the forward passes use the RoPE read back from it. Short factors:
the set's, else ones (the pretrained RoPE at the original window).
)";

int runCorpus(const std::vector<std::string>& argv, std::ostream& out, std::ostream&) {
  const Args a(argv, {}, {"out"});
  if (!a.positional().empty()) throw UsageError("unexpected argument '" + a.positional()[0] + "'");
  const std::string dir = prepareKjvCorpus(a.value("out").value_or(defaultCorpusDir()));
  out << dir << "\n";
  return 0;
}

std::string joined(const std::vector<std::string>& argv) {
  std::string s = "rope-cli train";
  for (const auto& a : argv) s += " " + a;
  return s;
}

int runTrain(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  const Args a(
      argv, {"resume"},
      {"out",      "corpus",       "context",       "layers",          "hidden",     "heads",
       "kv-heads", "intermediate", "vocab",         "steps",           "batch",      "lr",
       "warmup",   "weight-decay", "passkey-share", "passkey-needles", "eval-every", "eval-windows",
       "seed",     "threads",      "device",        "init",            "rope",       "method",
       "factor",   "alpha",        "original-max",  "attention-factor", "short-share",
       "passkey-keys"});
  if (!a.positional().empty()) throw UsageError("unexpected argument '" + a.positional()[0] + "'");
  TrainParams p;
  p.outDir = a.require("out");
  if (const auto keys = a.choice("passkey-keys", {"uniform", "by-length"})) {
    p.passkeyKeysByLength = *keys == "by-length";
  }
  if (auto init = a.value("init")) {
    for (const char* shape : {"layers", "hidden", "heads", "kv-heads", "intermediate", "vocab"}) {
      if (a.has(shape)) {
        throw UsageError(std::string("--") + shape + " is taken from --init's config.json");
      }
    }
    p.initDir = resolveModel(*init);
    if (!a.has("context")) throw UsageError("--init needs --context (the fine-tuning length)");
  } else if (a.has("rope") || a.has("method")) {
    throw UsageError("--rope and --method need --init: they rescale a pretrained model's RoPE");
  }
  const std::string corpus = a.value("corpus").value_or("kjv");
  p.corpusDir = corpus == "kjv" ? prepareKjvCorpus(defaultCorpusDir()) : corpus;
  p.context = a.intValue("context").value_or(p.context);
  p.layers = a.intValue("layers").value_or(p.layers);
  p.hidden = a.intValue("hidden").value_or(p.hidden);
  p.heads = a.intValue("heads").value_or(p.heads);
  p.kvHeads = a.intValue("kv-heads").value_or(p.heads);
  p.intermediate = a.intValue("intermediate").value_or(p.intermediate);
  p.vocab = a.intValue("vocab").value_or(p.vocab);
  p.steps = a.intValue("steps").value_or(p.steps);
  p.batch = a.intValue("batch").value_or(p.batch);
  p.learningRate = a.doubleValue("lr").value_or(p.learningRate);
  p.warmupSteps = a.intValue("warmup").value_or(p.warmupSteps);
  p.weightDecay = a.doubleValue("weight-decay").value_or(p.weightDecay);
  p.passkeyShare = a.doubleValue("passkey-share").value_or(p.passkeyShare);
  p.passkeyNeedles = a.doubleValue("passkey-needles").value_or(p.passkeyNeedles);
  p.shortShare = a.doubleValue("short-share").value_or(p.shortShare);
  p.evalEvery = a.intValue("eval-every").value_or(p.evalEvery);
  p.evalWindows = a.intValue("eval-windows").value_or(p.evalWindows);
  p.seed = static_cast<std::uint64_t>(a.intValue("seed").value_or(1));
  p.threads = a.intValue("threads").value_or(0);
  p.device = a.value("device").value_or("cpu");
  p.resume = a.has("resume");
  if (!p.initDir.empty()) {
    const RopeChoice choice = ropeChoice(a, p.initDir);
    if (choice.factorSet) {
      p.rope = choice.factorSet;
    } else if (choice.rope) {
      // The method at the fine-tuning length, at every length (short = long), as it is applied.
      FactorSet set = factorSetFromParams(*choice.rope, p.context, a.require("method"));
      set.shortFactors = set.factors;
      p.rope = set;
    }
  }
  p.command = joined(argv);
  const TrainResult r = train(p, [&](const TrainProgress& pr) {
    if (!pr.message.empty() && pr.step == 0) err << pr.message << "\n";
    if (pr.step > 0 && (pr.step % 10 == 0 || pr.validationLoss)) {
      err << "step " << pr.step << "/" << pr.steps << "  loss " << std::fixed
          << std::setprecision(4) << pr.loss << "  lr " << std::scientific << std::setprecision(2)
          << pr.learningRate << std::fixed << std::setprecision(0) << "  " << pr.tokensPerSecond
          << " tok/s  ETA " << pr.etaSeconds << " s";
      if (pr.validationLoss) {
        err << "  validation loss " << std::setprecision(4) << *pr.validationLoss << " (ppl "
            << std::setprecision(2) << std::exp(*pr.validationLoss) << ")";
      }
      if (pr.shortValidationLoss) {
        err << "  at the window: ppl " << std::setprecision(2) << std::exp(*pr.shortValidationLoss);
      }
      if (pr.passkeyLoss && pr.passkeyAccuracy) {
        err << "  passkey key loss " << std::setprecision(3) << *pr.passkeyLoss << ", copied "
            << std::setprecision(0) << 100 * *pr.passkeyAccuracy << "%";
      }
      err << std::defaultfloat << "\n";
    }
    return true;
  });
  if (!r.valid) throw std::runtime_error(r.error.empty() ? "training stopped" : r.error);
  out << "wrote " << r.modelDir << " (validation perplexity " << std::setprecision(4)
      << r.validationPerplexity << ", " << std::setprecision(0) << std::fixed << r.seconds
      << " s)\n";
  return 0;
}

}  // namespace

Command corpusCommand() {
  return {"corpus", "prepare the demo model's KJV corpus", kCorpusUsage, runCorpus};
}
Command trainCommand() { return {"train", "train the demo model", kTrainUsage, runTrain}; }

}  // namespace rope::cli
