#include "io/factor_files.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <optional>
#include <sstream>

#include "io/hf_config.h"
#include "io/json_util.h"
#include "util/error.h"
#include "util/files.h"

namespace rope {
namespace {

using json_util::Json;
namespace ju = json_util;
namespace fs = std::filesystem;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string trim(const std::string& s) {
  const char* space = " \t\r\n\f\v";  // what the whitespace-separated layout splits on
  const auto b = s.find_first_not_of(space);
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(space);
  return s.substr(b, e - b + 1);
}

// Shortest text that reads back to the same double.
std::string shortest(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string stem(const std::string& path) { return fs::path(path).stem().string(); }

Json curve(const std::vector<double>& v) { return Json(v); }

Json setToJson(const FactorSet& s) {
  Json j = Json::object();
  j["name"] = s.name;
  j["method"] = s.method;
  j["factors"] = curve(s.factors);
  if (!s.shortFactors.empty()) j["short_factors"] = curve(s.shortFactors);
  if (!s.layerFactors.empty()) j["layer_factors"] = Json(s.layerFactors);
  j["n_hat"] = s.nHat;
  j["attention_factor"] = s.attentionFactor ? Json(*s.attentionFactor) : Json(nullptr);
  j["base"] = s.base;
  j["rotary_dim"] = s.rotaryDim;
  j["original_max_position"] = s.originalMaxPosition;
  j["target_length"] = s.targetLength;
  return j;
}

int nonNegativeInt(const Json& j, const std::string& key, const std::string& source) {
  const long long v = ju::optInt(j, key, source).value_or(0);
  if (v < 0 || v > 1'000'000'000LL) {
    throw InputError(source + ": '" + key + "' must be a non-negative integer, got " +
                     std::to_string(v));
  }
  return static_cast<int>(v);
}

FactorSet setFromJson(const Json& j, const std::string& source) {
  if (!j.is_object()) throw InputError(source + ": each factor set must be an object");
  FactorSet s;
  s.name = ju::optString(j, "name", source).value_or("");
  s.method = ju::optString(j, "method", source).value_or("custom");
  auto factors = ju::optNumbers(j, "factors", source);
  if (!factors) throw InputError(source + ": factor set '" + s.name + "' has no 'factors'");
  s.factors = *factors;
  s.shortFactors = ju::optNumbers(j, "short_factors", source).value_or(std::vector<double>{});
  if (auto it = j.find("layer_factors"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) throw InputError(source + ": 'layer_factors' must be a list of lists");
    for (size_t l = 0; l < it->size(); ++l) {
      s.layerFactors.push_back(
          ju::numbers((*it)[l], "layer_factors[" + std::to_string(l) + "]", source));
    }
  }
  s.nHat = nonNegativeInt(j, "n_hat", source);
  s.attentionFactor = ju::optNumber(j, "attention_factor", source);
  s.base = ju::optNumber(j, "base", source).value_or(0.0);
  s.rotaryDim = nonNegativeInt(j, "rotary_dim", source);
  s.originalMaxPosition = nonNegativeInt(j, "original_max_position", source);
  s.targetLength = nonNegativeInt(j, "target_length", source);
  if (s.rotaryDim > 0 && static_cast<int>(s.factors.size()) * 2 != s.rotaryDim) {
    throw InputError(source + ": factor set '" + s.name + "' has " +
                     std::to_string(s.factors.size()) + " factors but rotary_dim " +
                     std::to_string(s.rotaryDim) + " needs " + std::to_string(s.rotaryDim / 2));
  }
  const auto problems = factorSetProblems(s, s.rotaryDim / 2, false);
  if (!problems.empty()) {
    throw InputError(source + ": factor set '" + s.name + "': " + problems.front());
  }
  return s;
}

}  // namespace

std::string formatName(FactorFormat f) {
  switch (f) {
    case FactorFormat::HfConfig:
      return "hf-config";
    case FactorFormat::LongRopeCsv:
      return "longrope-csv";
    case FactorFormat::LongRopeNCsv:
      return "longrope-n-csv";
    case FactorFormat::Project:
      return "project";
  }
  return "project";
}

FactorFormat parseFormat(const std::string& name) {
  if (name == "hf-config") return FactorFormat::HfConfig;
  if (name == "longrope-csv" || name == "csv") return FactorFormat::LongRopeCsv;
  if (name == "longrope-n-csv") return FactorFormat::LongRopeNCsv;
  if (name == "project") return FactorFormat::Project;
  throw InputError("unknown factor file format '" + name +
                   "' (supported: hf-config, longrope-csv, longrope-n-csv, project)");
}

FactorFormat detectFormat(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return FactorFormat::HfConfig;
  const std::string ext = lower(fs::path(path).extension().string());
  if (ext == ".csv" || ext == ".txt") return FactorFormat::LongRopeCsv;
  if (ext == ".json") {
    const Json j = ju::parseFile(path);
    if (j.is_object() && j.contains("format") && j["format"] == kProjectFormatTag) {
      return FactorFormat::Project;
    }
    if (j.is_object()) return FactorFormat::HfConfig;
    throw InputError(path + ": a JSON factor file must be an object");
  }
  throw InputError(path + ": unknown factor file type '" + ext +
                   "' (expected .csv, .txt, a project .json, a config.json or a model folder)");
}

namespace {

// The cells of one CSV line: comma-separated, or whitespace-separated as numpy.savetxt writes
// by default (microsoft/LongRoPE's scale files).
std::vector<std::string> splitCells(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  std::istringstream in(line);
  if (line.find(',') != std::string::npos) {
    while (std::getline(in, cell, ',')) cells.push_back(trim(cell));
  } else {
    while (in >> cell) cells.push_back(cell);
  }
  return cells;
}

// The first line this project writes, so that its own files never depend on the guess below.
constexpr const char* kCsvLayoutPlain = "# layout: factors";
constexpr const char* kCsvLayoutNHat = "# layout: n_hat, factors";

bool isCount(double v) { return v >= 0 && v <= 1e9 && v == std::floor(v); }

bool isColumn(const std::vector<std::vector<double>>& rows) {
  return rows.front().size() == 1 && rows.size() > 1;
}

// LongRoPE's dim_mono_n layout puts n_hat before the d/2 factors. Without a layout line the
// file is taken to be in it when the count is odd (real rotary dims give an even number of
// pairs) and the first value is a whole number that cannot start a factor curve: 0, or more
// than the value after it (n_hat 4 before a first factor of 1).
bool looksLikeNHat(const std::vector<std::vector<double>>& rows) {
  const bool column = isColumn(rows);
  const size_t count = column ? rows.size() : rows.front().size();
  const double first = rows.front()[0];
  if (count < 3 || count % 2 == 0 || !isCount(first)) return false;
  const double next = column ? rows[1][0] : rows.front()[1];
  return first == 0 || first > next;
}

// Strips n_hat (the first value, or every row's first value, all the same whole number) and
// returns it; -1, rows untouched, when the rows do not hold one.
int takeNHat(std::vector<std::vector<double>>& rows) {
  const double first = rows.front()[0];
  if (!isCount(first)) return -1;
  if (isColumn(rows)) {
    rows.erase(rows.begin());
    return static_cast<int>(first);
  }
  if (rows.front().size() < 2) return -1;
  for (const auto& r : rows) {
    if (r[0] != first) return -1;
  }
  for (auto& r : rows) r.erase(r.begin());
  return static_cast<int>(first);
}

}  // namespace

FactorSet parseLongRopeCsv(const std::string& text, const std::string& source) {
  std::vector<std::vector<double>> rows;
  std::istringstream in(text);
  std::string line;
  int lineNo = 0;
  std::optional<bool> layoutHasNHat;  // from the layout comment this project writes
  while (std::getline(in, line)) {
    ++lineNo;
    const std::string t = trim(line);
    if (t.rfind(kCsvLayoutPlain, 0) == 0) layoutHasNHat = false;
    if (t.rfind(kCsvLayoutNHat, 0) == 0) layoutHasNHat = true;
    if (t.empty() || t[0] == '#') continue;
    if (t.back() == ',') {
      throw InputError(source + ":" + std::to_string(lineNo) + ": trailing comma");
    }
    std::vector<double> row;
    int col = 0;
    for (const std::string& c : splitCells(t)) {
      ++col;
      double v = 0;
      auto r = std::from_chars(c.data(), c.data() + c.size(), v);
      if (c.empty() || r.ec != std::errc() || r.ptr != c.data() + c.size()) {
        throw InputError(source + ":" + std::to_string(lineNo) + ": value " + std::to_string(col) +
                         " '" + c + "' is not a number");
      }
      if (!std::isfinite(v)) {
        throw InputError(source + ":" + std::to_string(lineNo) + ": value " + std::to_string(col) +
                         " is not finite");
      }
      row.push_back(v);
    }
    if (!rows.empty() && row.size() != rows.front().size()) {
      throw InputError(source + ":" + std::to_string(lineNo) + ": " + std::to_string(row.size()) +
                       " values, the lines above have " + std::to_string(rows.front().size()));
    }
    rows.push_back(std::move(row));
  }
  if (rows.empty()) throw InputError(source + ": no factors in the file");
  FactorSet s;
  s.name = stem(source);
  s.method = "longrope";
  if (layoutHasNHat.value_or(looksLikeNHat(rows))) {
    s.nHat = takeNHat(rows);
    if (s.nHat < 0) {
      throw InputError(source +
                       ": the file says it starts with n_hat, but its rows do not "
                       "start with the same whole number before the factors");
    }
  }
  if (rows.front().size() == 1) {
    for (const auto& r : rows) s.factors.push_back(r[0]);
  } else if (rows.size() == 1) {
    s.factors = rows.front();
  } else {
    s.layerFactors = rows;  // layers x pairs
    s.factors = rows.front();
  }
  const auto problems = factorSetProblems(s, 0, false);
  if (!problems.empty()) throw InputError(source + ": " + problems.front());
  return s;
}

std::string formatLongRopeCsv(const FactorSet& set, std::vector<std::string>* warnings,
                              bool withNHat) {
  validateFactorSet(set, 0, false);
  std::string out = std::string(withNHat ? kCsvLayoutNHat : kCsvLayoutPlain) + "\n";
  const std::string nHat = withNHat ? shortest(set.nHat) : std::string();
  if (set.layerFactors.empty()) {
    if (withNHat) out += nHat + "\n";
    for (double v : set.factors) out += shortest(v) + "\n";
  } else {
    for (const auto& row : set.layerFactors) {
      if (withNHat) out += nHat + ",";
      for (size_t i = 0; i < row.size(); ++i) out += (i ? "," : "") + shortest(row[i]);
      out += "\n";
    }
  }
  if (warnings) {
    if (set.nHat > 0 && !withNHat) {
      warnings->push_back("n_hat is not stored in a LongRoPE CSV (longrope-n-csv stores it)");
    }
    if (set.attentionFactor && *set.attentionFactor != 1.0) {
      warnings->push_back("the attention factor is not stored in a LongRoPE CSV");
    }
    if (!set.shortFactors.empty() && set.shortFactors != set.factors) {
      warnings->push_back("short factors are not stored in a LongRoPE CSV (long factors written)");
    }
  }
  return out;
}

namespace {

// The project's sets and its JSON document (parsed once).
std::pair<std::vector<FactorSet>, Json> parseProjectJson(const std::string& text,
                                                         const std::string& source) {
  const Json j = ju::parse(text, source);
  if (!j.is_object() || ju::optString(j, "format", source) != std::string(kProjectFormatTag)) {
    throw InputError(source + ": not a RoPE Workbench project (missing \"format\": \"" +
                     kProjectFormatTag + "\")");
  }
  const long long version = ju::requireInt(j, "version", source);
  if (version < 1 || version > kProjectVersion) {
    throw InputError(source + ": project version " + std::to_string(version) +
                     " is not supported (this build reads versions 1 to " +
                     std::to_string(kProjectVersion) + ")");
  }
  auto it = j.find("factor_sets");
  if (it == j.end() || !it->is_array()) {
    throw InputError(source + ": 'factor_sets' must be a list");
  }
  std::vector<FactorSet> sets;
  for (const auto& s : *it) sets.push_back(setFromJson(s, source));
  return {std::move(sets), j};
}

Json projectJson(const std::vector<FactorSet>& sets) {
  Json j = Json::object();
  j["format"] = kProjectFormatTag;
  j["version"] = kProjectVersion;
  Json arr = Json::array();
  for (const auto& s : sets) {
    validateFactorSet(s, 0, false);
    arr.push_back(setToJson(s));
  }
  j["factor_sets"] = arr;
  return j;
}

}  // namespace

std::vector<FactorSet> parseProject(const std::string& text, const std::string& source) {
  return parseProjectJson(text, source).first;
}

std::string formatProject(const std::vector<FactorSet>& sets) {
  return ju::dump(projectJson(sets));
}

ProjectFile readProjectFile(const std::string& path) {
  auto [sets, j] = parseProjectJson(readFile(path), path);
  ProjectFile p;
  p.sets = std::move(sets);
  if (auto it = j.find("session"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) throw InputError(path + ": 'session' must be an object");
    p.session = it->dump();
  }
  return p;
}

void writeProjectFile(const std::string& path, const ProjectFile& project) {
  Json j = projectJson(project.sets);
  if (!project.session.empty()) {
    Json s = ju::parse(project.session, path + " (session state)");
    if (!s.is_object()) throw InputError(path + ": the session state must be a JSON object");
    j["session"] = std::move(s);
  }
  writeFileAtomic(path, ju::dump(j));
}

std::vector<FactorSet> readFactorFiles(const std::string& path) {
  switch (detectFormat(path)) {
    case FactorFormat::Project: {
      auto sets = parseProject(readFile(path), path);
      if (sets.empty()) throw InputError(path + ": the project holds no factor sets");
      return sets;
    }
    case FactorFormat::LongRopeCsv:
    case FactorFormat::LongRopeNCsv:
      return {parseLongRopeCsv(readFile(path), path)};
    case FactorFormat::HfConfig: {
      const std::string file = configPath(path);
      const RopeParams p = readRopeParams(file);
      return {factorSetFromParams(p, p.maxPosition, modelNameOf(file))};
    }
  }
  return {};
}

FactorSet readFactorFile(const std::string& path, const std::string& name) {
  auto sets = readFactorFiles(path);
  if (name.empty()) return sets.front();
  for (auto& s : sets) {
    if (s.name == name) return s;
  }
  throw InputError(path + ": no factor set named '" + name + "'");
}

void writeFactorFile(const std::string& path, const FactorSet& set, FactorFormat format,
                     std::vector<std::string>* warnings, bool modernise) {
  switch (format) {
    case FactorFormat::Project:
      writeProject(path, {set});
      return;
    case FactorFormat::LongRopeCsv:
    case FactorFormat::LongRopeNCsv:
      writeFileAtomic(path, formatLongRopeCsv(set, warnings, format == FactorFormat::LongRopeNCsv));
      return;
    case FactorFormat::HfConfig: {
      const std::string file = configPath(path);
      std::error_code ec;
      const std::string existing = fs::exists(file, ec) ? readFile(file) : std::string();
      writeFileAtomic(file, patchHfConfig(existing, set, file, warnings, modernise));
      return;
    }
  }
}

void writeProject(const std::string& path, const std::vector<FactorSet>& sets) {
  writeFileAtomic(path, formatProject(sets));
}

}  // namespace rope
