#pragma once
// A tiny corpus and training params for the tests that train (test_train, test_recipe): a
// one-layer model with a 120-piece tokenizer and a window of 32 trains in about a second.
#include <cstdint>
#include <filesystem>
#include <string>

#include "train/trainer.h"
#include "util/files.h"

namespace rope::testing {

// A small corpus with enough variety for a 120-piece tokenizer.
inline void writeCorpus(const std::string& dir) {
  const char* words[] = {"the",    "lord", "said",  "unto", "moses", "and",
                         "people", "went", "out",   "of",   "land",  "into",
                         "city",   "king", "house", "day",  "water", "light"};
  uint32_t x = 12345;
  auto next = [&]() { return (x = x * 1103515245u + 12345u) >> 16; };
  for (const char* split : {"train", "validation"}) {
    std::filesystem::create_directories(std::filesystem::path(dir) / split);
    for (int d = 0; d < (std::string(split) == "train" ? 6 : 2); ++d) {
      std::string text;
      for (int s = 0; s < 150; ++s) {
        for (int w = 0; w < 8; ++w) text += std::string(words[next() % 18]) + " ";
        text += (s % 10 == 9) ? ".\n" : ". ";
      }
      writeFileAtomic((std::filesystem::path(dir) / split / ("d" + std::to_string(d) + ".txt")).string(), text);
    }
  }
}

inline TrainParams tinyParams(const std::string& corpus, const std::string& out) {
  TrainParams p;
  p.corpusDir = corpus;
  p.outDir = out;
  p.context = 32;
  p.layers = 1;
  p.hidden = 32;
  p.heads = 2;
  p.kvHeads = 1;
  p.intermediate = 48;
  p.vocab = 120;
  p.steps = 6;
  p.batch = 4;
  p.warmupSteps = 2;
  p.evalEvery = 3;
  p.evalWindows = 8;
  p.passkeyShare = 0.0;  // the window is too short for a passkey prompt
  p.threads = 1;
  return p;
}

}  // namespace rope::testing
