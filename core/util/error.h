#pragma once
// Typed exceptions thrown by core/. Entry points (rope-cli, GUI workers) catch
// std::exception and turn it into a message or an exit code; core never exits.

#include <stdexcept>
#include <string>

namespace rope {

// Something is wrong with what the user gave us: a file, a config, a parameter.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The caller's progress callback asked to stop. Distinct from failure.
class CancelledError : public std::runtime_error {
 public:
  CancelledError() : std::runtime_error("cancelled") {}
};

}  // namespace rope
