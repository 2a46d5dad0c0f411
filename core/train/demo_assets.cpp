#include "train/demo_assets.h"

#include <cstdlib>
#include <filesystem>
#include <utility>

#include "train/kjv_corpus.h"
#include "util/error.h"
#include "util/install_paths.h"

namespace rope {
namespace fs = std::filesystem;

DemoModelLocation locateDemoModel() {
  std::vector<std::pair<std::string, std::string>> candidates;  // (folder, origin)
  if (const char* env = std::getenv("ROPE_DEMO_MODEL"); env && *env) {
    candidates.emplace_back(env, "ROPE_DEMO_MODEL");
  } else {
    if (const std::string data = installedDataDir(); !data.empty()) {
      candidates.emplace_back((fs::path(data) / "demo-model").string(), "installed");
    }
    candidates.emplace_back((fs::path(ROPE_SOURCE_DIR) / "resources" / "demo-model").string(),
                            "source tree");
  }
  DemoModelLocation loc;
  for (const auto& [dir, origin] : candidates) {
    loc.tried.push_back(dir);
    std::error_code ec;
    if (fs::exists(fs::path(dir) / "config.json", ec)) {
      loc.dir = dir;
      loc.origin = origin;
      break;
    }
  }
  return loc;
}

std::string demoModelDir() {
  const DemoModelLocation loc = locateDemoModel();
  if (loc.dir.empty()) {
    std::string where;
    for (const auto& dir : loc.tried) where += (where.empty() ? "" : " or ") + dir;
    throw InputError("the demo model is not at " + where +
                     " (set ROPE_DEMO_MODEL or pass --model DIR)");
  }
  return loc.dir;
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
