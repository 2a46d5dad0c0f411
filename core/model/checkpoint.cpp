#include "model/checkpoint.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "io/json_util.h"
#include "util/error.h"

namespace rope {

namespace fs = std::filesystem;

Checkpoint::Checkpoint(const std::string& folder) {
  const fs::path dir(folder);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw InputError(folder + ": not a model folder");
  const fs::path single = dir / "model.safetensors";
  const fs::path index = dir / "model.safetensors.index.json";
  if (fs::exists(index, ec)) {
    const std::string source = index.string();
    // json_util turns every nlohmann error (a number like 1e999, too) into an InputError.
    const json_util::Json j = json_util::parseFile(source);
    if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object()) {
      throw InputError(source + ": 'weight_map' must be an object {tensor: file}");
    }
    std::map<std::string, std::string> placed;
    std::vector<std::string> shards;
    for (const auto& [name, file] : j["weight_map"].items()) {
      if (!file.is_string())
        throw InputError(source + ": weight_map['" + name + "'] must be a file name");
      const std::string f = file.get<std::string>();
      if (f.find('/') != std::string::npos || f == "..") {
        throw InputError(source + ": shard '" + f + "' must be a file in the model folder");
      }
      placed[name] = f;
      if (std::find(shards.begin(), shards.end(), f) == shards.end()) shards.push_back(f);
    }
    for (const auto& f : shards) add((dir / f).string());
    for (const auto& [name, f] : placed) {
      auto it = m_fileOf.find(name);
      if (it == m_fileOf.end() || fs::path(it->second).filename() != f) {
        throw InputError(source + ": tensor " + name + " is listed in " + f +
                         " but that shard does not hold it");
      }
    }
  } else if (fs::exists(single, ec)) {
    add(single.string());
  } else {
    throw InputError(folder +
                     ": no model.safetensors or model.safetensors.index.json "
                     "(only safetensors checkpoints are supported)");
  }
}

void Checkpoint::add(const std::string& path) {
  m_files.push_back(std::make_unique<SafetensorsFile>(path));
  for (const auto& t : m_files.back()->tensors()) {
    auto [it, inserted] = m_tensors.emplace(t.name, &t);
    if (!inserted) {
      throw InputError("tensor " + t.name + " is in two shards: " + m_fileOf[t.name] + " and " +
                       path);
    }
    m_fileOf[t.name] = path;
  }
}

const TensorView* Checkpoint::find(const std::string& name) const {
  auto it = m_tensors.find(name);
  return it == m_tensors.end() ? nullptr : it->second;
}

std::vector<std::string> Checkpoint::files() const {
  std::vector<std::string> out;
  for (const auto& f : m_files) out.push_back(f->path());
  return out;
}

}  // namespace rope
