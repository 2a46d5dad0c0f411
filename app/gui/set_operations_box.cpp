#include "set_operations_box.h"

#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>

#include "workbench_document.h"

namespace rope {
namespace {

QDoubleSpinBox* spin(double value, double lo, double hi, int decimals) {
  auto* s = new QDoubleSpinBox;
  s->setRange(lo, hi);
  s->setDecimals(decimals);
  s->setValue(value);
  return s;
}

}  // namespace

SetOperationsBox::SetOperationsBox(QWidget* parent) : QGroupBox("Active set", parent) {
  auto* grid = new QGridLayout(this);
  m_name = new QLabel;
  m_name->setWordWrap(true);
  grid->addWidget(m_name, 0, 0, 1, 3);

  m_scale = spin(1.25, 0.001, 1000, 3);
  auto* scale = new QPushButton("Scale");
  scale->setToolTip("Multiply every λ_i by k");
  grid->addWidget(new QLabel("k"), 1, 0);
  grid->addWidget(m_scale, 1, 1);
  grid->addWidget(scale, 1, 2);

  m_radius = new QSpinBox;
  m_radius->setRange(1, 64);
  m_radius->setValue(2);
  auto* smooth = new QPushButton("Smooth");
  smooth->setToolTip("Moving average of log λ over 2r+1 pairs");
  grid->addWidget(new QLabel("radius"), 2, 0);
  grid->addWidget(m_radius, 2, 1);
  grid->addWidget(smooth, 2, 2);

  m_lower = spin(1.0, 0.001, 1e6, 3);
  m_upper = spin(64.0, 0.001, 1e6, 3);
  auto* clamp = new QPushButton("Clamp");
  grid->addWidget(new QLabel("range"), 3, 0);
  auto* range = new QWidget;
  auto* rangeLayout = new QHBoxLayout(range);
  rangeLayout->setContentsMargins(0, 0, 0, 0);
  rangeLayout->addWidget(m_lower);
  rangeLayout->addWidget(m_upper);
  grid->addWidget(range, 3, 1);
  grid->addWidget(clamp, 3, 2);

  m_reset = new QPushButton("Reset to its preset");
  grid->addWidget(m_reset, 4, 0, 1, 3);

  m_nHat = new QSpinBox;
  m_nHat->setRange(0, 1 << 24);
  m_nHat->setToolTip("LongRoPE paper: the first n_hat positions keep the original RoPE");
  grid->addWidget(new QLabel("n_hat"), 5, 0);
  grid->addWidget(m_nHat, 5, 1, 1, 2);

  m_explicitAttention = new QCheckBox("explicit");
  m_explicitAttention->setToolTip("Off: derived by LongRoPE's rule sqrt(1 + ln(s)/ln(L))");
  m_attention = spin(1.0, 0.001, 100, 6);
  grid->addWidget(new QLabel("attention factor"), 6, 0);
  grid->addWidget(m_attention, 6, 1);
  grid->addWidget(m_explicitAttention, 6, 2);

  connect(scale, &QPushButton::clicked, this, [this] { emit scaleRequested(m_scale->value()); });
  connect(smooth, &QPushButton::clicked, this, [this] { emit smoothRequested(m_radius->value()); });
  connect(clamp, &QPushButton::clicked, this,
          [this] { emit clampRequested(m_lower->value(), m_upper->value()); });
  connect(m_reset, &QPushButton::clicked, this, &SetOperationsBox::resetRequested);
  connect(m_nHat, &QSpinBox::editingFinished, this,
          [this] { emit nHatRequested(m_nHat->value()); });
  auto attention = [this] {
    m_attention->setEnabled(m_explicitAttention->isChecked());
    emit attentionFactorRequested(m_explicitAttention->isChecked()
                                      ? std::optional<double>(m_attention->value())
                                      : std::nullopt);
  };
  connect(m_attention, &QDoubleSpinBox::editingFinished, this, attention);
  connect(m_explicitAttention, &QCheckBox::toggled, this, attention);
  showEntry(nullptr);
}

void SetOperationsBox::showEntry(const FactorSetEntry* e) {
  setEnabled(e != nullptr);
  const QSignalBlocker b1(m_nHat), b2(m_explicitAttention), b3(m_attention);
  if (!e) {
    m_name->setText("No active set: select one in the project list.");
    return;
  }
  m_name->setText(QString("<b>%1</b> (%2%3)")
                      .arg(QString::fromStdString(e->set.name).toHtmlEscaped(),
                           QString::fromStdString(e->set.method), e->edited ? ", edited" : ""));
  m_reset->setEnabled(e->origin.has_value());
  m_nHat->setValue(e->set.nHat);
  m_explicitAttention->setChecked(e->set.attentionFactor.has_value());
  m_attention->setEnabled(e->set.attentionFactor.has_value());
  if (e->set.attentionFactor) m_attention->setValue(*e->set.attentionFactor);
}

}  // namespace rope
