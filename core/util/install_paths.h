#pragma once
// Where an installed RoPE Workbench keeps its files. They are found from the running
// executable (/proc/self/exe), so a copy installed under any prefix works as it is:
//   <prefix>/bin/rope-cli, <prefix>/bin/rope-workbench
//   <prefix>/share/rope-workbench/{demo-model,demo-factors}
//   <prefix>/lib/rope-workbench/<the SentencePiece module>
// The layout relative to bin/ is fixed when the build is configured (GNUInstallDirs; see
// core/CMakeLists.txt). Thread-safe.

#include <string>

namespace rope {

// The folder holding the running executable; empty when /proc/self/exe cannot be read.
std::string executableDir();

// The installed data folder beside the executable (<exe>/../share/rope-workbench), whether or
// not it exists; empty when executableDir() is.
std::string installedDataDir();

// The installed folder of run-time modules (<exe>/../lib/rope-workbench), whether or not it
// exists; empty when executableDir() is.
std::string installedModuleDir();

}  // namespace rope
