#pragma once
// The project dock: the model (folder, architecture, head_dim, rotary dim, base, original and
// maximum window, target window) and the list of factor sets with colour, visibility and
// method. Selecting a set makes it the active one; "Remove" removes it (undoable).

#include <QDockWidget>

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

 private:
  void showModel();
  void showActive();

  WorkbenchDocument* m_doc;
  QLabel* m_summary = nullptr;
  QLabel* m_details = nullptr;
  QListView* m_list = nullptr;
  FactorSetListModel* m_model = nullptr;
  QPushButton* m_remove = nullptr;
};

}  // namespace rope
