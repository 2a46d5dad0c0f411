#pragma once
// The undo commands of the workbench document: change a set's content, insert a set, remove
// one. Each stores what it needs to go both ways; the document applies them.

#include <QUndoCommand>

#include "workbench_document.h"

namespace rope {

class ChangeSetCommand : public QUndoCommand {
 public:
  // mergeKey >= 0: consecutive commands with the same key on the same set merge.
  ChangeSetCommand(WorkbenchDocument* doc, int index, FactorSetContent before,
                   FactorSetContent after, const QString& text, int mergeKey);
  void undo() override;
  void redo() override;
  int id() const override { return m_mergeKey; }
  bool mergeWith(const QUndoCommand* other) override;

 private:
  WorkbenchDocument* m_doc;
  int m_index;
  FactorSetContent m_before;
  FactorSetContent m_after;
  int m_mergeKey;
};

class InsertSetCommand : public QUndoCommand {
 public:
  InsertSetCommand(WorkbenchDocument* doc, int index, FactorSetEntry entry, const QString& text,
                   QUndoCommand* parent = nullptr);
  void undo() override;
  void redo() override;

 private:
  WorkbenchDocument* m_doc;
  int m_index;
  FactorSetEntry m_entry;
};

class RemoveSetCommand : public QUndoCommand {
 public:
  RemoveSetCommand(WorkbenchDocument* doc, int index);
  void undo() override;
  void redo() override;

 private:
  WorkbenchDocument* m_doc;
  int m_index;
  FactorSetEntry m_entry;
};

}  // namespace rope
