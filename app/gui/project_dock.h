#pragma once
// The project dock: the model (folder, architecture, head_dim, rotary dim, base, original and
// maximum window, target window) and the list of factor sets with colour, visibility and
// method. Selecting a set makes it the active one; "Remove" removes it (undoable). Below the
// model: the dataset the Perplexity and Search tabs use (files, document count when known)
// and the device and dtype choosers they run with.

#include <QDockWidget>

class QComboBox;
class QLabel;
class QListView;
class QPushButton;

namespace rope {

class WorkbenchDocument;
class FactorSetListModel;

class ProjectDock : public QDockWidget {
  Q_OBJECT
 public:
  explicit ProjectDock(WorkbenchDocument* doc, QWidget* parent = nullptr);

  QListView* setList() const { return m_list; }
  FactorSetListModel* listModel() const { return m_model; }
  QLabel* datasetLabel() const { return m_dataset; }
  QComboBox* deviceBox() const { return m_device; }
  QComboBox* dtypeBox() const { return m_dtype; }

 private:
  void showModel();
  void showActive();
  void showDataset();
  void showCompute();

  WorkbenchDocument* m_doc;
  QLabel* m_summary = nullptr;
  QLabel* m_details = nullptr;
  QListView* m_list = nullptr;
  FactorSetListModel* m_model = nullptr;
  QPushButton* m_remove = nullptr;
  QLabel* m_dataset = nullptr;
  QComboBox* m_device = nullptr;
  QComboBox* m_dtype = nullptr;
};

}  // namespace rope
