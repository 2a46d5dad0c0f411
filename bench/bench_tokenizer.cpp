// rope-bench-tokenizer: encode throughput of a tokenizer (tokenizer.json or SentencePiece
// model), one thread, on the KJV text (Debian's bible-kjv, 4.4 MB) or a file.
//
//   rope-bench-tokenizer --tokenizer FILE [--text FILE] [--runs 3] [--mode lines|whole]
//
// lines (default): each non-empty line of the text is encoded as one string; whole: the text
// in one call. No special tokens; --runs times with the same tokenizer: the first run starts
// with an empty BPE cache (cold), the best of the others is warm. Prints MB/s (10^6 bytes per
// second) and the token count, which must equal the one bench/tokenizer_reference.mjs prints for
// Hugging Face's library on the same file.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "data/tokenizer.h"
#include "train/kjv_corpus.h"
#include "util/files.h"

int main(int argc, char** argv) {
  using Clock = std::chrono::steady_clock;
  std::string tokenizerPath, textPath, mode = "lines";
  int runs = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--tokenizer") tokenizerPath = argv[i + 1];
    if (a == "--text") textPath = argv[i + 1];
    if (a == "--runs") runs = std::max(1, std::atoi(argv[i + 1]));
    if (a == "--mode") mode = argv[i + 1];
  }
  if (tokenizerPath.empty()) {
    std::cerr << "usage: rope-bench-tokenizer --tokenizer FILE [--text FILE] [--runs N]\n";
    return 2;
  }
  try {
    const std::string text = textPath.empty() ? rope::readKjvText() : rope::readFile(textPath);
    std::vector<std::string> lines;
    for (size_t start = 0; start < text.size();) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      if (end > start) lines.push_back(text.substr(start, end - start));
      start = end + 1;
    }
    const auto t0 = Clock::now();
    const rope::Tokenizer tok(tokenizerPath);
    const double load = std::chrono::duration<double>(Clock::now() - t0).count();
    double cold = 0, best = 1e30;
    size_t tokens = 0;
    for (int r = 0; r < runs; ++r) {
      const auto t = Clock::now();
      tokens = 0;
      if (mode == "whole") {
        tokens = tok.encode(text).size();
      } else {
        for (const std::string& line : lines) tokens += tok.encode(line).size();
      }
      const double s = std::chrono::duration<double>(Clock::now() - t).count();
      if (r == 0) cold = s;
      if (r > 0 || runs == 1) best = std::min(best, s);
    }
    const double mb = static_cast<double>(text.size()) / 1e6;
    std::printf("%s (%s, %s): %zu bytes, %zu tokens, load %.2f s; cold %.1f MB/s, warm %.1f MB/s\n",
                tokenizerPath.c_str(), tok.kind().c_str(), mode.c_str(), text.size(), tokens, load,
                mb / cold, mb / best);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
