#pragma once
// The active factor set as a table: pair, frequency f_i, wavelength, lambda_i (editable),
// effective wavelength (core's analyzeSpectrum). An edited lambda goes to the document as an
// undoable edit with the monotone rule of a drag.

#include <QAbstractTableModel>

#include "rope/rope_math.h"

namespace rope {

class WorkbenchDocument;

class FactorTableModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { kPair, kFrequency, kWavelength, kFactor, kEffectiveWavelength, kColumnCount };

  explicit FactorTableModel(WorkbenchDocument* doc, QObject* parent = nullptr);

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
  bool setData(const QModelIndex& index, const QVariant& value, int role) override;
  Qt::ItemFlags flags(const QModelIndex& index) const override;

  // The last edit the document refused (empty when it took it).
  QString lastError() const { return m_lastError; }

 signals:
  void editRejected(const QString& message);

 private:
  void refresh();

  WorkbenchDocument* m_doc;
  Spectrum m_spectrum;
  QString m_lastError;
};

}  // namespace rope
