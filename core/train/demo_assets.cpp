#include "train/demo_assets.h"

#include <cstdlib>
#include <filesystem>

#include "train/kjv_corpus.h"
#include "util/error.h"

namespace rope {
namespace fs = std::filesystem;

std::string demoModelDir() {
  const char* env = std::getenv("ROPE_DEMO_MODEL");
  const fs::path dir =
      env && *env ? fs::path(env) : fs::path(ROPE_SOURCE_DIR) / "resources" / "demo-model";
  std::error_code ec;
  if (!fs::exists(dir / "config.json", ec)) {
    throw InputError("the demo model is not at " + dir.string() +
                     " (set ROPE_DEMO_MODEL or pass --model DIR)");
  }
  return dir.string();
}

std::string demoFactorsDir() {
  const fs::path dir = fs::path(demoModelDir()).parent_path() / "demo-factors";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw InputError("no demo factor sets at " + dir.string());
  return dir.string();
}

std::string resolveModel(const std::string& arg) {
  return arg.empty() || arg == "demo" ? demoModelDir() : arg;
}

std::string defaultCorpusDir() {
  if (const char* env = std::getenv("ROPE_CORPUS_DIR"); env && *env) return env;
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  const fs::path base = xdg && *xdg ? fs::path(xdg) : fs::path(home ? home : ".") / ".cache";
  return (base / "rope-workbench" / "kjv").string();
}

std::vector<std::string> demoDataFiles(const std::string& split) {
  return corpusFiles(prepareKjvCorpus(defaultCorpusDir()), split);
}

}  // namespace rope
