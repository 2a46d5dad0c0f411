#pragma once
// A plain byte encoding for what ranks of a cluster job exchange (numbers, strings, token
// vectors): native byte order, lengths as int64. ByteReader checks every read against the end
// of the buffer and throws InputError for a truncated or malformed message.

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "util/error.h"

namespace rope {

class ByteWriter {
 public:
  template <typename T>
  ByteWriter& put(T v) {
    static_assert(std::is_arithmetic_v<T>);
    m_bytes.append(reinterpret_cast<const char*>(&v), sizeof v);
    return *this;
  }
  ByteWriter& put(const std::string& s) {
    put<int64_t>(static_cast<int64_t>(s.size()));
    m_bytes.append(s);
    return *this;
  }
  template <typename T>
  ByteWriter& put(const std::vector<T>& v) {
    static_assert(std::is_arithmetic_v<T>);
    put<int64_t>(static_cast<int64_t>(v.size()));
    m_bytes.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
    return *this;
  }
  const std::string& bytes() const { return m_bytes; }
  std::string take() { return std::move(m_bytes); }

 private:
  std::string m_bytes;
};

class ByteReader {
 public:
  explicit ByteReader(const std::string& bytes) : m_bytes(bytes) {}
  template <typename T>
  T get() {
    static_assert(std::is_arithmetic_v<T>);
    T v;
    std::memcpy(&v, take(sizeof v), sizeof v);
    return v;
  }
  std::string getString() {
    const size_t n = count(1);
    return std::string(take(n), n);
  }
  template <typename T>
  std::vector<T> getVector() {
    static_assert(std::is_arithmetic_v<T>);
    const size_t n = count(sizeof(T));
    std::vector<T> v(n);
    if (n > 0) std::memcpy(v.data(), take(n * sizeof(T)), n * sizeof(T));
    return v;
  }
  bool atEnd() const { return m_pos == m_bytes.size(); }

 private:
  size_t count(size_t elementSize) {
    const int64_t n = get<int64_t>();
    if (n < 0 || static_cast<uint64_t>(n) > (m_bytes.size() - m_pos) / elementSize) {
      throw InputError("malformed message: a length of " + std::to_string(n) +
                       " runs past its end");
    }
    return static_cast<size_t>(n);
  }
  const char* take(size_t n) {
    if (n > m_bytes.size() - m_pos) throw InputError("malformed message: it ends too early");
    const char* p = m_bytes.data() + m_pos;
    m_pos += n;
    return p;
  }
  const std::string& m_bytes;
  size_t m_pos = 0;
};

}  // namespace rope
