#pragma once
// Choosing factor sets for a job: the set pickers of the Attention and Passkey tabs and the
// checkable lists of the Perplexity and Search tabs, refilled when the document changes
// without losing what the user had chosen.

#include <QStringList>
#include <functional>

class QComboBox;
class QListWidget;

namespace rope {

class WorkbenchDocument;

// "model's own RoPE (config)" then every set of the document.
QStringList setChoiceNames(const WorkbenchDocument& doc);

// Refills an A/B pair of pickers with setChoiceNames, keeping their positions; while both
// show the model's own RoPE, B moves to the first set (there is something to compare).
void fillSetPair(QComboBox* a, QComboBox* b, const WorkbenchDocument& doc);

// Refills a checkable list with names: names that were ticked stay ticked; on the first fill
// (an empty list) tickedAtFirst(index) decides.
void refillChecklist(QListWidget* list, const QStringList& names,
                     const std::function<bool(int index)>& tickedAtFirst);

}  // namespace rope
