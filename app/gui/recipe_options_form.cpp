#include "recipe_options_form.h"

#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLineEdit>
#include <QSpinBox>
#include <QVBoxLayout>
#include <algorithm>

#include "spin_boxes.h"

namespace rope {

RecipeOptionsForm::RecipeOptionsForm(QWidget* parent) : QWidget(parent) {
  const recipe::Params defaults;  // core's defaults, as rope-cli extend has them
  m_target = makeSpinBox(3, 1 << 24, 4096, "L'': the final context, searched in stage 3 (tokens)");
  m_fineTuneLength =
      makeSpinBox(0, 1 << 24, defaults.fineTuneLength,
                  "L': stage 1's target and the fine-tuning context (tokens); longer "
                  "than the model's window, shorter than L''");
  m_fineTuneLength->setSpecialValueText("target / 4");
  m_population =
      makeSpinBox(2, 4096, defaults.population, "Candidates per generation, every search");
  m_generations = makeSpinBox(1, 1000, defaults.generations, "Generations of every search");
  m_samples = makeSpinBox(1, 1000, defaults.samples, "Documents per evaluation");
  m_seed = makeSpinBox(0, 1 << 30, static_cast<int>(defaults.seed), "Random seed");
  m_passkeyScores = new QCheckBox("Passkey scores in stage 3");
  m_passkeyScores->setChecked(defaults.passkeyScores);
  m_passkeyScores->setToolTip(
      "The second search also scores the key tokens of passkey prompts "
      "at L' and L'' (else perplexity at both only)");
  m_criticalFloor = new QCheckBox("Critical floor in stages 1 and 3");
  m_criticalFloor->setChecked(defaults.criticalFloor);
  m_criticalFloor->setToolTip(
      "Hold the pairs whose wavelength exceeds the original window at s or more "
      "(LongRoPE2's critical dimension): they never completed a rotation in pretraining");
  m_steps = makeSpinBox(1, 1000000, defaults.steps, "Optimizer steps of the fine-tuning");
  m_batch = makeSpinBox(1, 4096, defaults.batch, "Sequences of L' tokens per step");
  m_learningRate = makeDoubleSpinBox(1e-6, 1, 1e-4, 6, defaults.learningRate, "Peak learning rate");
  m_warmup = makeSpinBox(0, 1000000, defaults.warmupSteps, "Linear warmup steps");
  m_passkeyShare = makeDoubleSpinBox(0, 1, 0.05, 2, defaults.passkeyShare,
                                     "Share of training sequences with a passkey snippet at L'");
  m_shortShare =
      makeDoubleSpinBox(0, 0.95, 0.05, 2, defaults.shortShare,
                        "Share of each step's sequences replaced by windows at the model's "
                        "original window, read with the short factors (mixed-length "
                        "fine-tuning); 0: every sequence at L'");
  m_keysByLength = new QCheckBox("Passkeys of every length alike");
  m_keysByLength->setChecked(defaults.passkeyKeysByLength);
  m_keysByLength->setToolTip(
      "Training keys get a digit count uniform in 1..5 first (else keys uniform in 1..50000, "
      "80% of five digits, as the passkey test draws them)");
  m_refineSteps =
      makeSpinBox(0, 1000000, defaults.refineSteps,
                  "Steps of stage 5, the second fine-tuning at L' with the final factors "
                  "(stage 3's long, stage 4's short); 0: no stage 5 (the paper's recipe)");
  m_refineLearningRate = makeDoubleSpinBox(1e-6, 1, 1e-4, 6, defaults.refineLearningRate,
                                           "Peak learning rate of stage 5");
  m_evalEvery = makeSpinBox(1, 1000000, defaults.evalEvery, "Validation every N steps");
  m_corpus = new QLineEdit;
  m_corpus->setPlaceholderText("kjv (the demo corpus)");
  m_corpus->setToolTip("A prepared corpus folder (train/, validation/); empty: the demo's");

  auto* searches = new QFormLayout;
  searches->addRow("Population", m_population);
  searches->addRow("Generations", m_generations);
  searches->addRow("Samples", m_samples);
  searches->addRow("Seed", m_seed);
  searches->addRow(m_passkeyScores);
  searches->addRow(m_criticalFloor);
  auto* searchBox = new QGroupBox("Searches (stages 1, 3, 4)");
  searchBox->setLayout(searches);
  auto* tuning = new QFormLayout;
  tuning->addRow("Steps", m_steps);
  tuning->addRow("Batch", m_batch);
  tuning->addRow("Learning rate", m_learningRate);
  tuning->addRow("Warmup", m_warmup);
  tuning->addRow("Passkey share", m_passkeyShare);
  tuning->addRow("Short share", m_shortShare);
  tuning->addRow(m_keysByLength);
  tuning->addRow("Validate every", m_evalEvery);
  tuning->addRow("Stage 5 steps", m_refineSteps);
  tuning->addRow("Stage 5 learning rate", m_refineLearningRate);
  tuning->addRow("Corpus", m_corpus);
  auto* tuningBox = new QGroupBox("Fine-tuning (stages 2, 5)");
  tuningBox->setLayout(tuning);
  auto* lengths = new QFormLayout;
  lengths->addRow("Target L''", m_target);
  lengths->addRow("Fine-tune at L'", m_fineTuneLength);
  auto* column = new QVBoxLayout(this);
  column->setContentsMargins(0, 0, 0, 0);
  column->addLayout(lengths);
  column->addWidget(searchBox);
  column->addWidget(tuningBox);

  auto changed = [this] { m_edited = m_edited || !m_setting; };
  for (auto* s : findChildren<QSpinBox*>()) connect(s, &QSpinBox::valueChanged, this, changed);
  for (auto* s : findChildren<QDoubleSpinBox*>()) {
    connect(s, &QDoubleSpinBox::valueChanged, this, changed);
  }
  for (auto* c : findChildren<QCheckBox*>()) connect(c, &QCheckBox::toggled, this, changed);
  connect(m_corpus, &QLineEdit::textChanged, this, changed);
}

void RecipeOptionsForm::fill(recipe::Params& p) const {
  p.target = m_target->value();
  p.fineTuneLength = m_fineTuneLength->value();
  p.samples = m_samples->value();
  p.population = m_population->value();
  p.generations = m_generations->value();
  p.seed = static_cast<std::uint64_t>(m_seed->value());
  p.passkeyScores = m_passkeyScores->isChecked();
  p.criticalFloor = m_criticalFloor->isChecked();
  p.steps = m_steps->value();
  p.batch = m_batch->value();
  p.learningRate = m_learningRate->value();
  p.warmupSteps = m_warmup->value();
  p.passkeyShare = m_passkeyShare->value();
  p.shortShare = m_shortShare->value();
  p.passkeyKeysByLength = m_keysByLength->isChecked();
  p.evalEvery = m_evalEvery->value();
  p.refineSteps = m_refineSteps->value();
  p.refineLearningRate = m_refineLearningRate->value();
}

void RecipeOptionsForm::setOptions(const recipe::Params& o, bool demoCorpus) {
  m_setting = true;
  m_target->setValue(o.target);
  m_fineTuneLength->setValue(o.fineTuneLength);
  m_population->setValue(o.population);
  m_generations->setValue(o.generations);
  m_samples->setValue(o.samples);
  m_seed->setValue(static_cast<int>(std::min<std::uint64_t>(o.seed, m_seed->maximum())));
  m_passkeyScores->setChecked(o.passkeyScores);
  m_criticalFloor->setChecked(o.criticalFloor);
  m_steps->setValue(o.steps);
  m_batch->setValue(o.batch);
  m_learningRate->setValue(o.learningRate);
  m_warmup->setValue(o.warmupSteps);
  m_passkeyShare->setValue(o.passkeyShare);
  m_shortShare->setValue(o.shortShare);
  m_keysByLength->setChecked(o.passkeyKeysByLength);
  m_evalEvery->setValue(o.evalEvery);
  m_refineSteps->setValue(o.refineSteps);
  m_refineLearningRate->setValue(o.refineLearningRate);
  m_corpus->setText(demoCorpus ? QString() : QString::fromStdString(o.corpusDir));
  m_setting = false;
  m_edited = false;
}

QString RecipeOptionsForm::corpus() const { return m_corpus->text().trimmed(); }

}  // namespace rope
