#pragma once
// The "New factor set" box of the factor editor: a method of the core with its parameters
// and a target window; emits the request, the panel makes the set.

#include <QGroupBox>

#include "preset_factory.h"

class QComboBox;
class QSpinBox;
class QDoubleSpinBox;
class QLineEdit;
class QPushButton;
class QFormLayout;

namespace rope {

class FileDialogs;

class PresetBox : public QGroupBox {
  Q_OBJECT
 public:
  PresetBox(FileDialogs* dialogs, QWidget* parent = nullptr);

  PresetRequest request() const;
  void setTrainingWindow(int window);
  void setTargetWindow(int window);
  // For tests and settings: the method combo.
  void setMethod(RopeMethod method);
  void setLongRopeFile(const QString& path);

 signals:
  void presetRequested(const rope::PresetRequest& request);

 private:
  void updateVisibleFields();

  FileDialogs* m_dialogs;
  QFormLayout* m_form = nullptr;
  QComboBox* m_method = nullptr;
  QSpinBox* m_target = nullptr;
  QSpinBox* m_dynamicLength = nullptr;
  QDoubleSpinBox* m_betaFast = nullptr;
  QDoubleSpinBox* m_betaSlow = nullptr;
  QDoubleSpinBox* m_lowFreq = nullptr;
  QDoubleSpinBox* m_highFreq = nullptr;
  QLineEdit* m_file = nullptr;
  QWidget* m_fileRow = nullptr;
  int m_trainingWindow = 4096;
};

}  // namespace rope
