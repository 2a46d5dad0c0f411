#pragma once
// Where the bundled demo model and its corpus live, so that "--model demo" / "--data demo"
// (and no --model at all) work from a build tree or an installed copy.

#include <string>
#include <vector>

namespace rope {

// The demo model folder: $ROPE_DEMO_MODEL when set, else resources/demo-model of the source
// tree this build came from. Throws InputError when it holds no config.json.
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
