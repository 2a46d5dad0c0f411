#pragma once
// The Recipe tab's options: the recipe::Params a recipe's results depend on (what recipe.json
// records: the lengths, the searches', the fine-tunings'), as controls holding core's
// defaults, as rope-cli extend has them. They go into Params for a run and show a recorded
// recipe's. The corpus field is as typed (empty: the demo corpus).

#include <QWidget>

#include "recipe/extend.h"

class QCheckBox;
class QDoubleSpinBox;
class QLineEdit;
class QSpinBox;

namespace rope {

class RecipeOptionsForm : public QWidget {
  Q_OBJECT
 public:
  explicit RecipeOptionsForm(QWidget* parent = nullptr);

  // The controls' options into p (every option but the corpus, which the panel resolves).
  void fill(recipe::Params& p) const;
  // A recipe's options in the controls (as near as they hold them); demoCorpus: its corpus
  // is the demo's (the field then stays empty). edited() is false until a control changes.
  void setOptions(const recipe::Params& p, bool demoCorpus);
  bool edited() const { return m_edited; }
  QString corpus() const;

  QSpinBox* target() const { return m_target; }
  QSpinBox* fineTuneLength() const { return m_fineTuneLength; }
  QSpinBox* population() const { return m_population; }
  QSpinBox* generations() const { return m_generations; }
  QSpinBox* samples() const { return m_samples; }
  QSpinBox* seed() const { return m_seed; }
  QCheckBox* passkeyScores() const { return m_passkeyScores; }
  QCheckBox* criticalFloor() const { return m_criticalFloor; }
  QSpinBox* steps() const { return m_steps; }
  QSpinBox* batch() const { return m_batch; }
  QDoubleSpinBox* learningRate() const { return m_learningRate; }
  QSpinBox* warmup() const { return m_warmup; }
  QDoubleSpinBox* passkeyShare() const { return m_passkeyShare; }
  QDoubleSpinBox* shortShare() const { return m_shortShare; }
  QCheckBox* keysByLength() const { return m_keysByLength; }
  QSpinBox* evalEvery() const { return m_evalEvery; }
  QSpinBox* refineSteps() const { return m_refineSteps; }
  QDoubleSpinBox* refineLearningRate() const { return m_refineLearningRate; }
  QLineEdit* corpusEdit() const { return m_corpus; }

 private:
  QSpinBox* m_target = nullptr;
  QSpinBox* m_fineTuneLength = nullptr;
  QSpinBox* m_population = nullptr;
  QSpinBox* m_generations = nullptr;
  QSpinBox* m_samples = nullptr;
  QSpinBox* m_seed = nullptr;
  QCheckBox* m_passkeyScores = nullptr;
  QCheckBox* m_criticalFloor = nullptr;
  QSpinBox* m_steps = nullptr;
  QSpinBox* m_batch = nullptr;
  QDoubleSpinBox* m_learningRate = nullptr;
  QSpinBox* m_warmup = nullptr;
  QDoubleSpinBox* m_passkeyShare = nullptr;
  QDoubleSpinBox* m_shortShare = nullptr;
  QCheckBox* m_keysByLength = nullptr;
  QSpinBox* m_evalEvery = nullptr;
  QSpinBox* m_refineSteps = nullptr;
  QDoubleSpinBox* m_refineLearningRate = nullptr;
  QLineEdit* m_corpus = nullptr;
  bool m_edited = false;
  bool m_setting = false;  // setOptions is changing the controls
};

}  // namespace rope
