#pragma once
// The LongRoPE passkey retrieval prompt (Mohtashami & Jaggi 2023, as used by LongRoPE): an
// instruction, filler sentences, "The pass key is NNNNN. Remember it. NNNNN is the pass key."
// at a chosen depth, more filler, then the question. Shared by the passkey test and the demo
// model's training snippets.

#include <string>

namespace rope::passkey {

inline constexpr const char* kInstruction =
    "There is an important info hidden inside a lot of irrelevant text. Find it and memorize "
    "them. I will quiz you about the important information there.";
inline constexpr const char* kFiller =
    "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.";
inline constexpr const char* kQuestion = "What is the pass key? The pass key is";

inline std::string keySentence(int key) {
  const std::string k = std::to_string(key);
  return "The pass key is " + k + ". Remember it. " + k + " is the pass key.";
}

}  // namespace rope::passkey
