#pragma once
// Where the bundled demo model and its corpus live, so that "--model demo" / "--data demo"
// (and no --model at all) work from a build tree or an installed copy.

#include <string>
#include <vector>

namespace rope {

// Where the demo model is, looked for in this order:
//   1. $ROPE_DEMO_MODEL when set: an explicit choice, used alone (when it holds no model there
//      is no demo model, rather than a silent fallback);
//   2. the installed copy beside the executable, <exe>/../share/rope-workbench/demo-model;
//   3. resources/demo-model of the source tree this build came from.
// A folder counts when it holds a config.json. Never throws.
struct DemoModelLocation {
  std::string dir;                 // the folder found; empty when there is none
  std::string origin;              // how: "ROPE_DEMO_MODEL", "installed" or "source tree"
  std::vector<std::string> tried;  // every folder looked at, in order
};
DemoModelLocation locateDemoModel();

// locateDemoModel()'s folder. Throws InputError naming the folders tried when there is none.
std::string demoModelDir();

// The LongRoPE searches of the bundled demo model (searched-4x.json, ...): demo-factors beside
// the demo model folder. Throws InputError when there is no such folder.
std::string demoFactorsDir();

// "demo" or empty gives demoModelDir(); anything else is returned as it is.
std::string resolveModel(const std::string& arg);

// The corpus cache: $ROPE_CORPUS_DIR, else ($XDG_CACHE_HOME or ~/.cache)/rope-workbench/kjv.
std::string defaultCorpusDir();

// The documents of a split ("train", "validation", "test") of the demo corpus, preparing the
// corpus on first use (Debian's bible-kjv).
std::vector<std::string> demoDataFiles(const std::string& split = "test");

}  // namespace rope
