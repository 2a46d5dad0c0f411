#pragma once
// Spin boxes as the job tabs make them: range, value and tooltip in one call.

#include <QDoubleSpinBox>
#include <QSpinBox>
#include <QString>

namespace rope {

inline QSpinBox* makeSpinBox(int lo, int hi, int value, const QString& tip = {}) {
  auto* s = new QSpinBox;
  s->setRange(lo, hi);
  s->setValue(value);
  if (!tip.isEmpty()) s->setToolTip(tip);
  return s;
}

inline QDoubleSpinBox* makeDoubleSpinBox(double lo, double hi, double step, int decimals,
                                         double value, const QString& tip = {}) {
  auto* s = new QDoubleSpinBox;
  s->setRange(lo, hi);
  s->setSingleStep(step);
  s->setDecimals(decimals);
  s->setValue(value);
  if (!tip.isEmpty()) s->setToolTip(tip);
  return s;
}

}  // namespace rope
