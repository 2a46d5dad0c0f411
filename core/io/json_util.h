#pragma once
// Internal: typed access to JSON documents with messages that name the file and the key.
// Not part of core's public interface (it exposes nlohmann::ordered_json).

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace rope::json_util {

using Json = nlohmann::ordered_json;  // keeps key order when a config is patched

// Parses text; throws InputError("SOURCE: not valid JSON (...)").
Json parse(const std::string& text, const std::string& source);
// Reads and parses a file.
Json parseFile(const std::string& path);

std::string typeName(const Json& j);

// Each getter throws InputError "SOURCE: 'key' must be TYPE, got TYPE" when the key exists
// with the wrong type (or is missing, for the require* forms). null counts as absent.
std::optional<double> optNumber(const Json& obj, const std::string& key, const std::string& source);
std::optional<long long> optInt(const Json& obj, const std::string& key, const std::string& source);
std::optional<bool> optBool(const Json& obj, const std::string& key, const std::string& source);
std::optional<std::string> optString(const Json& obj, const std::string& key,
                                     const std::string& source);
std::optional<std::vector<double>> optNumbers(const Json& obj, const std::string& key,
                                              const std::string& source);
double requireNumber(const Json& obj, const std::string& key, const std::string& source);
long long requireInt(const Json& obj, const std::string& key, const std::string& source);
std::string requireString(const Json& obj, const std::string& key, const std::string& source);
// An integer from lo to hi inclusive: "SOURCE: 'key' must be an integer from LO to HI, got V".
// The checked way to turn a JSON number into an int (a bare get<int>() wraps or is UB).
std::optional<long long> optIntIn(const Json& obj, const std::string& key,
                                  const std::string& source, long long lo, long long hi);
long long requireIntIn(const Json& obj, const std::string& key, const std::string& source,
                       long long lo, long long hi);
// The same for a JSON value that is not under a key (a list element); what names it.
long long intIn(const Json& v, const std::string& what, const std::string& source, long long lo,
                long long hi);
// An int that must fit an int and be > 0.
int requirePositiveInt(const Json& obj, const std::string& key, const std::string& source);
std::optional<int> optPositiveInt(const Json& obj, const std::string& key,
                                  const std::string& source);

// A JSON number array with every element finite.
std::vector<double> numbers(const Json& arr, const std::string& what, const std::string& source);

// Serialises with 2-space indentation and a trailing newline.
std::string dump(const Json& j);

}  // namespace rope::json_util
