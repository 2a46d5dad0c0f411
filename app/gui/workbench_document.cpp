#include "workbench_document.h"

#include <QFileInfo>
#include <QUndoStack>
#include <algorithm>
#include <cmath>

#include "factor_ops.h"
#include "io/factor_files.h"
#include "rope/rope_math.h"
#include "train/demo_assets.h"
#include "undo_commands.h"
#include "util/error.h"

namespace rope {
namespace {

// Whether a model folder is the bundled demo model's folder.
bool isDemoFolder(const QString& folder) {
  try {
    const QString demo = QFileInfo(QString::fromStdString(demoModelDir())).canonicalFilePath();
    return !demo.isEmpty() && QFileInfo(folder).canonicalFilePath() == demo;
  } catch (const std::exception&) {
    return false;  // no demo model here
  }
}

// The bundled demo model's searched set for a target (resources/demo-factors/searched-Mx.json,
// M = target / window), when the model is the demo model's folder and the file is there.
std::optional<FactorSet> demoSearchedSet(const ModelInfo& model, int target) {
  if (model.builtIn || model.folder.isEmpty() || target % model.trainingWindow() != 0 ||
      !isDemoFolder(model.folder)) {
    return std::nullopt;
  }
  try {
    const std::string file = demoFactorsDir() + "/searched-" +
                             std::to_string(target / model.trainingWindow()) + "x.json";
    if (!QFileInfo::exists(QString::fromStdString(file))) return std::nullopt;
    FactorSet set = readFactorFile(file);
    validateFactorSet(set, model.pairs(), false);
    set.name = "LongRoPE searched " + std::to_string(target / model.trainingWindow()) + "x";
    return set;
  } catch (const std::exception&) {
    return std::nullopt;  // an optional extra: the workbench opens without it
  }
}

// Distinguishable on white and in print (Tableau 10).
const QColor kPalette[] = {{31, 119, 180},  {255, 127, 14}, {44, 160, 44},   {214, 39, 40},
                           {148, 103, 189}, {140, 86, 75},  {227, 119, 194}, {127, 127, 127},
                           {188, 189, 34},  {23, 190, 207}};
constexpr int kPaletteSize = sizeof(kPalette) / sizeof(kPalette[0]);

enum MergeKey { kMergeNHat = 1, kMergeAttention = 2 };

}  // namespace

TokenSource searchData(const DatasetInfo& dataset) {
  if (dataset.isEmpty()) throw InputError("open a dataset with File > Open dataset");
  TokenSource source;
  if (dataset.demoTest) {
    source.paths = demoDataFiles("validation");
    source.format = TokenFormat::Text;
  } else {
    source.paths = dataset.files;
  }
  return source;
}

WorkbenchDocument::WorkbenchDocument(QObject* parent)
    : QObject(parent), m_undo(new QUndoStack(this)) {
  resetToModel(builtInModel());
}

WorkbenchDocument::~WorkbenchDocument() = default;

const FactorSetEntry* WorkbenchDocument::activeEntry() const {
  return m_active >= 0 && m_active < setCount() ? &m_sets[m_active] : nullptr;
}

void WorkbenchDocument::reset(const ModelInfo& model, int targetWindow,
                              std::vector<FactorSetEntry> sets) {
  emit modelAboutToBeReset();
  m_undo->clear();
  m_model = model;
  m_targetWindow = targetWindow > 0 ? targetWindow : model.trainingWindow();
  // Every set gets an id and a name of its own (a session may hold two of one name).
  m_sets.clear();
  for (FactorSetEntry& e : sets) {
    if (e.id == 0 || indexOfId(e.id) >= 0) e.id = ++m_lastId;
    e.set.name = uniqueName(e);
    m_sets.push_back(std::move(e));
  }
  m_active = m_sets.empty() ? -1 : 0;
  m_colorCounter = setCount();
  // The demo model comes with its corpus; another model's data is the user's to choose.
  m_dataset = DatasetInfo{};
  if (modelIsDemo()) {
    m_dataset.demoTest = true;
    m_dataset.description = "the demo corpus's test split (one document per book)";
  }
  emit modelReset();
  emit datasetChanged();
  emit activeChanged(m_active);
  emit targetWindowChanged(m_targetWindow);
  emit changed();
}

FactorSetEntry WorkbenchDocument::makeEntry(const FactorSet& set,
                                            std::optional<Preset> origin) const {
  FactorSetEntry e;
  e.set = set;
  e.origin = std::move(origin);
  e.color = kPalette[m_colorCounter++ % kPaletteSize];
  e.id = ++m_lastId;
  return e;
}

namespace {

QString number(double v) { return QString::number(v, 'g', 6); }

// What tells `added` apart from `held` (a set of the same name), empty when nothing simple.
std::string differenceSuffix(const FactorSetEntry& added, const FactorSetEntry& held) {
  const FactorSet& a = added.set;
  const FactorSet& b = held.set;
  if (added.origin && held.origin) {
    const PresetRequest& ra = added.origin->request;
    const PresetRequest& rb = held.origin->request;
    if (ra.method == RopeMethod::Yarn && rb.method == RopeMethod::Yarn) {
      if (ra.betaFast != rb.betaFast) return ("β" + number(ra.betaFast)).toStdString();
      if (ra.betaSlow != rb.betaSlow) return ("β_slow " + number(ra.betaSlow)).toStdString();
    }
  }
  if (a.targetLength != b.targetLength && a.targetLength > 0) {
    return "L' " + std::to_string(a.targetLength);
  }
  if (a.nHat != b.nHat) return "n̂ " + std::to_string(a.nHat);
  if (a.method != b.method) return a.method;
  return {};
}

}  // namespace

std::string WorkbenchDocument::uniqueName(const FactorSetEntry& entry) const {
  auto taken = [this, &entry](const std::string& name) {
    return std::any_of(m_sets.begin(), m_sets.end(), [&](const FactorSetEntry& e) {
      return e.set.name == name && (entry.id == 0 || e.id != entry.id);
    });
  };
  const std::string& name = entry.set.name;
  if (!taken(name)) return name;
  for (const FactorSetEntry& held : m_sets) {
    if (held.set.name != name) continue;
    const std::string suffix = differenceSuffix(entry, held);
    if (!suffix.empty() && !taken(name + " " + suffix)) return name + " " + suffix;
    break;
  }
  for (int n = 2;; ++n) {
    const std::string numbered = name + " " + std::to_string(n);
    if (!taken(numbered)) return numbered;
  }
}

int WorkbenchDocument::indexOfId(quint64 id) const {
  for (int i = 0; i < setCount(); ++i) {
    if (m_sets[i].id == id) return i;
  }
  return -1;
}

void WorkbenchDocument::resetToModel(const ModelInfo& model) {
  m_colorCounter = 0;
  std::vector<FactorSetEntry> sets;
  int target = static_cast<int>(std::lround(model.trainingWindow() * kDefaultScale));
  if (model.rope.method != RopeMethod::Default) {
    // The model's own scaling, as its config states it, comes first.
    FactorSet own = factorSetFromParams(model.rope, model.maxWindow(),
                                        "model config (" + methodName(model.rope.method) + ")");
    sets.push_back(makeEntry(own, std::nullopt));
    target = std::max(target, model.maxWindow());
  }
  for (Preset& p :
       standardPresets(model.rope, static_cast<double>(target) / model.trainingWindow())) {
    FactorSet set = p.set;
    sets.push_back(makeEntry(set, std::move(p)));
  }
  // On the bundled demo model, its LongRoPE search for this target beside the fixed methods.
  if (std::optional<FactorSet> searched = demoSearchedSet(model, target)) {
    sets.push_back(makeEntry(*searched, std::nullopt));
  }
  reset(model, target, std::move(sets));
}

void WorkbenchDocument::setActiveIndex(int index) {
  if (index < -1 || index >= setCount() || index == m_active) return;
  m_active = index;
  emit activeChanged(index);
  emit changed();
}

void WorkbenchDocument::setVisible(int index, bool visible) {
  if (index < 0 || index >= setCount() || m_sets[index].visible == visible) return;
  m_sets[index].visible = visible;
  emit setChanged(index);
  emit changed();
}

void WorkbenchDocument::setTargetWindow(int window) {
  if (window <= 0 || window == m_targetWindow) return;
  m_targetWindow = window;
  emit targetWindowChanged(window);
  emit changed();
}

void WorkbenchDocument::setEnforceMonotone(bool enforce) {
  if (enforce == m_enforceMonotone) return;
  m_enforceMonotone = enforce;
  emit enforceMonotoneChanged(enforce);
  emit changed();
}

bool WorkbenchDocument::modelIsDemo() const {
  return m_model.builtIn || m_model.folder.isEmpty() || isDemoFolder(m_model.folder);
}

void WorkbenchDocument::setDataset(const DatasetInfo& dataset) {
  m_dataset = dataset;
  emit datasetChanged();
}

bool WorkbenchDocument::setDevice(const QString& device) {
  bool known = false;
  for (const std::string& d : availableDevices()) known = known || device.toStdString() == d;
  if (!known) return false;
  if (device != m_device) {
    m_device = device;
    emit computeChanged();
  }
  return true;
}

void WorkbenchDocument::setRecipeFolder(const QString& folder) {
  if (folder == m_recipeFolder) return;
  m_recipeFolder = folder;
  emit recipeFolderChanged();
}

void WorkbenchDocument::setDtype(ComputeDType dtype) {
  if (dtype == m_dtype) return;
  m_dtype = dtype;
  emit computeChanged();
}

FactorSetContent WorkbenchDocument::contentOf(int index) const {
  return {m_sets.at(index).set, m_sets.at(index).edited};
}

void WorkbenchDocument::requireActive() const {
  if (!activeEntry()) throw InputError("no active factor set: select one in the list");
}

void WorkbenchDocument::editFactors(int index, const std::vector<double>& factors,
                                    const QString& what, int mergeKey) {
  if (index < 0 || index >= setCount()) throw InputError("no such factor set");
  FactorSet set = m_sets[index].set;
  // Edited long factors that used to equal the short ones keep doing so.
  if (set.shortFactors == set.factors) set.shortFactors.clear();
  set.factors = factors;
  set.layerFactors.clear();
  editSet(index, set, what, mergeKey);
}

void WorkbenchDocument::editSet(int index, const FactorSet& set, const QString& what,
                                int mergeKey) {
  if (index < 0 || index >= setCount()) throw InputError("no such factor set");
  // A set that was never monotone (an imported one) can still get its other edits.
  const bool requireMonotone = m_enforceMonotone && isMonotone(m_sets[index].set.factors);
  validateFactorSet(set, m_model.pairs(), requireMonotone);
  const FactorSetContent before = contentOf(index);
  if (before.set.factors == set.factors && before.set.nHat == set.nHat &&
      before.set.attentionFactor == set.attentionFactor &&
      before.set.shortFactors == set.shortFactors && before.set.name == set.name) {
    return;
  }
  m_undo->push(new ChangeSetCommand(this, index, before, {set, true}, what, mergeKey));
}

void WorkbenchDocument::addSet(const FactorSetEntry& entry, const QString& what) {
  addSets({entry}, what);
}

void WorkbenchDocument::addSets(const std::vector<FactorSetEntry>& entries, const QString& what) {
  for (const auto& e : entries) validateFactorSet(e.set, m_model.pairs(), false);
  if (entries.empty()) return;
  m_undo->beginMacro(what);
  int index = setCount();
  for (FactorSetEntry e : entries) {
    if (e.id == 0 || indexOfId(e.id) >= 0) e.id = ++m_lastId;
    e.set.name = uniqueName(e);  // among the sets inserted before it too
    m_undo->push(new InsertSetCommand(this, index++, e, what));
  }
  m_undo->endMacro();
  setActiveIndex(setCount() - 1);
}

void WorkbenchDocument::removeSet(int index) {
  if (index < 0 || index >= setCount()) return;
  m_undo->push(new RemoveSetCommand(this, index));
}

void WorkbenchDocument::renameSet(int index, const std::string& name) {
  if (index < 0 || index >= setCount()) throw InputError("no such factor set");
  if (QString::fromStdString(name).trimmed().isEmpty()) {
    throw InputError("a factor set needs a name");
  }
  const FactorSetContent before = contentOf(index);
  if (before.set.name == name) return;
  if (std::any_of(m_sets.begin(), m_sets.end(),
                  [&](const FactorSetEntry& e) { return e.set.name == name; })) {
    throw InputError("another factor set is named '" + name + "'");
  }
  FactorSetContent after = before;  // a new name is not an edit of the set
  after.set.name = name;
  m_undo->push(new ChangeSetCommand(
      this, index, before, after,
      QString("rename '%1' to '%2'")
          .arg(QString::fromStdString(before.set.name), QString::fromStdString(name)),
      -1));
}

void WorkbenchDocument::scaleActive(double k) {
  requireActive();
  if (!(k > 0)) throw InputError("the scale factor must be positive");
  editFactors(m_active, scaleFactors(activeEntry()->set.factors, k),
              QString("scale λ by %1").arg(k));
}

void WorkbenchDocument::smoothActive(int radius) {
  requireActive();
  editFactors(m_active, smoothFactors(activeEntry()->set.factors, radius),
              QString("smooth λ (radius %1)").arg(radius));
}

void WorkbenchDocument::clampActive(double lower, double upper) {
  requireActive();
  if (!(lower > 0) || !(upper >= lower)) {
    throw InputError("clamp needs 0 < lower <= upper");
  }
  editFactors(m_active, clampFactors(activeEntry()->set.factors, lower, upper),
              QString("clamp λ to [%1, %2]").arg(lower).arg(upper));
}

void WorkbenchDocument::resetActiveToPreset() {
  requireActive();
  const FactorSetEntry& e = *activeEntry();
  if (!e.origin) {
    throw InputError("'" + e.set.name +
                     "' was not made from a preset; there is nothing to reset to");
  }
  const FactorSet fresh = presetFactors(*e.origin, e.set.name);
  m_undo->push(new ChangeSetCommand(this, m_active, contentOf(m_active), {fresh, false},
                                    "reset to preset", -1));
}

void WorkbenchDocument::setActiveNHat(int nHat) {
  requireActive();
  FactorSet set = activeEntry()->set;
  set.nHat = nHat;
  editSet(m_active, set, QString("n_hat = %1").arg(nHat), kMergeNHat);
}

void WorkbenchDocument::setActiveAttentionFactor(std::optional<double> factor) {
  requireActive();
  FactorSet set = activeEntry()->set;
  set.attentionFactor = factor;
  editSet(
      m_active, set,
      factor ? QString("attention factor = %1").arg(*factor) : QString("derived attention factor"),
      kMergeAttention);
}

void WorkbenchDocument::applyContent(int index, const FactorSetContent& content) {
  m_sets.at(index).set = content.set;
  m_sets.at(index).edited = content.edited;
  emit setChanged(index);
  emit changed();
}

void WorkbenchDocument::insertEntry(int index, const FactorSetEntry& entry) {
  emit setAboutToBeInserted(index);
  m_sets.insert(m_sets.begin() + index, entry);
  if (m_active >= index) ++m_active;
  if (m_active < 0) m_active = index;
  emit setInserted(index);
  emit activeChanged(m_active);
  emit changed();
}

FactorSetEntry WorkbenchDocument::takeEntry(int index) {
  emit setAboutToBeRemoved(index);
  FactorSetEntry e = m_sets.at(index);
  m_sets.erase(m_sets.begin() + index);
  if (m_active > index || m_active >= setCount()) --m_active;
  emit setRemoved(index);
  emit activeChanged(m_active);
  emit changed();
  return e;
}

}  // namespace rope
