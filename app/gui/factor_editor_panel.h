#pragma once
// The factor editor: FactorPlot of the visible sets (or two sets compared as overlay or
// difference), the active set's table, the preset box and the operations box. Reads its
// inputs, calls the document (every edit undoable), shows the result; errors go to the
// reporter.

#include <QWidget>
#include <functional>
#include <utility>

class QCheckBox;
class QComboBox;
class QTableView;

namespace rope {

class WorkbenchDocument;
class FactorPlot;
class FactorTableModel;
class PresetBox;
class SetOperationsBox;
class FileDialogs;
class Reporter;
class ScientificPlot;

class FactorEditorPanel : public QWidget {
  Q_OBJECT
 public:
  enum class CompareMode { AllVisible, Overlay, Difference };

  FactorEditorPanel(WorkbenchDocument* doc, FileDialogs* dialogs, Reporter* reporter,
                    QWidget* parent = nullptr);

  FactorPlot* factorPlot() const { return m_plot; }
  ScientificPlot* currentPlot() const;
  QTableView* table() const { return m_table; }
  FactorTableModel* tableModel() const { return m_tableModel; }
  PresetBox* presetBox() const { return m_presets; }
  SetOperationsBox* operationsBox() const { return m_operations; }

  void setLogScale(bool log);
  void setCompare(CompareMode mode, int setA, int setB);
  // The indices of the sets the compare modes show (A, B).
  std::pair<int, int> compareSets() const;

 private:
  void refresh();
  void refreshCompareChoices();
  void attempt(const QString& what, const std::function<void()>& edit);

  WorkbenchDocument* m_doc;
  Reporter* m_reporter;
  FactorPlot* m_plot = nullptr;
  QTableView* m_table = nullptr;
  FactorTableModel* m_tableModel = nullptr;
  PresetBox* m_presets = nullptr;
  SetOperationsBox* m_operations = nullptr;
  QCheckBox* m_log = nullptr;
  QCheckBox* m_enforce = nullptr;
  QComboBox* m_compare = nullptr;
  QComboBox* m_setA = nullptr;
  QComboBox* m_setB = nullptr;
};

}  // namespace rope
