#include "search_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSaveFile>
#include <QSpinBox>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "background_job.h"
#include "data/tokenizer.h"
#include "job_frame.h"
#include "scientific_plot.h"
#include "set_choices.h"
#include "spin_boxes.h"
#include "train/demo_assets.h"
#include "workbench_document.h"

namespace rope {

SearchPanel::SearchPanel(WorkbenchDocument* doc, FileDialogs* dialogs, QWidget* parent)
    : QWidget(parent),
      m_doc(doc),
      m_job(new BackgroundJob(this)),
      m_curves(new ScientificPlot),
      m_population(new ScientificPlot),
      m_heatmap(new ScientificPlot) {
  if (!dialogs) {
    m_ownDialogs = std::make_unique<QtFileDialogs>(this);
    dialogs = m_ownDialogs.get();
  }
  JobFrame::Options options;
  options.pausable = true;
  options.csv = true;
  m_frame = new JobFrame(options, dialogs);
  m_target = makeSpinBox(2, 1 << 24, 512, "Target length L' in tokens");
  m_populationSize = makeSpinBox(2, 4096, 16, "Candidates per generation (parents: half)");
  m_generationCount = makeSpinBox(0, 1000, 4, "Generations after the initial population");
  m_samples = makeSpinBox(1, 1000, 1, "Documents per evaluation");
  m_fitness = new QComboBox;
  m_fitness->addItem("Perplexity", static_cast<int>(longrope::Fitness::Perplexity));
  m_fitness->addItem("Needle (LongRoPE2)", static_cast<int>(longrope::Fitness::Needle));
  m_fitness->setToolTip(
      "Perplexity: of every token of the documents (LongRoPE). Needle: a pass key hidden in "
      "each document at a depth, asked for at its end; only the key's tokens are scored "
      "(LongRoPE2's needle-driven perplexity)");
  m_seed = makeSpinBox(0, 1 << 30, 0, "Random seed: equal seeds give equal searches");
  m_threads = makeSpinBox(0, 256, 1, "Torch CPU threads; 0: one per hardware thread");
  m_nHat = new QCheckBox("Search n_hat");
  m_nHat->setChecked(true);
  m_criticalFloor = new QCheckBox("Critical floor");
  m_criticalFloor->setToolTip("Pairs from the critical pair on at s or more (LongRoPE2)");
  m_attention = new QCheckBox("Search the attention factor");
  m_screening = new QCheckBox("Cheap-first screening");
  m_screening->setToolTip(
      "Score children on one document first; only the better half get "
      "the full evaluation");
  m_checkpoint = new QLineEdit;
  m_checkpoint->setPlaceholderText("checkpoint file (optional)");
  m_resume = new QCheckBox("Resume from the checkpoint");
  m_stage2 = new QCheckBox("Progressive stage at");
  m_stage2->setToolTip(
      "Progressive extension: a second search at L2 > L' whose factors multiply the first "
      "search's (LongRoPE, section 3.3)");
  m_stage2Target = makeSpinBox(3, 1 << 24, 2048, "Stage two's target length L2 in tokens (> L')");
  m_short = new QCheckBox("Short readjust, generations");
  m_short->setToolTip(
      "Then search the short factors at the original window, the long factors fixed, so that "
      "short-context quality recovers (Phi-3's short_factor)");
  m_shortGenerations = makeSpinBox(0, 1000, 0, "Generations of the short readjust");
  m_shortGenerations->setSpecialValueText("as above");
  m_longFactors = new QComboBox;
  m_longFactors->setToolTip(
      "The short readjust alone: keep this set's long factors (and its n_hat and attention "
      "factor) and search only the short factors");
  m_seeds = new QListWidget;
  m_seeds->setToolTip("Factor sets added to the PI/NTK/YaRN seeds (checked)");
  m_adopt = new QPushButton("Adopt best");
  m_adopt->setToolTip("Add the search's best candidate as a factor set (undoable)");
  m_data = new QLabel;
  m_data->setWordWrap(true);

  auto* form = new QFormLayout;
  form->addRow("Target length", m_target);
  form->addRow("Population", m_populationSize);
  form->addRow("Generations", m_generationCount);
  form->addRow("Samples", m_samples);
  form->addRow("Fitness", m_fitness);
  form->addRow("Seed", m_seed);
  form->addRow("Threads", m_threads);
  form->addRow(m_nHat);
  form->addRow(m_criticalFloor);
  form->addRow(m_attention);
  form->addRow(m_screening);
  form->addRow(m_checkpoint);
  form->addRow(m_resume);
  form->addRow(m_stage2, m_stage2Target);
  form->addRow(m_short, m_shortGenerations);
  form->addRow("Short only for", m_longFactors);
  auto* side = new QVBoxLayout;
  side->addWidget(m_data);
  side->addLayout(form);
  side->addWidget(new QLabel("Extra seeds"));
  side->addWidget(m_seeds, 1);
  m_frame->setControls(side);
  m_frame->addButton(m_adopt);
  auto* view = new QWidget;
  auto* plots = new QGridLayout(view);
  plots->setContentsMargins(0, 0, 0, 0);
  plots->addWidget(m_curves, 0, 0);
  plots->addWidget(m_population, 0, 1);
  plots->addWidget(m_heatmap, 1, 0, 1, 2);
  m_frame->setView(view);
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_frame);

  m_curves->setTitle("Best and mean perplexity per generation");
  m_curves->setAxisLabels("generation", "perplexity");
  m_curves->setYScale(AxisScale::Log);
  m_population->setTitle("Population");
  m_population->setAxisLabels("generation", "perplexity");
  m_population->setYScale(AxisScale::Log);
  m_population->setLegendVisible(false);
  m_heatmap->setTitle("Best candidate's factors (generation x pair)");
  m_heatmap->setAxisLabels("generation", "RoPE pair i (dims i, i + d/2)");
  m_heatmap->setLegendVisible(false);
  m_curves->setCaption(
      "The best never gets worse; the mean closes in as the population "
      "converges.",
      "views-search");
  m_population->setCaption("Every scored candidate: a tightening cloud means convergence.",
                           "views-search");
  m_heatmap->setCaption(
      "The best candidate's λᵢ per generation; the slow pairs (top) settle "
      "last.",
      "views-search");
  m_curves->setEmptyHint("Run a search to see the best and mean perplexity per generation");
  m_population->setEmptyHint("Every scored candidate appears here");
  m_heatmap->setEmptyHint("The best candidate's factors appear after each generation");
  // Generation is the x axis of all three plots: zoom and pan move them together.
  m_population->linkAxes(m_curves, Qt::Horizontal);
  m_heatmap->linkAxes(m_curves, Qt::Horizontal);

  connect(m_frame, &JobFrame::runRequested, this, [this] { run(); });
  connect(m_frame, &JobFrame::pauseToggled, this, &SearchPanel::setPaused);
  connect(m_frame, &JobFrame::cancelRequested, this, &SearchPanel::cancel);
  connect(m_frame, &JobFrame::wrote, this, &SearchPanel::wrote);
  connect(m_adopt, &QPushButton::clicked, this, [this] { adoptBest(); });
  m_frame->setCsvWriter(
      [this](const QString& path, QString* error) { return exportCsv(path, error); });
  m_frame->setImageSource([this] { return m_curves; });
  connect(m_doc, &WorkbenchDocument::changed, this, &SearchPanel::fillSeeds);
  connect(m_doc, &WorkbenchDocument::changed, this, &SearchPanel::fillLongFactors);
  connect(m_stage2, &QCheckBox::toggled, this, &SearchPanel::updateStageControls);
  connect(m_short, &QCheckBox::toggled, this, &SearchPanel::updateStageControls);
  connect(m_longFactors, &QComboBox::currentIndexChanged, this, &SearchPanel::updateStageControls);
  auto showData = [this] {
    const DatasetInfo& d = m_doc->dataset();
    m_data->setText(
        d.isEmpty() ? QString("Search data: none (File > Open dataset)")
        : d.demoTest
            ? QString("Search data: the demo corpus's validation split. The dataset is the "
                      "test split, and the search must not tune on the data it is judged on.")
            : QString("Search data: the dataset (%1 files)").arg(d.files.size()));
  };
  connect(m_doc, &WorkbenchDocument::datasetChanged, this, showData);
  showData();
  fillSeeds();
  fillLongFactors();
  updateStageControls();
  setRunning(false);
}

SearchPanel::~SearchPanel() { shutdown(); }

void SearchPanel::fillSeeds() {
  QStringList names;
  QList<quint64> ids;
  for (const FactorSetEntry& e : m_doc->sets()) {
    if (e.id == m_liveId) continue;
    names << QString::fromStdString(e.set.name);
    ids << e.id;
  }
  refillChecklist(m_seeds, names, ids, [](int) { return false; });
}

void SearchPanel::fillLongFactors() {
  const quint64 chosen = m_longFactors->currentData(kSetIdRole).value<quint64>();
  const QSignalBlocker block(m_longFactors);
  m_longFactors->clear();
  m_longFactors->addItem("none", quint64(0));  // the long search runs
  for (const FactorSetEntry& e : m_doc->sets()) {
    if (e.id == m_liveId) continue;
    m_longFactors->addItem(QString::fromStdString(e.set.name), e.id);
  }
  m_longFactors->setCurrentIndex(std::max(0, m_longFactors->findData(chosen, kSetIdRole)));
  updateStageControls();
}

void SearchPanel::updateStageControls() {
  // Given long factors leave only the short readjust: no long search, no stage two.
  const bool shortOnly = m_longFactors->currentIndex() > 0;
  if (shortOnly) m_short->setChecked(true);
  m_target->setEnabled(!shortOnly);
  m_stage2->setEnabled(!shortOnly);
  m_stage2Target->setEnabled(!shortOnly && m_stage2->isChecked());
  m_short->setEnabled(!shortOnly);
  m_shortGenerations->setEnabled(m_short->isChecked());
}

std::optional<longrope::Params> SearchPanel::params() {
  longrope::Params p;
  const QString folder = m_doc->model().folder;
  try {
    p.modelDir = resolveModel(folder.isEmpty() ? "demo" : folder.toStdString());
    p.data = searchData(m_doc->dataset());
    p.data.tokenizerPath = Tokenizer::modelTokenizerPath(p.modelDir);
  } catch (const std::exception& e) {
    m_frame->setStatus(QString("no model or data: %1").arg(e.what()));
    return std::nullopt;
  }
  p.engine.threads = m_threads->value();
  p.engine.dtype = m_doc->dtype();
  p.devices = m_doc->device().toStdString();
  p.targetLength = m_target->value();
  p.samples = m_samples->value();
  p.fitness = static_cast<longrope::Fitness>(m_fitness->currentData().toInt());
  p.population = m_populationSize->value();
  const GenerationSchedule schedule = scheduleForPopulation(p.population);
  p.parents = schedule.parents;
  p.mutations = schedule.mutations;
  p.crossovers = schedule.crossovers;
  p.generations = m_generationCount->value();
  p.seed = static_cast<std::uint64_t>(m_seed->value());
  p.searchNHat = m_nHat->isChecked();
  p.criticalFloor = m_criticalFloor->isChecked();
  p.searchAttention = m_attention->isChecked();
  p.screening = m_screening->isChecked();
  p.checkpointPath = m_checkpoint->text().trimmed().toStdString();
  p.resume = m_resume->isChecked();
  if (p.resume && p.checkpointPath.empty()) {
    m_frame->setStatus("Resume needs a checkpoint file");
    return std::nullopt;
  }
  for (int i = 0; i < m_seeds->count(); ++i) {
    if (m_seeds->item(i)->checkState() != Qt::Checked) continue;
    const int index = m_doc->indexOfId(m_seeds->item(i)->data(kSetIdRole).value<quint64>());
    if (index >= 0) p.seeds.push_back(m_doc->entry(index).set);
  }
  p.stage2Target = m_stage2->isChecked() ? m_stage2Target->value() : 0;
  p.searchShortFactors = m_short->isChecked();
  p.shortGenerations = m_shortGenerations->value();
  const int given = m_doc->indexOfId(m_longFactors->currentData(kSetIdRole).value<quint64>());
  if (m_longFactors->currentIndex() > 0 && given >= 0) {
    // The short readjust alone, at the set's own target length when it has one.
    p.longFactors = m_doc->entry(given).set;
    if (p.longFactors->targetLength > 0) p.targetLength = p.longFactors->targetLength;
    p.searchShortFactors = true;
    p.stage2Target = 0;
  }
  return p;
}

bool SearchPanel::run() {
  std::optional<longrope::Params> p = params();
  if (!p || m_job->isRunning()) return false;
  m_params = p;
  m_generations.clear();
  m_scatterX.clear();
  m_scatterY.clear();
  m_scored = 0;
  m_stage.clear();
  m_stageStart = 0;
  m_best.reset();
  for (ScientificPlot* plot : {m_curves, m_population, m_heatmap}) plot->clear();
  const QString fitness = longrope::fitnessName(p->fitness);
  const QString measure = p->fitness == longrope::Fitness::Perplexity
                              ? fitness
                              : fitness + " perplexity (key tokens)";
  m_curves->setTitle("Best and mean " + measure + " per generation");
  m_curves->setAxisLabels("generation", measure);
  m_population->setAxisLabels("generation", measure);
  m_template = FactorSet{};
  m_template.base = m_doc->model().rope.base;
  m_template.rotaryDim = m_doc->model().rotaryDim();
  m_template.originalMaxPosition = m_doc->model().trainingWindow();
  m_template.targetLength = p->targetLength;
  m_stageOne = m_longBest = p->longFactors.value_or(m_template);
  const int perGeneration = p->mutations + p->crossovers;
  auto candidates = [&](int generations) { return p->population + generations * perGeneration; };
  m_expectedCandidates =
      (p->longFactors ? 0 : candidates(p->generations)) +
      (p->stage2Target > 0 ? candidates(p->generations) : 0) +
      (p->searchShortFactors
           ? candidates(p->shortGenerations > 0 ? p->shortGenerations : p->generations)
           : 0);
  m_device = p->devices == "auto" ? QString::fromStdString(defaultDevice())
                                  : QString::fromStdString(p->devices);
  m_frame->started("loading the model and the data…");
  const longrope::Params params = *p;  // the worker's snapshot
  m_job->start([this, params](BackgroundJob::Context& ctx) -> std::function<void()> {
    longrope::Result result;
    try {
      result = longrope::run(params, [&ctx, this](const std::string& name, const SearchEvent& e) {
        const QString stage = QString::fromStdString(name);
        if (e.kind == SearchEvent::CandidateScored && e.candidate) {
          const int generation = e.generation;
          const double fitness = e.candidate->fitness;
          ctx.post([this, stage, generation, fitness] { onCandidate(stage, generation, fitness); });
        } else if (e.kind == SearchEvent::GenerationDone ||
                   e.kind == SearchEvent::GenerationRestored) {  // a resumed run's history
          Generation g{stage, 0, e.generation, e.best, e.mean, e.population, {}, 0, {}};
          if (e.bestCandidate) {
            g.bestFactors = e.bestCandidate->factors;
            g.bestNHat = e.bestCandidate->nHat;
          }
          ctx.post([this, g] { onGeneration(g); });
        }
        return ctx.proceed();  // blocks while paused
      });
    } catch (const std::exception& e) {  // run() should not throw; never let it escape
      result.status = longrope::Status::Failed;
      result.error = e.what();
    }
    return [this, result] { onDone(result); };
  });
  setRunning(true);
  return true;
}

void SearchPanel::setPaused(bool paused) {
  m_job->setPaused(paused);
  m_frame->showPaused(paused);
  if (m_job->isRunning()) m_frame->setStatus(paused ? "paused" : "running…");
}

bool SearchPanel::isPaused() const { return m_job->isPaused(); }

void SearchPanel::cancel() {
  if (!m_job->isRunning()) return;
  m_job->cancel();
  m_frame->setStatus("cancelling…");
}

void SearchPanel::shutdown() { m_job->cancelAndWait(); }

bool SearchPanel::isRunning() const { return m_job->isRunning(); }

int SearchPanel::axisPosition(const QString& stage, int generation) {
  if (stage != m_stage) {
    m_stageStart = m_stage.isEmpty() || m_generations.empty() ? 0 : m_generations.back().x + 1;
    m_stage = stage;
  }
  return m_stageStart + generation;
}

void SearchPanel::onCandidate(const QString& stage, int generation, double fitness) {
  ++m_scored;
  const int x = axisPosition(stage, generation);
  if (std::isfinite(fitness) && fitness > 0) {
    m_scatterX << x;
    m_scatterY << fitness;
  }
  CurveStyle style;
  style.line = false;
  style.pointSize = 5;
  style.color = QColor(0x1f, 0x77, 0xb4);
  if (m_population->curveCount() == 0) {
    m_population->addCurve("candidates", m_scatterX, m_scatterY, style);
  } else {
    m_population->setCurveData(0, m_scatterX, m_scatterY);
  }
  m_population->rescaleAxes();
  showGenerations(x);
  if (!m_params) return;
  const double fraction = std::min(0.99, double(m_scored) / std::max(m_expectedCandidates, 1));
  m_frame->setProgress(fraction);
  if (!m_job->isPaused()) {
    m_frame->setStatus(QString("running on %1, %2 — %3 generation %4, %5 candidates scored")
                           .arg(m_device)
                           .arg(QString::fromStdString(computeDTypeName(m_params->engine.dtype)))
                           .arg(stage)
                           .arg(generation)
                           .arg(m_scored));
  }
}

FactorSet SearchPanel::stageBest(const Generation& g) const {
  if (g.stage == "short") {  // the long factors stay; the candidate is the short factors
    FactorSet set = m_longBest;
    set.shortFactors = g.bestFactors;
    return set;
  }
  FactorSet set = m_template;
  set.factors = g.bestFactors;
  set.nHat = g.bestNHat;
  if (g.stage == "stage2" && m_params) {
    // Progressive extension: the candidate multiplies stage one's factors.
    set = m_stageOne;
    for (size_t i = 0; i < set.factors.size() && i < g.bestFactors.size(); ++i) {
      set.factors[i] *= g.bestFactors[i];
    }
    if (m_params->searchNHat) set.nHat = g.bestNHat;
    set.targetLength = m_params->stage2Target;
  }
  return set;
}

void SearchPanel::onGeneration(Generation g) {
  g.x = axisPosition(g.stage, g.generation);
  const FactorSet best = stageBest(g);
  g.shownFactors = g.stage == "short" ? best.shortFactors : best.factors;
  if (g.stage == "long") m_stageOne = best;
  if (g.stage != "short") m_longBest = best;
  m_generations.push_back(g);
  showCurves();
  showGenerations(g.x);

  const int pairs = static_cast<int>(g.shownFactors.size());
  if (pairs > 0) {
    HeatmapData h;
    h.nx = static_cast<int>(m_generations.size());
    h.ny = pairs;
    h.xMin = m_generations.front().x;
    h.xMax = m_generations.back().x;
    h.yMin = 0;
    h.yMax = pairs - 1;
    for (const Generation& r : m_generations) {
      for (int i = 0; i < pairs; ++i) {
        h.values.push_back(i < static_cast<int>(r.shownFactors.size()) ? r.shownFactors[i] : 1.0);
      }
    }
    // The search's bounds: one colour scale from the first generation to the last, resumed
    // runs included.
    const auto [lo, hi] = factorBounds();
    h.zMin = lo;
    h.zMax = hi > lo ? hi : lo + 1e-6;
    h.zLabel = "rescale factor λᵢ (search bounds)";
    h.gradientStops = {{0.0, QColor(0x44, 0x01, 0x54)},
                       {0.5, QColor(0x21, 0x91, 0x8c)},
                       {1.0, QColor(0xfd, 0xe7, 0x25)}};
    m_heatmap->setHeatmap(h);
    m_heatmap->setYRange(-0.5, pairs - 0.5);
    showGenerations(g.x);
    showLiveBest(best);
  }
}

void SearchPanel::showCurves() {
  // A best and a mean curve per stage, in the order the stages ran.
  QStringList stages;
  for (const Generation& g : m_generations) {
    if (!stages.contains(g.stage)) stages << g.stage;
  }
  for (int s = 0; s < stages.size(); ++s) {
    QVector<double> xs, best, mean;
    for (const Generation& g : m_generations) {
      if (g.stage != stages[s]) continue;
      xs << g.x;
      best << g.best;
      mean << g.mean;
    }
    if (m_curves->curveCount() <= 2 * s) {
      const QString suffix = s == 0 ? QString() : QString(" (%1)").arg(stages[s]);
      CurveStyle b;
      b.color = s == 0 ? QColor(0xd6, 0x27, 0x28) : QColor(0x94, 0x67, 0xbd);
      if (stages[s] == "short") b.color = QColor(0x2c, 0xa0, 0x2c);
      b.pointSize = 5;
      CurveStyle m;
      m.color = QColor(0x1f, 0x77, 0xb4);
      m.penStyle = Qt::DashLine;
      m_curves->addCurve("best" + suffix, xs, best, b);
      m_curves->addCurve("mean" + suffix, xs, mean, m);
    } else {
      m_curves->setCurveData(2 * s, xs, best);
      m_curves->setCurveData(2 * s + 1, xs, mean);
    }
  }
  m_curves->rescaleAxes();
}

std::pair<double, double> SearchPanel::factorBounds() const {
  if (!m_params) return {1, 2};
  const double window = std::max(1, m_template.originalMaxPosition);
  double upper = m_params->lambdaMax > 0
                     ? m_params->lambdaMax
                     : m_params->lambdaMaxScale * m_params->targetLength / window;
  // Stage two multiplies stage one's factors by up to its own bound.
  if (m_params->stage2Target > 0) {
    upper *= m_params->lambdaMax > 0 ? m_params->lambdaMax
                                     : m_params->lambdaMaxScale * m_params->stage2Target /
                                           std::max(1, m_params->targetLength);
  }
  return {m_params->lambdaMin, upper};
}

void SearchPanel::showGenerations(int last) {
  const int first = m_generations.empty() ? 0 : std::min(m_generations.front().x, last);
  m_curves->setXRange(first - 0.5, std::max(last, first + 1) + 0.5);  // the others follow
}

void SearchPanel::showLiveBest(const FactorSet& best) {
  FactorSet set = best;
  set.name = kLiveSetName;
  set.method = "search";
  const int index = liveBestIndex();
  try {
    if (index < 0) {
      const FactorSetEntry entry = m_doc->makeEntry(set, std::nullopt);
      m_liveId = entry.id;
      m_doc->addSet(entry, "search best (live)");
    } else {
      set.name = m_doc->entry(index).set.name;  // unique, perhaps with a suffix
      constexpr int kLiveMergeKey = 7001;  // one undo step for all live updates
      m_doc->editSet(index, set, "search best (live)", kLiveMergeKey);
    }
  } catch (const std::exception& e) {
    m_frame->setStatus(QString("cannot show the best candidate: %1").arg(e.what()));
  }
}

int SearchPanel::liveBestIndex() const { return m_liveId ? m_doc->indexOfId(m_liveId) : -1; }

void SearchPanel::removeLiveBest() {
  // The live set previews a running search only; Adopt best is what keeps a result.
  const int index = liveBestIndex();
  m_liveId = 0;
  if (index >= 0) m_doc->removeSet(index);
}

void SearchPanel::onDone(const longrope::Result& r) {
  QString message;
  if (r.valid) {
    m_best = r.best;
    if (m_best->name.empty()) m_best->name = "search " + std::to_string(m_params->targetLength);
    message = QString("done: best perplexity %1 after %2 generations, %3 evaluations, %4 s")
                  .arg(r.bestPerplexity, 0, 'f', 3)
                  .arg(r.generations)
                  .arg(r.evaluations)
                  .arg(r.elapsedSeconds, 0, 'f', 1);
  } else if (r.status == longrope::Status::Cancelled) {
    // The best so far, once a generation has finished, can still be adopted.
    if (!r.best.factors.empty()) m_best = r.best;
    message =
        QString("cancelled after %1 candidates%2%3")
            .arg(m_scored)
            .arg(m_params && !m_params->checkpointPath.empty() ? " (resumable from the checkpoint)"
                                                               : "")
            .arg(m_best ? "; Adopt best keeps the best so far" : "");
  } else {
    message = "failed: " + QString::fromStdString(r.error);
  }
  removeLiveBest();
  m_frame->finished(message, r.valid);
  setRunning(false);
  emit finished(r.valid, message);
}

bool SearchPanel::adoptBest() {
  if (!m_best) return false;
  FactorSet set = *m_best;
  set.name = "search best " + std::to_string(set.targetLength);
  m_doc->addSet(m_doc->makeEntry(set, std::nullopt), "adopt search best");
  return true;
}

bool SearchPanel::exportCsv(const QString& path, QString* error) const {
  QSaveFile f(path);
  if (!f.open(QIODevice::WriteOnly | QIODevice::Text)) {
    if (error) *error = "cannot write " + path + ": " + f.errorString();
    return false;
  }
  f.write(searchHistoryCsv(m_generations).toUtf8());
  if (!f.commit()) {
    if (error) *error = "cannot write " + path + ": " + f.errorString();
    return false;
  }
  return true;
}

void SearchPanel::setRunning(bool running) {
  m_adopt->setEnabled(!running && m_best.has_value());
}

}  // namespace rope
