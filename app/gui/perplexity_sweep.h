#pragma once
// A perplexity sweep (factor sets x lengths) as the Perplexity tab's background work. The
// panel snapshots a SweepRequest on the GUI thread; runSweep() (the worker's body, also
// usable from tests) loads the model and the data once, then calls core's
// perplexity::evaluate once per (set, length) cell, so that each cell reports as soon as it
// is done, with its own methodology. Cancellation is checked after every forward pass.

#include <QString>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "eval/perplexity.h"
#include "model/transformer.h"
#include "rope/factor_set.h"

namespace rope {

struct SweepRequest {
  QString modelDir = "demo";         // "demo" or a Hugging Face folder
  std::vector<std::string> data;     // token files; empty: the demo test split
  std::vector<int> lengths = {128, 256, 512};
  int samples = 2;
  int stride = 0;
  // nullopt: the model's own RoPE.
  std::vector<std::pair<QString, std::optional<FactorSet>>> sets;
  int threads = 1;  // torch CPU threads; 0: one per hardware thread
  std::string device = "cpu";  // the document's device and dtype
  ComputeDType dtype = ComputeDType::Float32;
};

struct SweepCell {
  int set = 0;
  QString setName;
  perplexity::LengthResult result;
  perplexity::Methodology methodology;
};

struct SweepOutcome {
  bool valid = false;
  bool cancelled = false;
  QString error;
  double elapsedSeconds = 0;
  QString device, dtype;
};

// progress(fraction in [0, 1]) after every forward pass, returning false to cancel; loaded
// (may be null) once the model is loaded, with its device and dtype; cell after each cell.
// Never throws.
SweepOutcome runSweep(const SweepRequest& request, const std::function<bool(double)>& progress,
                      const std::function<void(QString device, QString dtype)>& loaded,
                      const std::function<void(const SweepCell&)>& cell);

// One line naming how a cell was measured (tooltips, CSV).
QString methodologyText(const perplexity::Methodology& m);

}  // namespace rope
