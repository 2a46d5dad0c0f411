#include "util/warnings.h"

#include <algorithm>
#include <iostream>
#include <mutex>
#include <vector>

namespace rope {
namespace {

std::mutex g_mutex;
std::vector<ScopedWarningSink*> g_sinks;  // live sinks, newest last

}  // namespace

void warnOnce(const std::string& message) {
  static std::set<std::string> seenOnStderr;
  std::lock_guard lock(g_mutex);
  if (!g_sinks.empty()) {
    ScopedWarningSink& s = *g_sinks.back();
    if (s.m_seen.insert(message).second) s.m_sink(message);
  } else if (seenOnStderr.insert(message).second) {
    std::cerr << "warning: " << message << "\n";
  }
}

ScopedWarningSink::ScopedWarningSink(WarningSink sink) : m_sink(std::move(sink)) {
  std::lock_guard lock(g_mutex);
  g_sinks.push_back(this);
}

ScopedWarningSink::~ScopedWarningSink() {
  std::lock_guard lock(g_mutex);
  g_sinks.erase(std::find(g_sinks.begin(), g_sinks.end(), this));
}

}  // namespace rope
