#include "train/kjv_corpus.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>

#include "util/error.h"
#include "util/files.h"

namespace rope {
namespace fs = std::filesystem;

namespace {

// Every 8th book (from the 4th) is test, every 8th from the 8th is validation: 8 test books,
// 8 validation books, 50 training books, spread over both testaments.
const char* splitOf(int bookIndex) {
  if (bookIndex % 8 == 3) return "test";
  if (bookIndex % 8 == 7) return "validation";
  return "train";
}

}  // namespace

KjvCorpus parseKjv(const std::string& text) {
  static const std::regex verse(R"(^(\d?[A-Za-z]+)(\d+):(\d+) (.*)$)");
  std::vector<CorpusDocument> books;
  std::istringstream in(text);
  std::string line;
  int lineNo = 0;
  int chapter = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::smatch m;
    if (!std::regex_match(line, m, verse)) {
      throw InputError("KJV text line " + std::to_string(lineNo) + " is not a verse: '" +
                       line.substr(0, 60) + "'");
    }
    const int ch = std::stoi(m[2]);
    if (books.empty() || books.back().name != m[1]) {
      books.push_back({static_cast<int>(books.size()), m[1], ""});
      chapter = ch;
    } else if (ch != chapter) {
      books.back().text += "\n";
      chapter = ch;
    } else {
      books.back().text += " ";
    }
    books.back().text += m[4].str();
  }
  if (static_cast<int>(books.size()) < kMinKjvBooks) {
    throw InputError("the KJV text holds " + std::to_string(books.size()) +
                     " books; expected the whole Bible (66)");
  }
  KjvCorpus c;
  for (size_t i = 0; i < books.size(); ++i) {
    const std::string split = splitOf(static_cast<int>(i));
    auto& target = split == "test" ? c.test : split == "validation" ? c.validation : c.train;
    target.push_back(std::move(books[i]));
  }
  return c;
}

std::string readKjvText() {
  FILE* p = ::popen("bible -f \"Genesis 1:1-Revelation 22:21\" 2>/dev/null", "r");
  if (!p) throw InputError("cannot run the bible program (Debian package bible-kjv)");
  std::string text;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
  const int status = ::pclose(p);
  if (status != 0 || text.empty()) {
    throw InputError("the bible program failed; install Debian's bible-kjv (scripts/setup.sh)");
  }
  return text;
}

std::string prepareKjvCorpus(const std::string& dir) {
  if (fs::exists(fs::path(dir) / "READY")) return dir;
  const KjvCorpus c = parseKjv(readKjvText());
  std::error_code ec;
  auto write = [&](const std::vector<CorpusDocument>& docs, const std::string& split) {
    const fs::path sub = fs::path(dir) / split;
    fs::create_directories(sub, ec);
    if (ec) throw InputError("cannot create " + sub.string() + ": " + ec.message());
    for (const auto& d : docs) {
      char name[64];
      std::snprintf(name, sizeof name, "%02d-%s.txt", d.index, d.name.c_str());
      writeFileAtomic((sub / name).string(), d.text + "\n");
    }
  };
  write(c.train, "train");
  write(c.validation, "validation");
  write(c.test, "test");
  writeFileAtomic((fs::path(dir) / "READY").string(),
                  "King James Bible from Debian's bible-kjv, split by book\n");
  return dir;
}

std::vector<std::string> corpusFiles(const std::string& dir, const std::string& split) {
  const fs::path sub = fs::path(dir) / split;
  std::error_code ec;
  if (!fs::is_directory(sub, ec)) {
    throw InputError("corpus folder " + sub.string() + " does not exist");
  }
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(sub)) {
    if (e.is_regular_file() && e.path().extension() == ".txt") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw InputError("corpus folder " + sub.string() + " holds no .txt documents");
  return files;
}

}  // namespace rope
