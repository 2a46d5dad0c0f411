#include "util/install_paths.h"

#include <filesystem>

namespace rope {
namespace fs = std::filesystem;
namespace {

std::string besideExecutable(const char* relative) {
  const std::string exe = executableDir();
  if (exe.empty()) return {};
  return (fs::path(exe) / relative).lexically_normal().string();
}

}  // namespace

std::string executableDir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : exe.parent_path().string();
}

std::string installedDataDir() { return besideExecutable(ROPE_DATA_FROM_BIN); }

std::string installedModuleDir() { return besideExecutable(ROPE_MODULES_FROM_BIN); }

}  // namespace rope
