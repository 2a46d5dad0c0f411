#include "util/warnings.h"

#include <iostream>
#include <mutex>

namespace rope {
namespace {

std::mutex g_mutex;
ScopedWarningSink* g_current = nullptr;

}  // namespace

void warnOnce(const std::string& message) {
  static std::set<std::string> seenOnStderr;
  std::lock_guard lock(g_mutex);
  if (g_current) {
    if (g_current->m_seen.insert(message).second) g_current->m_sink(message);
  } else if (seenOnStderr.insert(message).second) {
    std::cerr << "warning: " << message << "\n";
  }
}

ScopedWarningSink::ScopedWarningSink(WarningSink sink) : m_sink(std::move(sink)) {
  std::lock_guard lock(g_mutex);
  m_previous = g_current;
  g_current = this;
}

ScopedWarningSink::~ScopedWarningSink() {
  std::lock_guard lock(g_mutex);
  g_current = m_previous;
}

}  // namespace rope
