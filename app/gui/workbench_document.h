#pragma once
// WorkbenchDocument: the state the workbench shows and edits: the model (its RoPE and
// windows), the target window, the factor sets (with colour, visibility and where they came
// from) and which one is active. Every edit of a factor set goes through the QUndoStack
// (edit*, add, remove, operations); visibility, the active set and view options do not.
// Loading a model or a session replaces the state and clears the undo history.
// It also holds what jobs (Perplexity, Search) run on: the dataset (the demo test split for
// the demo model, else none until File > Open dataset), the device and the compute dtype.

#include <QColor>
#include <QObject>
#include <QString>
#include <optional>
#include <vector>

#include "data/token_data.h"
#include "model/transformer.h"
#include "model_info.h"
#include "preset_factory.h"
#include "rope/factor_set.h"

class QUndoStack;

namespace rope {

struct FactorSetEntry {
  // Identity in the document, given by it (makeEntry, or on insertion when 0): every list
  // refers to a set by it, never by its name. Undo and redo keep it.
  quint64 id = 0;
  FactorSet set;
  QColor color;
  bool visible = true;
  std::optional<Preset> origin;  // the preset it was made from (reset, runtime options)
  bool edited = false;           // changed by hand since it was made
};

// The evaluation data: files as core's TokenSource reads them (token ids or text tokenized
// with the model's tokenizer.model). demoTest: the demo corpus's test split, whose files are
// resolved when a job starts (the corpus may need preparing on first use).
struct DatasetInfo {
  std::vector<std::string> files;
  bool demoTest = false;
  int documents = -1;   // -1: not known until a job loads it
  QString description;  // what the dock shows under the file names
  bool isEmpty() const { return files.empty() && !demoTest; }
};

// The documents a search tunes on (the Search and Recipe tabs): the dataset's files, or for
// the demo test split the demo's validation split, so that a search never tunes on the data it
// is judged on. Throws InputError without a dataset.
TokenSource searchData(const DatasetInfo& dataset);

// What an undo command swaps: the set's content, not its view state.
struct FactorSetContent {
  FactorSet set;
  bool edited = false;
};

class WorkbenchDocument : public QObject {
  Q_OBJECT
 public:
  static constexpr double kDefaultScale = 4.0;  // the standard comparison: 4x the window

  explicit WorkbenchDocument(QObject* parent = nullptr);
  ~WorkbenchDocument() override;

  const ModelInfo& model() const { return m_model; }
  int targetWindow() const { return m_targetWindow; }
  const std::vector<FactorSetEntry>& sets() const { return m_sets; }
  int setCount() const { return static_cast<int>(m_sets.size()); }
  const FactorSetEntry& entry(int index) const { return m_sets.at(index); }
  int indexOfId(quint64 id) const;  // -1: no such set
  int activeIndex() const { return m_active; }
  const FactorSetEntry* activeEntry() const;
  bool enforceMonotone() const { return m_enforceMonotone; }
  QUndoStack* undoStack() const { return m_undo; }
  const DatasetInfo& dataset() const { return m_dataset; }
  // The recipe folder the Recipe tab last opened or ran (sessions keep it); empty: none.
  const QString& recipeFolder() const { return m_recipeFolder; }
  const QString& device() const { return m_device; }
  ComputeDType dtype() const { return m_dtype; }
  // The model is the bundled demo model (or the built-in default, for which jobs use it).
  bool modelIsDemo() const;

  // Replaces everything (model, target window, sets) and clears the undo history.
  void reset(const ModelInfo& model, int targetWindow, std::vector<FactorSetEntry> sets);
  // The model with its own RoPE (when it is scaled) and the standard presets at 4x.
  void resetToModel(const ModelInfo& model);
  // A new entry for a set, with the next colour of the palette and a new id.
  FactorSetEntry makeEntry(const FactorSet& set, std::optional<Preset> origin) const;
  // Names are unique: a set added (or loaded) under a name the document holds gets a suffix
  // naming what differs from the set of that name (YaRN's "β16", the target length, n_hat,
  // the method), else a number ("YaRN 4x 2").
  std::string uniqueName(const FactorSetEntry& entry) const;

  // View state (not undoable).
  void setActiveIndex(int index);
  void setVisible(int index, bool visible);
  void setTargetWindow(int window);
  void setEnforceMonotone(bool enforce);
  // Job settings (not undoable). setDevice ignores a device rope::availableDevices() lacks
  // and returns false.
  void setDataset(const DatasetInfo& dataset);
  bool setDevice(const QString& device);
  void setDtype(ComputeDType dtype);
  void setRecipeFolder(const QString& folder);

  // Undoable edits. Each validates first and throws InputError without touching the state.
  // mergeKey >= 0 merges consecutive edits with the same key (spin boxes).
  void editFactors(int index, const std::vector<double>& factors, const QString& what,
                   int mergeKey = -1);
  void editSet(int index, const FactorSet& set, const QString& what, int mergeKey = -1);
  void addSet(const FactorSetEntry& entry, const QString& what);
  void addSets(const std::vector<FactorSetEntry>& entries, const QString& what);
  void removeSet(int index);
  // Undoable; throws InputError for an empty name or one another set has.
  void renameSet(int index, const std::string& name);
  // Operations on the active set (factor_ops), each one undo step.
  void scaleActive(double k);
  void smoothActive(int radius);
  void clampActive(double lower, double upper);
  void resetActiveToPreset();
  void setActiveNHat(int nHat);
  void setActiveAttentionFactor(std::optional<double> factor);

  // Used by the undo commands only.
  void applyContent(int index, const FactorSetContent& content);
  void insertEntry(int index, const FactorSetEntry& entry);
  FactorSetEntry takeEntry(int index);

 signals:
  void modelAboutToBeReset();
  void modelReset();  // model and sets replaced
  void setAboutToBeInserted(int index);
  void setInserted(int index);
  void setAboutToBeRemoved(int index);
  void setRemoved(int index);
  void setChanged(int index);  // content, visibility
  void activeChanged(int index);
  void targetWindowChanged(int window);
  void enforceMonotoneChanged(bool enforce);
  void datasetChanged();
  void computeChanged();  // device or dtype
  void recipeFolderChanged();
  // Any of the above: plots redraw (their replots are coalesced).
  void changed();

 private:
  FactorSetContent contentOf(int index) const;
  void requireActive() const;

  ModelInfo m_model;
  int m_targetWindow = 0;
  std::vector<FactorSetEntry> m_sets;
  int m_active = -1;
  bool m_enforceMonotone = true;
  DatasetInfo m_dataset;
  QString m_device = "cpu";
  QString m_recipeFolder;
  ComputeDType m_dtype = ComputeDType::Float32;
  mutable int m_colorCounter = 0;
  mutable quint64 m_lastId = 0;
  QUndoStack* m_undo = nullptr;
};

}  // namespace rope
