#pragma once
// Choosing factor sets for a job: the set pickers of the Attention and Passkey tabs and the
// checkable lists of the Perplexity and Search tabs, refilled when the document changes
// without losing what the user had chosen.

#include <QList>
#include <QStringList>
#include <Qt>
#include <functional>

class QComboBox;
class QListWidget;

namespace rope {

class WorkbenchDocument;

// "model's own RoPE (config)" then every set of the document.
QStringList setChoiceNames(const WorkbenchDocument& doc);
// The ids of setChoiceNames: 0 (the model's own RoPE), then every set's id.
QList<quint64> setChoiceIds(const WorkbenchDocument& doc);

// The id an item of a picker or checklist stands for (Qt::UserRole).
constexpr int kSetIdRole = Qt::UserRole;

// Refills an A/B pair of pickers with setChoiceNames, each keeping the set it showed (by
// identity; a removed set's position otherwise); while both show the model's own RoPE, B
// moves to the first set (there is something to compare).
void fillSetPair(QComboBox* a, QComboBox* b, const WorkbenchDocument& doc);

// Refills a checkable list with names and their ids: the sets that were ticked stay ticked
// (by id, whatever their names); on the first fill (an empty list) tickedAtFirst(index)
// decides.
void refillChecklist(QListWidget* list, const QStringList& names, const QList<quint64>& ids,
                     const std::function<bool(int index)>& tickedAtFirst);

}  // namespace rope
