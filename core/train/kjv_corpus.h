#pragma once
// The demo model's corpus: the King James Bible as printed by Debian's bible-kjv package
// (`bible -f "Genesis 1:1-Revelation 22:21"`, lines "Ge1:1 In the beginning ..."), one
// document per book, split deterministically by book into train, validation and test.

#include <string>
#include <vector>

namespace rope {

struct CorpusDocument {
  int index = 0;     // the book's place in the Bible, 0 = Genesis
  std::string name;  // the book's abbreviation as printed, e.g. "Ge", "1Sa", "Re"
  std::string text;  // verses joined by spaces, chapters separated by newlines
};

struct KjvCorpus {
  std::vector<CorpusDocument> train;
  std::vector<CorpusDocument> validation;
  std::vector<CorpusDocument> test;
};

// Parses the bible program's output. Throws InputError naming the first malformed line, or
// when fewer than kMinBooks books are found (an empty or truncated text).
KjvCorpus parseKjv(const std::string& text);
inline constexpr int kMinKjvBooks = 10;

// Runs the bible program (Debian package bible-kjv) and parses its output.
std::string readKjvText();

// Writes the corpus to dir/{train,validation,test}/NN-NAME.txt (one document per file, written
// atomically) and returns dir. An existing complete corpus (dir/READY) is kept as it is.
std::string prepareKjvCorpus(const std::string& dir);

// The files of one split of a prepared corpus ("train", "validation", "test"), sorted.
std::vector<std::string> corpusFiles(const std::string& dir, const std::string& split);

}  // namespace rope
