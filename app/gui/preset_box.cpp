#include "preset_box.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>

#include "file_dialogs.h"

namespace rope {
namespace {

constexpr int kMaxWindow = 16 * 1024 * 1024;

QDoubleSpinBox* doubleSpin(double value, double lo, double hi) {
  auto* s = new QDoubleSpinBox;
  s->setRange(lo, hi);
  s->setDecimals(3);
  s->setValue(value);
  return s;
}

}  // namespace

PresetBox::PresetBox(FileDialogs* dialogs, QWidget* parent)
    : QGroupBox("New factor set from a method", parent), m_dialogs(dialogs) {
  m_form = new QFormLayout(this);
  m_method = new QComboBox;
  m_method->addItem("linear (Position Interpolation)", int(RopeMethod::Linear));
  m_method->addItem("NTK-aware (static)", int(RopeMethod::NtkStatic));
  m_method->addItem("dynamic NTK at a length", int(RopeMethod::Dynamic));
  m_method->addItem("YaRN", int(RopeMethod::Yarn));
  m_method->addItem("llama3", int(RopeMethod::Llama3));
  m_method->addItem("LongRoPE from a file", int(RopeMethod::LongRope));
  m_method->addItem("original (λ = 1)", int(RopeMethod::Default));
  m_form->addRow("Method", m_method);

  m_target = new QSpinBox;
  m_target->setRange(1, kMaxWindow);
  m_target->setSingleStep(1024);
  m_target->setValue(16384);
  m_form->addRow("Target window", m_target);

  m_dynamicLength = new QSpinBox;
  m_dynamicLength->setRange(0, kMaxWindow);
  m_dynamicLength->setSpecialValueText("target window");
  m_dynamicLength->setSingleStep(1024);
  m_form->addRow("Evaluated at length", m_dynamicLength);

  m_betaFast = doubleSpin(32, 0.001, 1e6);
  m_betaSlow = doubleSpin(1, 0.001, 1e6);
  m_form->addRow("β fast", m_betaFast);
  m_form->addRow("β slow", m_betaSlow);
  m_lowFreq = doubleSpin(1, 0.001, 1e6);
  m_highFreq = doubleSpin(4, 0.001, 1e6);
  m_form->addRow("low_freq_factor", m_lowFreq);
  m_form->addRow("high_freq_factor", m_highFreq);

  m_fileRow = new QWidget;
  auto* fileLayout = new QHBoxLayout(m_fileRow);
  fileLayout->setContentsMargins(0, 0, 0, 0);
  m_file = new QLineEdit;
  m_file->setPlaceholderText("CSV, project JSON or config.json");
  auto* browse = new QPushButton("Browse…");
  fileLayout->addWidget(m_file);
  fileLayout->addWidget(browse);
  m_form->addRow("Factor file", m_fileRow);

  auto* add = new QPushButton("Add factor set");
  m_form->addRow(add);

  connect(m_method, &QComboBox::currentIndexChanged, this, &PresetBox::updateVisibleFields);
  connect(m_target, &QSpinBox::valueChanged, this, &PresetBox::updateVisibleFields);
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString path = m_dialogs->openFile("LongRoPE factors", m_file->text(),
                                             "Factor files (*.csv *.txt *.json);;All files (*)");
    if (!path.isEmpty()) m_file->setText(path);
  });
  connect(add, &QPushButton::clicked, this, [this] { emit presetRequested(request()); });
  updateVisibleFields();
}

PresetRequest PresetBox::request() const {
  PresetRequest r;
  r.method = static_cast<RopeMethod>(m_method->currentData().toInt());
  r.targetWindow = m_target->value();
  r.dynamicLength = m_dynamicLength->value();
  r.betaFast = m_betaFast->value();
  r.betaSlow = m_betaSlow->value();
  r.lowFreqFactor = m_lowFreq->value();
  r.highFreqFactor = m_highFreq->value();
  r.longRopeFile = m_file->text().trimmed().toStdString();
  return r;
}

void PresetBox::setTrainingWindow(int window) {
  m_trainingWindow = window;
  updateVisibleFields();
}

void PresetBox::setTargetWindow(int window) { m_target->setValue(window); }

void PresetBox::setMethod(RopeMethod method) {
  m_method->setCurrentIndex(m_method->findData(int(method)));
}

void PresetBox::setLongRopeFile(const QString& path) { m_file->setText(path); }

void PresetBox::updateVisibleFields() {
  const auto m = static_cast<RopeMethod>(m_method->currentData().toInt());
  m_form->setRowVisible(m_dynamicLength, m == RopeMethod::Dynamic);
  m_form->setRowVisible(m_betaFast, m == RopeMethod::Yarn);
  m_form->setRowVisible(m_betaSlow, m == RopeMethod::Yarn);
  m_form->setRowVisible(m_lowFreq, m == RopeMethod::Llama3);
  m_form->setRowVisible(m_highFreq, m == RopeMethod::Llama3);
  m_form->setRowVisible(m_fileRow, m == RopeMethod::LongRope);
  m_form->setRowVisible(m_target, m != RopeMethod::Default);
  m_target->setToolTip(QString("s = target / training window = %1 / %2 = %3")
                           .arg(m_target->value())
                           .arg(m_trainingWindow)
                           .arg(double(m_target->value()) / m_trainingWindow, 0, 'g', 4));
}

}  // namespace rope
