#include "model_info.h"

#include <QDir>
#include <QFileInfo>

#include "io/hf_config.h"
#include "rope/rope_math.h"
#include "util/error.h"

namespace rope {

int ModelInfo::rotaryDim() const { return rope::rotaryDim(rope); }

int ModelInfo::trainingWindow() const {
  return rope.originalMaxPosition > 0 ? rope.originalMaxPosition : rope.maxPosition;
}

QString ModelInfo::summary() const {
  QString text = QString("%1%2: head_dim %3")
                     .arg(name, builtIn ? " (built-in default)" : "")
                     .arg(rope.headDim);
  if (rotaryDim() != rope.headDim) text += QString(", rotary dim %1").arg(rotaryDim());
  text += QString(", base %1, window %2").arg(rope.base, 0, 'g', 10).arg(trainingWindow());
  if (rope.method != RopeMethod::Default) {
    text += QString(", %1 scaling to %2")
                .arg(QString::fromStdString(methodName(rope.method)))
                .arg(maxWindow());
  }
  return text;
}

ModelInfo builtInModel() {
  ModelInfo m;
  m.name = "Llama-2-7B RoPE";
  m.architecture = "LlamaForCausalLM";
  m.builtIn = true;
  m.rope.headDim = 128;
  m.rope.base = 10000.0;
  m.rope.maxPosition = 4096;
  return m;
}

ModelInfo loadModelInfo(const QString& path) {
  const std::string file = configPath(path.toStdString());
  ModelInfo m;
  m.rope = readRopeParams(file);
  validateParams(m.rope);
  const QFileInfo info(QString::fromStdString(file));
  m.folder = info.absolutePath();
  m.name = QString::fromStdString(modelNameOf(file));
  try {
    m.architecture = QString::fromStdString(readModelConfig(file).architecture);
  } catch (const InputError&) {
    // A config with the RoPE keys but not the full model shape still opens; the dock then
    // says the architecture is not given.
    m.architecture.clear();
  }
  return m;
}

}  // namespace rope
