#pragma once
// The "Active set" box of the factor editor: scale, smooth, clamp, reset to its preset, and
// the n_hat and attention factor fields. Emits what the user asked for; the panel applies it
// through the document (undoable).

#include <QGroupBox>
#include <optional>

class QDoubleSpinBox;
class QSpinBox;
class QCheckBox;
class QPushButton;
class QLabel;

namespace rope {

struct FactorSetEntry;

class SetOperationsBox : public QGroupBox {
  Q_OBJECT
 public:
  explicit SetOperationsBox(QWidget* parent = nullptr);

  // Shows the active set's fields (nullptr: none, the box is disabled). Emits nothing.
  void showEntry(const FactorSetEntry* entry);

 signals:
  void scaleRequested(double k);
  void smoothRequested(int radius);
  void clampRequested(double lower, double upper);
  void resetRequested();
  void nHatRequested(int nHat);
  void attentionFactorRequested(std::optional<double> factor);

 private:
  QLabel* m_name = nullptr;
  QDoubleSpinBox* m_scale = nullptr;
  QSpinBox* m_radius = nullptr;
  QDoubleSpinBox* m_lower = nullptr;
  QDoubleSpinBox* m_upper = nullptr;
  QPushButton* m_reset = nullptr;
  QSpinBox* m_nHat = nullptr;
  QCheckBox* m_explicitAttention = nullptr;
  QDoubleSpinBox* m_attention = nullptr;
};

}  // namespace rope
