#pragma once
// Reading and writing factor sets: Hugging Face config.json (both spellings), the LongRoPE
// search CSV (one factor per line, or a layers x pairs matrix; comma- or space-separated;
// optionally led by n_hat as LongRoPE's dim_mono_n files are) and the workbench's own
// versioned project JSON. Writers are atomic: a failed write leaves the old file intact.

#include <string>
#include <vector>

#include "rope/factor_set.h"

namespace rope {

// LongRopeNCsv writes LongRoPE's dim_mono_n layout (n_hat, then the factors); both CSV
// layouts are read as LongRopeCsv.
enum class FactorFormat { HfConfig, LongRopeCsv, LongRopeNCsv, Project };

// "hf-config", "longrope-csv", "longrope-n-csv", "project"
std::string formatName(FactorFormat format);
FactorFormat parseFormat(const std::string& name);

// The project JSON's format tag and the newest version this build reads and writes.
inline constexpr const char* kProjectFormatTag = "rope-workbench-project";
inline constexpr int kProjectVersion = 1;

// From the extension and, for .json, the content (a project carries kProjectFormatTag).
// A folder means its config.json. Throws InputError for anything else.
FactorFormat detectFormat(const std::string& path);

// Reads the factor set in a file of any supported format. For an HF config, the set is the
// config's RoPE expressed as factors (LongRoPE configs keep short and long factors). A project
// with several sets gives the one named `name`, or the first when name is empty.
FactorSet readFactorFile(const std::string& path, const std::string& name = {});
// All sets of a project file (one for the other formats).
std::vector<FactorSet> readFactorFiles(const std::string& path);

// Text forms, used by the writers and the tests. source names the text in messages.
// A CSV whose values per row (or whose single column) are odd in count and led by the same
// whole number that cannot start a factor curve (0, or more than the next value) is
// LongRoPE's dim_mono_n layout: that number is n_hat. A file led by n_hat 1 before a factor of
// 1 or more reads as plain factors (one too many for the model, which says so). The files this
// project writes say their layout on a first comment line, which the reader follows.
FactorSet parseLongRopeCsv(const std::string& text, const std::string& source);
// withNHat: the dim_mono_n layout (n_hat on the first line, or leading each layer's row).
std::string formatLongRopeCsv(const FactorSet& set, std::vector<std::string>* warnings,
                              bool withNHat = false);
std::vector<FactorSet> parseProject(const std::string& text, const std::string& source);
std::string formatProject(const std::vector<FactorSet>& sets);

// Writes set to path in format. For an HF config, an existing config.json (or folder) is
// patched: only its RoPE keys change (see patchHfConfig; modernise renames a `su` type to
// longrope). warnings receives what the format cannot hold.
void writeFactorFile(const std::string& path, const FactorSet& set, FactorFormat format,
                     std::vector<std::string>* warnings = nullptr, bool modernise = false);
void writeProject(const std::string& path, const std::vector<FactorSet>& sets);

// A project file as the workbench saves a session: the factor sets and the GUI's own state
// (a JSON object's text, kept verbatim by core; empty when the file has none).
struct ProjectFile {
  std::vector<FactorSet> sets;
  std::string session;
};
ProjectFile readProjectFile(const std::string& path);
// Throws InputError when session is neither empty nor a JSON object.
void writeProjectFile(const std::string& path, const ProjectFile& project);

}  // namespace rope
