#include "factor_set_list_model.h"

#include <QFont>

#include "util/error.h"
#include "workbench_document.h"

namespace rope {

FactorSetListModel::FactorSetListModel(WorkbenchDocument* doc, QObject* parent)
    : QAbstractListModel(parent), m_doc(doc) {
  connect(doc, &WorkbenchDocument::modelAboutToBeReset, this, [this] { beginResetModel(); });
  connect(doc, &WorkbenchDocument::modelReset, this, [this] { endResetModel(); });
  connect(doc, &WorkbenchDocument::setAboutToBeInserted, this,
          [this](int i) { beginInsertRows({}, i, i); });
  connect(doc, &WorkbenchDocument::setInserted, this, [this] { endInsertRows(); });
  connect(doc, &WorkbenchDocument::setAboutToBeRemoved, this,
          [this](int i) { beginRemoveRows({}, i, i); });
  connect(doc, &WorkbenchDocument::setRemoved, this, [this] { endRemoveRows(); });
  connect(doc, &WorkbenchDocument::setChanged, this,
          [this](int i) { emit dataChanged(index(i), index(i)); });
  connect(doc, &WorkbenchDocument::activeChanged, this, [this] {
    if (rowCount() > 0) emit dataChanged(index(0), index(rowCount() - 1), {Qt::FontRole});
  });
}

int FactorSetListModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : m_doc->setCount();
}

QVariant FactorSetListModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= m_doc->setCount()) return {};
  const FactorSetEntry& e = m_doc->entry(index.row());
  switch (role) {
    case Qt::DisplayRole:
      return QString("%1  [%2%3]")
          .arg(QString::fromStdString(e.set.name), QString::fromStdString(e.set.method),
               e.edited ? ", edited" : "");
    case Qt::EditRole:  // rename in place (F2 or a double click)
      return QString::fromStdString(e.set.name);
    case Qt::DecorationRole:
      return e.color;
    case Qt::CheckStateRole:
      return e.visible ? Qt::Checked : Qt::Unchecked;
    case Qt::FontRole: {
      QFont font;
      font.setBold(index.row() == m_doc->activeIndex());
      return font;
    }
    case Qt::ToolTipRole:
      return QString("%1\nmethod: %2\ntarget window: %3\nn_hat: %4\nattention factor: %5%6")
          .arg(QString::fromStdString(e.set.name), QString::fromStdString(e.set.method))
          .arg(e.set.targetLength)
          .arg(e.set.nHat)
          .arg(e.set.attentionFactor ? QString::number(*e.set.attentionFactor, 'g', 6)
                                     : QString("derived"))
          .arg(index.row() == m_doc->activeIndex() ? "\n(active: edited in the factor editor)"
                                                   : "");
    default:
      return {};
  }
}

bool FactorSetListModel::setData(const QModelIndex& index, const QVariant& value, int role) {
  if (!index.isValid()) return false;
  if (role == Qt::EditRole) {
    try {
      m_doc->renameSet(index.row(), value.toString().trimmed().toStdString());
    } catch (const InputError&) {
      return false;  // empty, or another set's name: the old name stays
    }
    return true;
  }
  if (role != Qt::CheckStateRole) return false;
  m_doc->setVisible(index.row(), value.toInt() == Qt::Checked);
  return true;
}

Qt::ItemFlags FactorSetListModel::flags(const QModelIndex& index) const {
  if (!index.isValid()) return Qt::NoItemFlags;
  return Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsUserCheckable | Qt::ItemIsEditable;
}

}  // namespace rope
