#pragma once
// Reading and writing factor sets: Hugging Face config.json (both spellings), the LongRoPE
// search CSV (one factor per line, or a layers x pairs matrix) and the workbench's own
// versioned project JSON. Writers are atomic: a failed write leaves the old file intact.

#include <string>
#include <vector>

#include "rope/factor_set.h"

namespace rope {

enum class FactorFormat { HfConfig, LongRopeCsv, Project };

std::string formatName(FactorFormat format);  // "hf-config", "longrope-csv", "project"
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
FactorSet parseLongRopeCsv(const std::string& text, const std::string& source);
std::string formatLongRopeCsv(const FactorSet& set, std::vector<std::string>* warnings);
std::vector<FactorSet> parseProject(const std::string& text, const std::string& source);
std::string formatProject(const std::vector<FactorSet>& sets);

// Writes set to path in format. For an HF config, an existing config.json (or folder) is
// patched: only its RoPE keys change. warnings receives what the format cannot hold.
void writeFactorFile(const std::string& path, const FactorSet& set, FactorFormat format,
                     std::vector<std::string>* warnings = nullptr);
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
