#pragma once
// The document's factor sets as a list: name and method (display), colour (decoration),
// visibility (check box, editable), active set (bold). Follows the document's signals.

#include <QAbstractListModel>

namespace rope {

class WorkbenchDocument;

class FactorSetListModel : public QAbstractListModel {
  Q_OBJECT
 public:
  explicit FactorSetListModel(WorkbenchDocument* doc, QObject* parent = nullptr);

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  bool setData(const QModelIndex& index, const QVariant& value, int role) override;
  Qt::ItemFlags flags(const QModelIndex& index) const override;

 private:
  WorkbenchDocument* m_doc;
};

}  // namespace rope
