#pragma once
// The weights of a Hugging Face model folder: model.safetensors, or the shards listed by
// model.safetensors.index.json ({"weight_map": {tensor: shard file}}). Every shard is
// memory-mapped and validated (SafetensorsFile); a tensor name found in two shards, a shard the
// index names that is missing, or a tensor the index places in a shard that lacks it is an
// InputError. Torch-free; not thread-safe to construct, safe to read concurrently.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/safetensors.h"

namespace rope {

class Checkpoint {
 public:
  // folder: a model folder. Throws InputError when it holds neither file or a shard is bad.
  explicit Checkpoint(const std::string& folder);

  // Every tensor of every shard, by name.
  const std::map<std::string, const TensorView*>& tensors() const { return m_tensors; }
  // nullptr when absent.
  const TensorView* find(const std::string& name) const;
  // The shard files, in load order.
  std::vector<std::string> files() const;

 private:
  void add(const std::string& path);

  std::vector<std::unique_ptr<SafetensorsFile>> m_files;
  std::map<std::string, const TensorView*> m_tensors;
  std::map<std::string, std::string> m_fileOf;
};

}  // namespace rope
