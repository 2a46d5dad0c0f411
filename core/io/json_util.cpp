#include "io/json_util.h"

#include <cmath>
#include <limits>

#include "util/error.h"
#include "util/files.h"

namespace rope::json_util {
namespace {

[[noreturn]] void wrongType(const std::string& source, const std::string& key, const char* expected,
                            const Json& got) {
  throw InputError(source + ": '" + key + "' must be " + expected + ", got " + typeName(got));
}

const Json* find(const Json& obj, const std::string& key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

// v as a long long when it is an integer that fits one; 4096.0 counts (an integer written as a
// float). An unsigned above LLONG_MAX must not go through get<long long>(), which wraps.
std::optional<long long> integerValue(const Json& v) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<unsigned long long>();
    if (u > static_cast<unsigned long long>(std::numeric_limits<long long>::max())) {
      return std::nullopt;
    }
    return static_cast<long long>(u);
  }
  if (v.is_number_integer()) return v.get<long long>();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) {
      return static_cast<long long>(d);
    }
  }
  return std::nullopt;
}

}  // namespace

Json parse(const std::string& text, const std::string& source) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    std::string what = e.what();
    const auto pos = what.find("parse error");
    throw InputError(source + ": not valid JSON (" +
                     (pos == std::string::npos ? what : what.substr(pos)) + ")");
  } catch (const Json::exception& e) {
    // e.g. out_of_range 406: a number too large for a double ("1e999").
    std::string what = e.what();
    const auto pos = what.find("] ");
    throw InputError(source + ": not valid JSON (" +
                     (pos == std::string::npos ? what : what.substr(pos + 2)) + ")");
  }
}

Json parseFile(const std::string& path) { return parse(readFile(path), path); }

std::string typeName(const Json& j) {
  if (j.is_number_integer()) return "an integer";
  if (j.is_number()) return "a number";
  if (j.is_string()) return "a string";
  if (j.is_boolean()) return "a boolean";
  if (j.is_array()) return "a list";
  if (j.is_object()) return "an object";
  return "null";
}

std::optional<double> optNumber(const Json& obj, const std::string& key,
                                const std::string& source) {
  const Json* v = find(obj, key);
  if (!v) return std::nullopt;
  if (!v->is_number()) wrongType(source, key, "a number", *v);
  const double d = v->get<double>();
  if (!std::isfinite(d)) throw InputError(source + ": '" + key + "' is not finite");
  return d;
}

std::optional<long long> optInt(const Json& obj, const std::string& key,
                                const std::string& source) {
  const Json* v = find(obj, key);
  if (!v) return std::nullopt;
  if (auto i = integerValue(*v)) return i;
  if (v->is_number_integer())
    throw InputError(source + ": '" + key + "' is too large: " + v->dump());
  wrongType(source, key, "an integer", *v);
}

long long intIn(const Json& v, const std::string& what, const std::string& source, long long lo,
                long long hi) {
  const auto i = integerValue(v);
  if (!i || *i < lo || *i > hi) {
    throw InputError(source + ": " + what + " must be an integer from " + std::to_string(lo) +
                     " to " + std::to_string(hi) + ", got " +
                     (v.is_number() ? v.dump() : typeName(v)));
  }
  return *i;
}

std::optional<long long> optIntIn(const Json& obj, const std::string& key,
                                  const std::string& source, long long lo, long long hi) {
  const Json* v = find(obj, key);
  if (!v) return std::nullopt;
  return intIn(*v, "'" + key + "'", source, lo, hi);
}

long long requireIntIn(const Json& obj, const std::string& key, const std::string& source,
                       long long lo, long long hi) {
  auto v = optIntIn(obj, key, source, lo, hi);
  if (!v) throw InputError(source + ": missing key '" + key + "'");
  return *v;
}

std::optional<bool> optBool(const Json& obj, const std::string& key, const std::string& source) {
  const Json* v = find(obj, key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) wrongType(source, key, "a boolean", *v);
  return v->get<bool>();
}

std::optional<std::string> optString(const Json& obj, const std::string& key,
                                     const std::string& source) {
  const Json* v = find(obj, key);
  if (!v) return std::nullopt;
  if (!v->is_string()) wrongType(source, key, "a string", *v);
  return v->get<std::string>();
}

std::optional<std::vector<double>> optNumbers(const Json& obj, const std::string& key,
                                              const std::string& source) {
  const Json* v = find(obj, key);
  if (!v) return std::nullopt;
  return numbers(*v, "'" + key + "'", source);
}

double requireNumber(const Json& obj, const std::string& key, const std::string& source) {
  auto v = optNumber(obj, key, source);
  if (!v) throw InputError(source + ": missing key '" + key + "'");
  return *v;
}

long long requireInt(const Json& obj, const std::string& key, const std::string& source) {
  auto v = optInt(obj, key, source);
  if (!v) throw InputError(source + ": missing key '" + key + "'");
  return *v;
}

std::string requireString(const Json& obj, const std::string& key, const std::string& source) {
  auto v = optString(obj, key, source);
  if (!v) throw InputError(source + ": missing key '" + key + "'");
  return *v;
}

std::optional<int> optPositiveInt(const Json& obj, const std::string& key,
                                  const std::string& source) {
  auto v = optInt(obj, key, source);
  if (!v) return std::nullopt;
  if (*v <= 0 || *v > std::numeric_limits<int>::max()) {
    throw InputError(source + ": '" + key + "' must be a positive integer, got " +
                     std::to_string(*v));
  }
  return static_cast<int>(*v);
}

int requirePositiveInt(const Json& obj, const std::string& key, const std::string& source) {
  auto v = optPositiveInt(obj, key, source);
  if (!v) throw InputError(source + ": missing key '" + key + "'");
  return *v;
}

std::vector<double> numbers(const Json& arr, const std::string& what, const std::string& source) {
  if (!arr.is_array()) {
    throw InputError(source + ": " + what + " must be a list of numbers, got " + typeName(arr));
  }
  std::vector<double> out;
  out.reserve(arr.size());
  for (size_t i = 0; i < arr.size(); ++i) {
    if (!arr[i].is_number()) {
      throw InputError(source + ": " + what + "[" + std::to_string(i) + "] must be a number, got " +
                       typeName(arr[i]));
    }
    const double d = arr[i].get<double>();
    if (!std::isfinite(d)) {
      throw InputError(source + ": " + what + "[" + std::to_string(i) + "] is not finite");
    }
    out.push_back(d);
  }
  return out;
}

std::string dump(const Json& j) { return j.dump(2) + "\n"; }

}  // namespace rope::json_util
