#include "factor_table_model.h"

#include <exception>

#include "factor_ops.h"
#include "workbench_document.h"

namespace rope {

FactorTableModel::FactorTableModel(WorkbenchDocument* doc, QObject* parent)
    : QAbstractTableModel(parent), m_doc(doc) {
  connect(doc, &WorkbenchDocument::changed, this, &FactorTableModel::refresh);
  refresh();
}

void FactorTableModel::refresh() {
  beginResetModel();
  m_spectrum = {};
  if (const FactorSetEntry* e = m_doc->activeEntry();
      e && static_cast<int>(e->set.factors.size()) == m_doc->model().pairs()) {
    const std::vector<double> f = baseInvFreq(m_doc->model().rope.base, m_doc->model().rotaryDim());
    RopeFrequencies fr;
    fr.factors = e->set.factors;
    for (size_t i = 0; i < f.size(); ++i) fr.invFreq.push_back(f[i] / e->set.factors[i]);
    m_spectrum = analyzeSpectrum(m_doc->model().rope.base, fr, m_doc->model().trainingWindow());
  }
  endResetModel();
}

int FactorTableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(m_spectrum.pairs.size());
}

int FactorTableModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : kColumnCount;
}

QVariant FactorTableModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount()) return {};
  const PairSpectrum& p = m_spectrum.pairs[index.row()];
  if (role == Qt::TextAlignmentRole) return int(Qt::AlignRight | Qt::AlignVCenter);
  if (role == Qt::ToolTipRole && index.column() == kFactor) {
    return QString("λ_%1 = f_i / inv_freq_i; edit to change it (undoable)").arg(p.pair);
  }
  if (role != Qt::DisplayRole && role != Qt::EditRole) return {};
  switch (index.column()) {
    case kPair:
      return p.pair;
    case kFrequency:
      return role == Qt::EditRole ? QVariant(p.frequency) : QString::number(p.frequency, 'g', 6);
    case kWavelength:
      return role == Qt::EditRole ? QVariant(p.wavelength) : QString::number(p.wavelength, 'f', 1);
    // Edited as text at full precision (the default double editor rounds to 2 decimals).
    case kFactor:
      return QString::number(p.factor, 'g', role == Qt::EditRole ? 17 : 8);
    case kEffectiveWavelength:
      return role == Qt::EditRole ? QVariant(p.effectiveWavelength)
                                  : QString::number(p.effectiveWavelength, 'f', 1);
  }
  return {};
}

QVariant FactorTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (role != Qt::DisplayRole || orientation != Qt::Horizontal) return {};
  switch (section) {
    case kPair:
      return "pair i";
    case kFrequency:
      return "f_i (rad/token)";
    case kWavelength:
      return "wavelength";
    case kFactor:
      return "λ_i";
    case kEffectiveWavelength:
      return "effective wavelength";
  }
  return {};
}

bool FactorTableModel::setData(const QModelIndex& index, const QVariant& value, int role) {
  if (!index.isValid() || role != Qt::EditRole || index.column() != kFactor) return false;
  bool ok = false;
  const double v = value.toDouble(&ok);
  m_lastError.clear();
  if (!ok || !(v > 0)) {
    m_lastError = QString("λ must be a positive number, got '%1'").arg(value.toString());
  } else {
    try {
      const FactorSetEntry* e = m_doc->activeEntry();
      m_doc->editFactors(m_doc->activeIndex(),
                         dragFactor(e->set.factors, index.row(), v, m_doc->enforceMonotone()),
                         QString("λ_%1 = %2").arg(index.row()).arg(v));
    } catch (const std::exception& ex) {
      m_lastError = QString::fromUtf8(ex.what());
    }
  }
  if (!m_lastError.isEmpty()) emit editRejected(m_lastError);
  return m_lastError.isEmpty();
}

Qt::ItemFlags FactorTableModel::flags(const QModelIndex& index) const {
  if (!index.isValid()) return Qt::NoItemFlags;
  Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
  if (index.column() == kFactor) f |= Qt::ItemIsEditable;
  return f;
}

}  // namespace rope
