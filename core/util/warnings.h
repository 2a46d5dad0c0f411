#pragma once
// Warnings about what a user gave us that core can still act on (a config with two RoPE blocks
// that disagree, say). Each message is reported once per sink: a model loaded by every worker of
// a search warns one time. Without an installed sink, messages go to stderr.

#include <functional>
#include <set>
#include <string>

namespace rope {

using WarningSink = std::function<void(const std::string& message)>;

// Reports message unless the current sink has already seen it. Thread-safe.
void warnOnce(const std::string& message);

// Routes warnings to sink while it lives (rope-cli's error stream, the workbench's window).
// The newest live sink receives them; sinks may end in any order.
class ScopedWarningSink {
 public:
  explicit ScopedWarningSink(WarningSink sink);
  ~ScopedWarningSink();
  ScopedWarningSink(const ScopedWarningSink&) = delete;
  ScopedWarningSink& operator=(const ScopedWarningSink&) = delete;

 private:
  friend void warnOnce(const std::string& message);
  WarningSink m_sink;
  std::set<std::string> m_seen;
};

}  // namespace rope
