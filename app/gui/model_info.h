#pragma once
// The model whose RoPE the workbench shows: its RoPE parameters (core's RopeParams) and what
// the project dock lists about it. The built-in default is Llama-2-7B's RoPE, stated as such.

#include <QString>

#include "rope/rope_params.h"

namespace rope {

struct ModelInfo {
  QString name;          // folder name, or the built-in default's name
  QString folder;        // empty for the built-in default
  QString architecture;  // architectures[0] of config.json; empty when not given
  bool builtIn = false;
  RopeParams rope;

  int rotaryDim() const;
  int pairs() const { return rotaryDim() / 2; }
  // The window the model was trained on: original_max_position_embeddings, else
  // max_position_embeddings.
  int trainingWindow() const;
  int maxWindow() const { return rope.maxPosition; }
  // One line: "Llama-2-7B RoPE (built-in default): head_dim 128, base 10000, window 4096".
  QString summary() const;
};

// Llama-2-7B's RoPE: head_dim 128, base 10000, window 4096, unscaled.
ModelInfo builtInModel();

// A Hugging Face model folder or its config.json (core's readRopeParams; readModelConfig for
// the architecture when the config has the full model shape). Throws InputError.
ModelInfo loadModelInfo(const QString& path);

}  // namespace rope
