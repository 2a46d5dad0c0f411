#include "workbench_session.h"

#include <QColor>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QUndoStack>
#include <exception>

#include "data/token_data.h"
#include "data/tokenizer.h"
#include "io/factor_files.h"
#include "io/hf_config.h"
#include "model/transformer.h"
#include "reporter.h"
#include "rope/rope_math.h"
#include "runtime_options.h"
#include "train/demo_assets.h"
#include "util/error.h"
#include "workbench_document.h"

namespace rope {
namespace {

QJsonObject presetJson(const PresetRequest& r) {
  return QJsonObject{{"method", QString::fromStdString(methodName(r.method))},
                     {"target_window", r.targetWindow},
                     {"dynamic_length", r.dynamicLength},
                     {"beta_fast", r.betaFast},
                     {"beta_slow", r.betaSlow},
                     {"low_freq_factor", r.lowFreqFactor},
                     {"high_freq_factor", r.highFreqFactor},
                     {"longrope_file", QString::fromStdString(r.longRopeFile)},
                     {"name", QString::fromStdString(r.name)}};
}

// Throws InputError for an unknown method.
PresetRequest presetRequest(const QJsonObject& o) {
  PresetRequest r;
  r.method = parseMethod(o.value("method").toString().toStdString());
  r.targetWindow = o.value("target_window").toInt(r.targetWindow);
  r.dynamicLength = o.value("dynamic_length").toInt(r.dynamicLength);
  r.betaFast = o.value("beta_fast").toDouble(r.betaFast);
  r.betaSlow = o.value("beta_slow").toDouble(r.betaSlow);
  r.lowFreqFactor = o.value("low_freq_factor").toDouble(r.lowFreqFactor);
  r.highFreqFactor = o.value("high_freq_factor").toDouble(r.highFreqFactor);
  r.longRopeFile = o.value("longrope_file").toString().toStdString();
  r.name = o.value("name").toString().toStdString();
  return r;
}

QString text(const std::exception& e) { return QString::fromUtf8(e.what()); }

// The config.json a new HF export starts from: the model folder's, else the keys that
// describe the built-in (or session) RoPE.
std::string modelConfigText(const ModelInfo& m) {
  if (!m.folder.isEmpty()) {
    QFile file(QDir(m.folder).filePath("config.json"));
    if (file.open(QIODevice::ReadOnly)) return file.readAll().toStdString();
  }
  const int heads = m.builtIn ? 32 : 1;  // Llama-2-7B: 32 heads of 128
  QJsonObject j;
  if (!m.architecture.isEmpty()) j["architectures"] = QJsonArray{m.architecture};
  j["head_dim"] = m.rope.headDim;
  j["hidden_size"] = m.rope.headDim * heads;
  j["num_attention_heads"] = heads;
  j["rope_theta"] = m.rope.base;
  j["max_position_embeddings"] = m.rope.maxPosition;
  if (m.rope.partialRotaryFactor != 1.0) j["partial_rotary_factor"] = m.rope.partialRotaryFactor;
  return QJsonDocument(j).toJson().toStdString();
}

}  // namespace

WorkbenchSession::WorkbenchSession(WorkbenchDocument* doc, Reporter* reporter, QObject* parent)
    : QObject(parent), m_doc(doc), m_reporter(reporter) {}

void WorkbenchSession::loadModel(const QString& path) { m_doc->resetToModel(loadModelInfo(path)); }

void WorkbenchSession::loadSession(const QString& path) {
  const std::string file = path.toStdString();
  if (detectFormat(file) != FactorFormat::Project) {
    throw InputError(file + ": not a RoPE Workbench session (a project JSON with \"format\": \"" +
                     kProjectFormatTag + "\")");
  }
  const ProjectFile project = readProjectFile(file);
  const std::vector<FactorSet>& sets = project.sets;
  if (sets.empty()) throw InputError(file + ": the session holds no factor sets");
  // The workbench's own state (saveSession); absent in a project written by rope-cli.
  const QJsonObject state =
      QJsonDocument::fromJson(QByteArray::fromStdString(project.session)).object();
  const QString modelFolder = state.value("model").toString();
  if (!modelFolder.isEmpty() && !QFileInfo::exists(modelFolder)) {
    throw InputError(file + ": its model folder " + modelFolder.toStdString() +
                     " does not exist any more");
  }
  // The session's model, else the current one when the sets fit it, else a RoPE made from
  // what the sets say they were made for.
  ModelInfo model = modelFolder.isEmpty() ? m_doc->model() : loadModelInfo(modelFolder);
  const FactorSet& first = sets.front();
  const int pairs = static_cast<int>(first.factors.size());
  if (modelFolder.isEmpty() &&
      (pairs != model.pairs() || (first.base > 0 && first.base != model.rope.base))) {
    if (first.base <= 1 || first.rotaryDim != 2 * pairs || first.originalMaxPosition <= 0) {
      throw InputError(file + ": its factor sets have " + std::to_string(pairs) +
                       " pairs and name no base, rotary dim and window; the current model needs " +
                       std::to_string(model.pairs()));
    }
    model = ModelInfo{};
    model.name = QFileInfo(path).completeBaseName() + " (RoPE from the session)";
    model.rope.headDim = first.rotaryDim;
    model.rope.base = first.base;
    model.rope.maxPosition = first.originalMaxPosition;
  }
  std::vector<FactorSetEntry> entries;
  int target = 0;
  const QJsonArray looks = state.value("sets").toArray();
  for (size_t i = 0; i < sets.size(); ++i) {
    validateFactorSet(sets[i], model.pairs(), false);
    FactorSetEntry e = m_doc->makeEntry(sets[i], std::nullopt);
    if (looks.size() == static_cast<qsizetype>(sets.size())) {
      const QJsonObject look = looks[static_cast<qsizetype>(i)].toObject();
      const QColor color(look.value("color").toString());
      if (color.isValid()) e.color = color;
      e.visible = look.value("visible").toBool(true);
      // The preset it was made from, remade for this model: reset and the runtime command
      // lines work again. A preset that no longer applies (its file moved, say) is dropped.
      if (look.contains("preset")) {
        try {
          e.origin = makePreset(model.rope, presetRequest(look.value("preset").toObject()));
          e.edited = look.value("edited").toBool(true);
        } catch (const InputError&) {
          e.origin.reset();
        }
      }
    }
    entries.push_back(std::move(e));
    target = std::max(target, sets[i].targetLength);
  }
  target = state.value("target_window").toInt(target);
  m_doc->reset(model, target, std::move(entries));
  if (state.isEmpty()) return;
  const int active = state.value("active").toInt(0);
  if (active >= 0 && active < m_doc->setCount()) m_doc->setActiveIndex(active);
  const QJsonObject data = state.value("dataset").toObject();
  if (!data.isEmpty()) {
    DatasetInfo dataset;
    for (const QJsonValue f : data.value("files").toArray()) {
      dataset.files.push_back(f.toString().toStdString());
    }
    dataset.demoTest = data.value("demo_test").toBool(false);
    dataset.description = data.value("description").toString();
    m_doc->setDataset(dataset);
  }
  m_doc->setDevice(state.value("device").toString("cpu"));
  m_doc->setRecipeFolder(state.value("recipe").toString());
  try {
    m_doc->setDtype(parseComputeDType(state.value("dtype").toString("float32").toStdString()));
  } catch (const InputError&) {  // an unknown dtype leaves the current one
  }
}

void WorkbenchSession::loadFactors(const QString& path) {
  const std::vector<FactorSet> sets = readFactorFiles(path.toStdString());
  std::vector<FactorSetEntry> entries;
  for (FactorSet s : sets) {
    validateFactorSet(s, m_doc->model().pairs(), false);
    if (s.rotaryDim == 0) s.rotaryDim = m_doc->model().rotaryDim();
    if (s.base == 0) s.base = m_doc->model().rope.base;
    if (s.originalMaxPosition == 0) s.originalMaxPosition = m_doc->model().trainingWindow();
    if (s.targetLength == 0) s.targetLength = m_doc->targetWindow();
    entries.push_back(m_doc->makeEntry(s, std::nullopt));
  }
  m_doc->addSets(entries, QString("import %1").arg(QFileInfo(path).fileName()));
}

QStringList WorkbenchSession::saveActive(const QString& path, FactorFormat format) const {
  const FactorSetEntry* e = m_doc->activeEntry();
  if (!e) throw InputError("no active factor set to export");
  std::vector<std::string> warnings;
  if (format == FactorFormat::HfConfig &&
      !QFileInfo::exists(QString::fromStdString(configPath(path.toStdString())))) {
    // A new config.json: the model's own config (or the built-in default's keys) with the
    // set's RoPE, so that it is a config the model and the workbench can read back.
    const std::string file = configPath(path.toStdString());
    const std::string text =
        patchHfConfig(modelConfigText(m_doc->model()), e->set, file, &warnings);
    QSaveFile out(QString::fromStdString(file));
    if (!out.open(QIODevice::WriteOnly) || out.write(QByteArray::fromStdString(text)) < 0 ||
        !out.commit()) {
      throw InputError(file + ": cannot write: " + out.errorString().toStdString());
    }
  } else {
    writeFactorFile(path.toStdString(), e->set, format, &warnings);
  }
  QStringList out;
  for (const auto& w : warnings) out << QString::fromStdString(w);
  return out;
}

void WorkbenchSession::saveSession(const QString& path) const {
  ProjectFile project;
  QJsonArray looks;
  for (const FactorSetEntry& e : m_doc->sets()) {
    project.sets.push_back(e.set);
    QJsonObject look{{"color", e.color.name()}, {"visible", e.visible}};
    if (e.origin) {
      look["preset"] = presetJson(e.origin->request);
      look["edited"] = e.edited;
    }
    looks.append(look);
  }
  if (project.sets.empty()) throw InputError("there are no factor sets to save");
  // The workbench's state beside the sets: model, looks, active set, window, data, device,
  // the Recipe tab's folder.
  const DatasetInfo& data = m_doc->dataset();
  QJsonArray files;
  for (const std::string& f : data.files) files.append(QString::fromStdString(f));
  const QJsonObject state{{"model", m_doc->model().folder},
                          {"sets", looks},
                          {"active", m_doc->activeIndex()},
                          {"target_window", m_doc->targetWindow()},
                          {"dataset", QJsonObject{{"files", files},
                                                  {"demo_test", data.demoTest},
                                                  {"description", data.description}}},
                          {"device", m_doc->device()},
                          {"dtype", QString::fromStdString(computeDTypeName(m_doc->dtype()))},
                          {"recipe", m_doc->recipeFolder()}};
  project.session = QJsonDocument(state).toJson(QJsonDocument::Compact).toStdString();
  writeProjectFile(path.toStdString(), project);
}

void WorkbenchSession::loadDataset(const QStringList& paths) {
  if (paths.isEmpty()) throw InputError("no dataset file given");
  TokenSource source;
  qint64 bytes = 0;
  int textFiles = 0;
  for (const QString& path : paths) {
    const QFileInfo info(path);
    const std::string file = path.toStdString();
    if (!info.exists()) throw InputError(file + ": no such file");
    if (!info.isFile()) {
      throw InputError(file +
                       ": not a file; choose a token file (.bin, .npy, .safetensors) or "
                       "a text file (.txt, .md)");
    }
    const QString ext = info.suffix().toLower();
    const bool isText = ext == "txt" || ext == "md" || ext == "text";
    if (!isText && ext != "bin" && ext != "npy" && ext != "safetensors") {
      throw InputError(file +
                       ": not a dataset; use token ids (.bin, .npy, .safetensors) or "
                       "text (.txt, .md) tokenized with the model's tokenizer");
    }
    textFiles += isText ? 1 : 0;
    bytes += info.size();
    source.paths.push_back(file);
  }
  if (textFiles != 0 && textFiles != paths.size()) {
    throw InputError("a dataset is text files or token files, not both; open them separately");
  }
  if (textFiles > 0) {
    const ModelInfo& m = m_doc->model();
    const std::string dir = m.folder.isEmpty() ? resolveModel("demo") : m.folder.toStdString();
    source.tokenizerPath = Tokenizer::modelTokenizerPath(dir);
    if (!QFileInfo::exists(QString::fromStdString(source.tokenizerPath))) {
      throw InputError(source.paths.front() +
                       ": text data needs the model's tokenizer.json or tokenizer.model, and " + dir +
                       " has none; use token ids (.bin, .npy, .safetensors) instead");
    }
  }
  DatasetInfo dataset;
  dataset.files = source.paths;
  if (bytes <= kDatasetLoadBytes) {
    const TokenDataset data = loadTokens(source);
    if (data.totalTokens() == 0) {
      throw InputError(source.paths.front() + (paths.size() > 1 ? " and the others" : "") +
                       ": hold no tokens");
    }
    dataset.documents = static_cast<int>(data.documents.size());
    dataset.description = QString::fromStdString(data.description);
  } else {
    dataset.description =
        QString("%1 MiB, loaded when a job uses it").arg(bytes / double(1 << 20), 0, 'f', 1);
  }
  m_doc->setDataset(dataset);
}

bool WorkbenchSession::openDataset(const QStringList& paths) {
  try {
    loadDataset(paths);
  } catch (const std::exception& e) {
    m_reporter->error("Open dataset", text(e));
    return false;
  }
  emit datasetUsed(paths);
  return true;
}

bool WorkbenchSession::openModel(const QString& path) {
  try {
    loadModel(path);
  } catch (const std::exception& e) {
    m_reporter->error("Open model", text(e));
    return false;
  }
  m_sessionPath.clear();  // a new document: Save asks where
  emit fileUsed(path);
  return true;
}

bool WorkbenchSession::openSession(const QString& path) {
  try {
    loadSession(path);
  } catch (const std::exception& e) {
    m_reporter->error("Open session", text(e));
    return false;
  }
  m_sessionPath = path;
  emit fileUsed(path);
  return true;
}

bool WorkbenchSession::importFactors(const QString& path) {
  try {
    loadFactors(path);
  } catch (const std::exception& e) {
    m_reporter->error("Import factors", text(e));
    return false;
  }
  emit fileUsed(path);
  return true;
}

bool WorkbenchSession::exportActive(const QString& path, FactorFormat format) {
  QStringList warnings;
  try {
    warnings = saveActive(path, format);
  } catch (const std::exception& e) {
    m_reporter->error("Export factors", text(e));
    return false;
  }
  if (!warnings.isEmpty()) {
    m_reporter->info("Export factors",
                     QString("Wrote %1, but the format does not hold everything:").arg(path),
                     warnings.join("\n"));
  }
  emit wrote(path);
  return true;
}

bool WorkbenchSession::writeSession(const QString& path) {
  try {
    saveSession(path);
  } catch (const std::exception& e) {
    m_reporter->error("Save session", text(e));
    return false;
  }
  m_sessionPath = path;
  m_doc->undoStack()->setClean();  // the work is saved
  emit wrote(path);
  emit fileUsed(path);
  return true;
}

bool WorkbenchSession::openPath(const QString& path) {
  const QFileInfo info(path);
  if (info.isDir() || info.fileName() == "config.json") return openModel(path);
  try {
    if (info.suffix().toLower() == "json" &&
        detectFormat(path.toStdString()) == FactorFormat::Project) {
      return openSession(path);
    }
  } catch (const std::exception& e) {
    m_reporter->error("Open", text(e));
    return false;
  }
  return importFactors(path);
}

QString WorkbenchSession::runtimeOptionsText() const {
  const FactorSetEntry* e = m_doc->activeEntry();
  if (!e) return "No active factor set.";
  std::optional<RopeParams> method;
  if (e->origin && !e->edited) method = e->origin->params;
  const RuntimeOptions o = runtimeOptions(m_doc->model().rope, e->set, method);
  QString out = QString("Factor set: %1\n\n").arg(QString::fromStdString(e->set.name));
  out += "llama.cpp:\n" +
         (o.llamaCpp.empty() ? QString("  (no command-line equivalent)")
                             : QString::fromStdString(o.llamaCpp)) +
         "\n\n";
  out += "vLLM:\n" +
         (o.vllm.empty() ? QString("  (no command-line equivalent)")
                         : QString::fromStdString(o.vllm)) +
         "\n";
  for (const auto& n : o.notes) out += "\nNote: " + QString::fromStdString(n);
  return out;
}

}  // namespace rope
