#pragma once
// FNV-1a, 64 bits: the project's fingerprints of data, checkpoints' inputs, builds and models
// (to tell them apart, not a security digest). Hex: 16 lowercase digits.

#include <cstdint>
#include <cstdio>
#include <string>

namespace rope {

class Digest {
 public:
  static constexpr uint64_t kOffset = 14695981039346656037ull;  // FNV-1a's offset basis
  explicit Digest(uint64_t seed = kOffset) : m_h(seed) {}
  Digest& add(const char* data, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      m_h ^= static_cast<unsigned char>(data[i]);
      m_h *= 1099511628211ull;
    }
    return *this;
  }
  Digest& add(const std::string& s) { return add(s.data(), s.size()); }
  // The value's 8 bytes, least significant first.
  Digest& add(uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      m_h ^= (v >> (8 * i)) & 0xff;
      m_h *= 1099511628211ull;
    }
    return *this;
  }
  std::string hex() const {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(m_h));
    return buf;
  }

 private:
  uint64_t m_h;
};

}  // namespace rope
