#pragma once
// File helpers with user-facing errors. writeFileAtomic never leaves a partly written file:
// it writes a temporary file beside the target, flushes it and renames it over the target.

#include <string>

namespace rope {

// Whole file as bytes; throws InputError("cannot read PATH: reason").
std::string readFile(const std::string& path);

// Atomically replaces (or creates) path with content. Throws InputError on failure, in which
// case the previous file (if any) is untouched and no temporary file is left behind.
void writeFileAtomic(const std::string& path, const std::string& content);

}  // namespace rope
