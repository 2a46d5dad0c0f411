#include "set_choices.h"

#include <QComboBox>
#include <QListWidget>

#include "workbench_document.h"

namespace rope {

QStringList setChoiceNames(const WorkbenchDocument& doc) {
  QStringList names{"model's own RoPE (config)"};
  for (const FactorSetEntry& e : doc.sets()) names << QString::fromStdString(e.set.name);
  return names;
}

QList<quint64> setChoiceIds(const WorkbenchDocument& doc) {
  QList<quint64> ids{0};
  for (const FactorSetEntry& e : doc.sets()) ids << e.id;
  return ids;
}

void fillSetPair(QComboBox* a, QComboBox* b, const WorkbenchDocument& doc) {
  const QStringList names = setChoiceNames(doc);
  const QList<quint64> ids = setChoiceIds(doc);
  for (QComboBox* box : {a, b}) {
    const int keep = box->currentIndex();
    const QVariant keepId = box->currentData(kSetIdRole);
    box->clear();
    for (int i = 0; i < names.size(); ++i) box->addItem(names[i], QVariant::fromValue(ids[i]));
    const int same = keepId.isValid() ? box->findData(keepId, kSetIdRole) : -1;
    box->setCurrentIndex(same >= 0 ? same : keep >= 0 && keep < box->count() ? keep : 0);
  }
  if (b->count() > 1 && b->currentIndex() == 0 && a->currentIndex() == 0) b->setCurrentIndex(1);
}

void refillChecklist(QListWidget* list, const QStringList& names, const QList<quint64>& ids,
                     const std::function<bool(int index)>& tickedAtFirst) {
  QList<quint64> ticked;
  for (int i = 0; i < list->count(); ++i) {
    if (list->item(i)->checkState() == Qt::Checked) {
      ticked << list->item(i)->data(kSetIdRole).value<quint64>();
    }
  }
  const bool first = list->count() == 0;
  list->clear();
  for (int i = 0; i < names.size(); ++i) {
    auto* item = new QListWidgetItem(names[i], list);
    item->setData(kSetIdRole, QVariant::fromValue(ids.value(i)));
    const bool on = first ? tickedAtFirst(i) : ticked.contains(ids.value(i));
    item->setCheckState(on ? Qt::Checked : Qt::Unchecked);
  }
}

}  // namespace rope
