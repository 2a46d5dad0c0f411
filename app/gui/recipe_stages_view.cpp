#include "recipe_stages_view.h"

#include <QGridLayout>
#include <QHeaderView>
#include <QTableWidget>
#include <algorithm>
#include <cmath>
#include <iterator>

#include "scientific_plot.h"

namespace rope {
namespace {

enum Column { kStageColumn, kStateColumn, kProgressColumn, kResultColumn, kColumns };

// One colour and name per search stage (stages one, three and four), as the table lists them.
QColor searchColor(int stage) {
  switch (stage) {
    case 0:
      return QColor(0xd6, 0x27, 0x28);
    case 2:
      return QColor(0x94, 0x67, 0xbd);
    default:
      return QColor(0x2c, 0xa0, 0x2c);
  }
}

const char* searchCurveName(int stage) {
  switch (stage) {
    case 0:
      return "1 search";
    case 2:
      return "3 search again";
    default:
      return "4 short readjust";
  }
}

}  // namespace

QString RecipeStagesView::stateName(State state) {
  switch (state) {
    case State::Waiting:
      return "waiting";
    case State::Running:
      return "running";
    case State::Done:
      return "done";
    case State::DoneEarlier:
      return "done earlier";
    case State::Stopped:
      return "stopped";
  }
  return {};
}

QString RecipeStagesView::costText(const recipe::StageCost& c) {
  const QString time = QString("%1 s").arg(c.seconds, 0, 'f', 0);
  if (recipe::isFineTuning(c.stage)) {
    return QString("validation ppl %1 · %2 steps · %3")
        .arg(c.bestPerplexity, 0, 'f', 3)
        .arg(c.steps)
        .arg(time);
  }
  return QString("ppl %1 · %2 evaluations · %3")
      .arg(c.bestPerplexity, 0, 'f', 3)
      .arg(c.evaluations)
      .arg(time);
}

RecipeStagesView::RecipeStagesView(QWidget* parent)
    : QWidget(parent),
      m_table(new QTableWidget(kStages, kColumns)),
      m_loss(new ScientificPlot),
      m_search(new ScientificPlot) {
  m_table->setHorizontalHeaderLabels({"Stage", "State", "Progress", "Result"});
  m_table->verticalHeader()->hide();
  m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_table->setSelectionMode(QAbstractItemView::NoSelection);
  m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  m_table->horizontalHeader()->setSectionResizeMode(kResultColumn, QHeaderView::Stretch);
  m_table->setSizeAdjustPolicy(QAbstractScrollArea::AdjustToContents);
  m_table->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  // The stages' rows and nothing below them: the plots get the height.
  m_table->setFixedHeight(m_table->horizontalHeader()->sizeHint().height() +
                          kStages * m_table->verticalHeader()->defaultSectionSize() +
                          2 * m_table->frameWidth());

  m_loss->setTitle("Fine-tuning loss");
  m_loss->setAxisLabels("step", "loss (nats per token)");
  m_loss->setCaption(QString("Training loss per step and its mean over %1 steps; validation "
                             "loss at every validation step, at L' and at the original window.")
                         .arg(kMeanSteps),
                     "views-recipe");
  m_loss->setEmptyHint("The loss appears here while stages 2 and 5 fine-tune");
  m_loss->setLegendColumns(2);
  m_search->setTitle("Best perplexity per generation");
  m_search->setAxisLabels("generation", "perplexity");
  m_search->setYScale(AxisScale::Log);
  m_search->setCaption(
      "Each search stage at its own length: stage 1 at the fine-tuning length, stage 3 at "
      "the target, stage 4 at the original window.",
      "views-recipe");
  m_search->setEmptyHint("The searches' best perplexity appears here per generation");

  auto* layout = new QGridLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_table, 0, 0);
  layout->addWidget(m_loss, 1, 0);
  layout->addWidget(m_search, 1, 1);
  layout->setRowStretch(1, 1);
  layout->setColumnStretch(0, 1);
  layout->setColumnStretch(1, 1);
  reset({"1  search", "2  fine-tune", "3  search again", "4  short readjust", "5  fine-tune again"},
        {});
}

void RecipeStagesView::setResultWidget(QWidget* widget) {
  static_cast<QGridLayout*>(layout())->addWidget(widget, 0, 1);
}

void RecipeStagesView::reset(const std::array<QString, kStages>& names,
                             const std::array<bool, kStages>& doneEarlier) {
  for (int s = 0; s < kStages; ++s) {
    setCell(s, kStageColumn, names[s]);
    setCell(s, kProgressColumn, {});
    setCell(s, kResultColumn, {});
    m_states[s] = doneEarlier[s] ? State::DoneEarlier : State::Waiting;
    showState(s);
    m_generations[s].clear();
    m_bests[s].clear();
    m_searchCurve[s] = -1;
  }
  m_steps.clear();
  m_losses.clear();
  m_validSteps.clear();
  m_validLosses.clear();
  m_windowSteps.clear();
  m_windowLosses.clear();
  m_segmentStarts.clear();
  m_loss->clear();
  m_search->clear();
}

void RecipeStagesView::showRecord(const recipe::Record& record,
                                  const std::array<QString, kStages>& names, bool resuming) {
  std::array<bool, kStages> finished{};
  for (int s = 0; s < kStages; ++s) finished[s] = record.stages[s].cost.has_value();
  reset(names, finished);
  for (int s = 0; s < kStages; ++s) {
    const recipe::StageRecord& st = record.stages[s];
    if (st.cost) {
      setStageResult(s, State::DoneEarlier, costText(*st.cost));
    } else if (st.started && !resuming) {
      setStageResult(s, State::Stopped,
                     QString::fromStdString(recipe::stoppedAt(st, recipe::Stage(s))));
    }
    if (st.cost || !resuming) {
      for (const GenerationSummary& g : st.generations) {
        addSearchGeneration(s, g.generation, g.best);
      }
    }
    // One loss curve over both fine-tunings; a resumed fine-tuning goes on from its
    // checkpoint, the last step its log holds. Drawn once, below.
    const int offset = s == int(recipe::Stage::Refine) ? record.options.steps : 0;
    if (offset > 0 && !st.losses.training.empty()) m_segmentStarts.insert(offset + 1);
    for (const LossPoint& p : st.losses.training) {
      append(m_steps, m_losses, offset + p.step, p.loss);
    }
    for (const LossPoint& p : st.losses.validation) {
      append(m_validSteps, m_validLosses, offset + p.step, p.loss);
    }
    for (const LossPoint& p : st.losses.shortValidation) {
      append(m_windowSteps, m_windowLosses, offset + p.step, p.loss);
    }
  }
  showLoss();
}

void RecipeStagesView::append(QVector<double>& steps, QVector<double>& losses, int step,
                              double loss) {
  if (!std::isfinite(loss)) return;
  steps << step;
  losses << loss;
}

void RecipeStagesView::setRunning(int stage) {
  for (int s = 0; s < kStages; ++s) {
    if (s < stage && m_states[s] != State::DoneEarlier) m_states[s] = State::Done;
    if (s == stage) m_states[s] = State::Running;
    showState(s);
  }
}

void RecipeStagesView::setStageProgress(int stage, double fraction, const QString& text) {
  setCell(stage, kProgressColumn,
          QString("%1%  %2").arg(std::lround(100 * std::clamp(fraction, 0.0, 1.0))).arg(text));
}

void RecipeStagesView::setStageResult(int stage, State state, const QString& text) {
  m_states[stage] = state;
  showState(stage);
  if (state == State::Done || state == State::DoneEarlier) setCell(stage, kProgressColumn, {});
  setCell(stage, kResultColumn, text);
}

void RecipeStagesView::stopRunning() {
  const int stage = runningStage();
  if (stage < 0) return;
  m_states[stage] = State::Stopped;
  showState(stage);
}

int RecipeStagesView::runningStage() const {
  for (int s = 0; s < kStages; ++s) {
    if (m_states[s] == State::Running) return s;
  }
  return -1;
}

void RecipeStagesView::addTrainingLoss(int step, double loss) {
  append(m_steps, m_losses, step, loss);
  showLoss();
}

void RecipeStagesView::addValidationLoss(int step, double loss) {
  append(m_validSteps, m_validLosses, step, loss);
  showLoss();
}

void RecipeStagesView::startLossSegment(int firstStep) {
  if (!m_segmentStarts.insert(firstStep).second) return;
  showLoss();
}

void RecipeStagesView::addWindowLoss(int step, double loss) {
  append(m_windowSteps, m_windowLosses, step, loss);
  showLoss();
}

void RecipeStagesView::showLoss() {
  // The mean of the last kMeanSteps steps of the point's segment (one per fine-tuning).
  QVector<double> mean(m_losses.size());
  double sum = 0;
  int first = 0;  // the segment's first point
  for (int i = 0; i < m_losses.size(); ++i) {
    const auto start = m_segmentStarts.upper_bound(int(m_steps[i]));
    const bool newSegment =
        i > 0 && start != m_segmentStarts.begin() && *std::prev(start) > int(m_steps[i - 1]);
    if (newSegment) {
      sum = 0;
      first = i;
    }
    sum += m_losses[i] - (i - first >= kMeanSteps ? m_losses[i - kMeanSteps] : 0.0);
    mean[i] = sum / std::min(i - first + 1, kMeanSteps);
  }
  if (m_loss->curveCount() == 0) {
    if (m_steps.isEmpty() && m_validSteps.isEmpty()) return;
    CurveStyle training;
    training.color = QColor(0x1f, 0x77, 0xb4, 0x80);
    training.width = 1;
    CurveStyle validation;
    validation.color = QColor(0xd6, 0x27, 0x28);
    validation.line = false;
    validation.pointSize = 8;
    CurveStyle smooth;
    smooth.color = QColor(0x08, 0x30, 0x6b);
    smooth.width = 2.2;
    m_loss->addCurve("training loss", m_steps, m_losses, training);
    m_loss->addCurve("validation loss at L'", m_validSteps, m_validLosses, validation);
    m_loss->addCurve(QString("training loss, mean of %1 steps").arg(kMeanSteps), m_steps, mean,
                     smooth);
    CurveStyle window = validation;
    window.color = QColor(0xff, 0x7f, 0x0e);
    window.pointSize = 7;
    m_loss->addCurve("validation loss at the window", m_windowSteps, m_windowLosses, window);
  } else {
    m_loss->setCurveData(0, m_steps, m_losses);
    m_loss->setCurveData(1, m_validSteps, m_validLosses);
    m_loss->setCurveData(2, m_steps, mean);
    m_loss->setCurveData(3, m_windowSteps, m_windowLosses);
  }
  m_loss->rescaleAxes();
}

void RecipeStagesView::addSearchGeneration(int stage, int generation, double best) {
  if (!std::isfinite(best) || best <= 0) return;
  m_generations[stage] << generation;
  m_bests[stage] << best;
  if (m_searchCurve[stage] < 0) {
    CurveStyle style;
    style.color = searchColor(stage);
    style.pointSize = 5;
    m_searchCurve[stage] =
        m_search->addCurve(searchCurveName(stage), m_generations[stage], m_bests[stage], style);
  } else {
    m_search->setCurveData(m_searchCurve[stage], m_generations[stage], m_bests[stage]);
  }
  m_search->rescaleAxes();
}

void RecipeStagesView::setCell(int row, int column, const QString& text) {
  QTableWidgetItem* item = m_table->item(row, column);
  if (!item) {
    item = new QTableWidgetItem;
    m_table->setItem(row, column, item);
  }
  item->setText(text);
  item->setToolTip(text);
}

void RecipeStagesView::showState(int stage) {
  setCell(stage, kStateColumn, stateName(m_states[stage]));
  QTableWidgetItem* item = m_table->item(stage, kStateColumn);
  QFont font = item->font();
  font.setBold(m_states[stage] == State::Running);
  item->setFont(font);
}

}  // namespace rope
