#include "cli/cli_args.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <sstream>

namespace rope::cli {

Args::Args(const std::vector<std::string>& argv, const std::set<std::string>& flags,
           const std::set<std::string>& options) {
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.rfind("--", 0) != 0 || a == "--") {
      m_positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::optional<std::string> inlineValue;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      inlineValue = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (flags.count(name)) {
      if (inlineValue) throw UsageError("--" + name + " takes no value");
      m_flags.insert(name);
    } else if (options.count(name)) {
      if (m_values.count(name)) throw UsageError("--" + name + " given twice");
      if (inlineValue) {
        m_values[name] = *inlineValue;
      } else {
        if (i + 1 >= argv.size()) throw UsageError("--" + name + " needs a value");
        m_values[name] = argv[++i];
      }
    } else {
      throw UsageError("unknown option --" + name);
    }
  }
}

bool Args::has(const std::string& name) const {
  return m_flags.count(name) > 0 || m_values.count(name) > 0;
}

std::optional<std::string> Args::value(const std::string& name) const {
  auto it = m_values.find(name);
  if (it == m_values.end()) return std::nullopt;
  return it->second;
}

std::string Args::require(const std::string& name) const {
  auto v = value(name);
  if (!v) throw UsageError("missing --" + name);
  return *v;
}

std::optional<int> Args::intValue(const std::string& name) const {
  auto v = value(name);
  if (!v) return std::nullopt;
  long long x = 0;
  auto r = std::from_chars(v->data(), v->data() + v->size(), x);
  if (v->empty() || r.ec != std::errc() || r.ptr != v->data() + v->size() ||
      x < std::numeric_limits<int>::min() || x > std::numeric_limits<int>::max()) {
    throw UsageError("--" + name + " must be an integer, got '" + *v + "'");
  }
  return static_cast<int>(x);
}

std::optional<double> Args::doubleValue(const std::string& name) const {
  auto v = value(name);
  if (!v) return std::nullopt;
  double x = 0;
  auto r = std::from_chars(v->data(), v->data() + v->size(), x);
  if (v->empty() || r.ec != std::errc() || r.ptr != v->data() + v->size() || !std::isfinite(x)) {
    throw UsageError("--" + name + " must be a finite number, got '" + *v + "'");
  }
  return x;
}

std::optional<std::string> Args::choice(const std::string& name,
                                        const std::vector<std::string>& allowed) const {
  auto v = value(name);
  if (!v || std::find(allowed.begin(), allowed.end(), *v) != allowed.end()) return v;
  std::string names;
  for (size_t i = 0; i < allowed.size(); ++i) {
    names += (i == 0 ? "" : i + 1 == allowed.size() ? " or " : ", ") + allowed[i];
  }
  throw UsageError("--" + name + " must be " + names + ", got '" + *v + "'");
}

std::optional<std::vector<int>> Args::intList(const std::string& name) const {
  auto v = value(name);
  if (!v) return std::nullopt;
  std::vector<int> out;
  size_t start = 0;
  while (start <= v->size()) {
    const size_t end = std::min(v->find(',', start), v->size());
    const std::string item = v->substr(start, end - start);
    long long x = 0;
    auto r = std::from_chars(item.data(), item.data() + item.size(), x);
    if (item.empty() || r.ec != std::errc() || r.ptr != item.data() + item.size() || x <= 0 ||
        x > std::numeric_limits<int>::max()) {
      throw UsageError("--" + name + " must be a comma-separated list of positive integers, got '" +
                       *v + "'");
    }
    out.push_back(static_cast<int>(x));
    start = end + 1;
  }
  return out;
}

std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace rope::cli
