#include "undo_commands.h"

namespace rope {

ChangeSetCommand::ChangeSetCommand(WorkbenchDocument* doc, int index, FactorSetContent before,
                                   FactorSetContent after, const QString& text, int mergeKey)
    : m_doc(doc),
      m_index(index),
      m_before(std::move(before)),
      m_after(std::move(after)),
      m_mergeKey(mergeKey) {
  setText(text);
}

void ChangeSetCommand::undo() { m_doc->applyContent(m_index, m_before); }
void ChangeSetCommand::redo() { m_doc->applyContent(m_index, m_after); }

bool ChangeSetCommand::mergeWith(const QUndoCommand* other) {
  const auto* o = dynamic_cast<const ChangeSetCommand*>(other);
  if (!o || o->m_mergeKey < 0 || o->m_mergeKey != m_mergeKey || o->m_index != m_index) {
    return false;
  }
  m_after = o->m_after;
  return true;
}

InsertSetCommand::InsertSetCommand(WorkbenchDocument* doc, int index, FactorSetEntry entry,
                                   const QString& text, QUndoCommand* parent)
    : QUndoCommand(text, parent), m_doc(doc), m_index(index), m_entry(std::move(entry)) {}

void InsertSetCommand::undo() { m_entry = m_doc->takeEntry(m_index); }
void InsertSetCommand::redo() { m_doc->insertEntry(m_index, m_entry); }

RemoveSetCommand::RemoveSetCommand(WorkbenchDocument* doc, int index)
    : m_doc(doc), m_index(index), m_entry(doc->entry(index)) {
  setText(QString("remove '%1'").arg(QString::fromStdString(m_entry.set.name)));
}

void RemoveSetCommand::undo() { m_doc->insertEntry(m_index, m_entry); }
void RemoveSetCommand::redo() { m_entry = m_doc->takeEntry(m_index); }

}  // namespace rope
