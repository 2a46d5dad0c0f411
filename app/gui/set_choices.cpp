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

void fillSetPair(QComboBox* a, QComboBox* b, const WorkbenchDocument& doc) {
  const QStringList names = setChoiceNames(doc);
  for (QComboBox* box : {a, b}) {
    const int keep = box->currentIndex();
    box->clear();
    box->addItems(names);
    box->setCurrentIndex(keep >= 0 && keep < box->count() ? keep : 0);
  }
  if (b->count() > 1 && b->currentIndex() == 0 && a->currentIndex() == 0) b->setCurrentIndex(1);
}

void refillChecklist(QListWidget* list, const QStringList& names,
                     const std::function<bool(int index)>& tickedAtFirst) {
  QStringList ticked;
  for (int i = 0; i < list->count(); ++i) {
    if (list->item(i)->checkState() == Qt::Checked) ticked << list->item(i)->text();
  }
  const bool first = list->count() == 0;
  list->clear();
  for (int i = 0; i < names.size(); ++i) {
    auto* item = new QListWidgetItem(names[i], list);
    const bool on = first ? tickedAtFirst(i) : ticked.contains(names[i]);
    item->setCheckState(on ? Qt::Checked : Qt::Unchecked);
  }
}

}  // namespace rope
