#pragma once
// A small, strict command-line parser for rope-cli: every option is declared, unknown options
// and malformed values are usage errors (exit code 2).

#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace rope::cli {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Args {
 public:
  // flags take no value (--json); options take one (--seq-len 4096 or --seq-len=4096).
  Args(const std::vector<std::string>& argv, const std::set<std::string>& flags,
       const std::set<std::string>& options);

  bool has(const std::string& name) const;
  std::optional<std::string> value(const std::string& name) const;
  std::string require(const std::string& name) const;
  std::optional<int> intValue(const std::string& name) const;
  std::optional<double> doubleValue(const std::string& name) const;
  // One of allowed (a usage error naming them otherwise).
  std::optional<std::string> choice(const std::string& name,
                                    const std::vector<std::string>& allowed) const;
  // Comma-separated positive integers ("128,512,1024").
  std::optional<std::vector<int>> intList(const std::string& name) const;
  const std::vector<std::string>& positional() const { return m_positional; }

 private:
  std::set<std::string> m_flags;
  std::map<std::string, std::string> m_values;
  std::vector<std::string> m_positional;
};

// "a,b,,c" -> {"a", "b", "c"}: a comma-separated list of files, empty items dropped.
std::vector<std::string> splitList(const std::string& s);

}  // namespace rope::cli
