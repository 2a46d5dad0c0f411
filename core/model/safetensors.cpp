#include "model/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/files.h"

namespace rope {
namespace {

// The safetensors format caps the header at 100 MB; a larger length is a corrupt file.
constexpr uint64_t kMaxHeaderBytes = 100ull * 1024 * 1024;

struct DTypeInfo {
  DType dtype;
  const char* name;
  size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::F64, "F64", 8},   {DType::F32, "F32", 4},        {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2}, {DType::I64, "I64", 8},        {DType::I32, "I32", 4},
    {DType::I16, "I16", 2},   {DType::I8, "I8", 1},          {DType::U64, "U64", 8},
    {DType::U32, "U32", 4},   {DType::U16, "U16", 2},        {DType::U8, "U8", 1},
    {DType::Bool, "BOOL", 1}, {DType::F8E4M3, "F8_E4M3", 1}, {DType::F8E5M2, "F8_E5M2", 1},
};

const DTypeInfo& info(DType d) {
  for (const auto& i : kDTypes) {
    if (i.dtype == d) return i;
  }
  return kDTypes[0];
}

float halfToFloat(uint16_t h) {
  const uint32_t sign = (h >> 15) & 1u;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t mant = h & 0x3ffu;
  float v;
  if (exp == 0) {
    v = std::ldexp(static_cast<float>(mant), -24);  // subnormal (or zero)
  } else if (exp == 31) {
    v = mant ? std::nanf("") : INFINITY;
  } else {
    v = std::ldexp(static_cast<float>(mant | 0x400u), static_cast<int>(exp) - 25);
  }
  return sign ? -v : v;
}

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));  // the data may be unaligned
  return v;
}

std::string fail(const std::string& path, const std::string& what) { return path + ": " + what; }

}  // namespace

DType parseDType(const std::string& name) {
  for (const auto& i : kDTypes) {
    if (name == i.name) return i.dtype;
  }
  throw InputError("unknown dtype '" + name + "'");
}

std::string dtypeName(DType d) { return info(d).name; }
size_t dtypeSize(DType d) { return info(d).size; }

std::string shapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

int64_t TensorView::numel() const {
  // An empty tensor may have huge other dims ([2^32, 2^32, 0] is valid): zero first, and a
  // checked product for views that were not made by SafetensorsFile.
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) return 0;
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || __builtin_mul_overflow(n, d, &n)) {
      throw InputError("tensor " + name + ": shape " + shapeString(shape) +
                       " has no valid element count");
    }
  }
  return n;
}

std::vector<float> TensorView::toFloats() const {
  const size_t n = static_cast<size_t>(numel());
  std::vector<float> out(n);
  if (n == 0) return out;  // memcpy from or to nullptr is undefined even for 0 bytes
  switch (dtype) {
    case DType::F32:
      std::memcpy(out.data(), data, n * 4);
      break;
    case DType::F64:
      for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(load<double>(data + 8 * i));
      break;
    case DType::F16:
      for (size_t i = 0; i < n; ++i) out[i] = halfToFloat(load<uint16_t>(data + 2 * i));
      break;
    case DType::BF16:
      for (size_t i = 0; i < n; ++i) {
        const uint32_t bits = static_cast<uint32_t>(load<uint16_t>(data + 2 * i)) << 16;
        std::memcpy(&out[i], &bits, 4);
      }
      break;
    default:
      throw InputError("tensor " + name + ": dtype " + dtypeName(dtype) +
                       " is not a floating-point type");
  }
  return out;
}

std::vector<int64_t> TensorView::toInt64s() const {
  const size_t n = static_cast<size_t>(numel());
  std::vector<int64_t> out(n);
  for (size_t i = 0; i < n; ++i) {
    switch (dtype) {
      case DType::I64:
        out[i] = load<int64_t>(data + 8 * i);
        break;
      case DType::I32:
        out[i] = load<int32_t>(data + 4 * i);
        break;
      case DType::I16:
        out[i] = load<int16_t>(data + 2 * i);
        break;
      case DType::I8:
        out[i] = load<int8_t>(data + i);
        break;
      case DType::U32:
        out[i] = load<uint32_t>(data + 4 * i);
        break;
      case DType::U16:
        out[i] = load<uint16_t>(data + 2 * i);
        break;
      case DType::U8:
        out[i] = data[i];
        break;
      case DType::U64: {
        const uint64_t v = load<uint64_t>(data + 8 * i);
        if (v > static_cast<uint64_t>(INT64_MAX)) {
          throw InputError("tensor " + name + ": value " + std::to_string(v) +
                           " does not fit int64");
        }
        out[i] = static_cast<int64_t>(v);
        break;
      }
      default:
        throw InputError("tensor " + name + ": dtype " + dtypeName(dtype) +
                         " is not an integer type");
    }
  }
  return out;
}

SafetensorsFile::SafetensorsFile(const std::string& path) : m_path(path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError("cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw InputError("cannot read " + path + ": not a regular file");
  }
  m_size = static_cast<size_t>(st.st_size);
  if (m_size < 8) {
    ::close(fd);
    throw InputError(fail(path, "truncated safetensors file (" + std::to_string(m_size) +
                                    " bytes, the 8-byte header length alone needs 8)"));
  }
  m_map = ::mmap(nullptr, m_size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (m_map == MAP_FAILED) {
    m_map = nullptr;
    throw InputError("cannot map " + path + ": " + std::strerror(errno));
  }
  try {
    const auto* base = static_cast<const uint8_t*>(m_map);
    const uint64_t headerLen = load<uint64_t>(base);  // little-endian hosts only (x86, arm)
    if (headerLen == 0 || headerLen > kMaxHeaderBytes || headerLen > m_size - 8) {
      throw InputError(fail(path, "header length " + std::to_string(headerLen) +
                                      " does not fit the file of " + std::to_string(m_size) +
                                      " bytes (truncated or not a safetensors file)"));
    }
    const std::string text(reinterpret_cast<const char*>(base + 8), headerLen);
    // Detect duplicate top-level names, which nlohmann would silently merge.
    std::vector<std::string> keys;
    std::string duplicate;
    nlohmann::json::parser_callback_t onKey = [&](int depth, nlohmann::json::parse_event_t ev,
                                                  nlohmann::json& parsed) {
      if (ev == nlohmann::json::parse_event_t::key && depth == 1) {
        const std::string k = parsed.get<std::string>();
        if (std::find(keys.begin(), keys.end(), k) != keys.end() && duplicate.empty()) {
          duplicate = k;
        }
        keys.push_back(k);
      }
      return true;
    };
    nlohmann::json header;
    try {
      header = nlohmann::json::parse(text, onKey);
    } catch (const nlohmann::json::exception& e) {
      // parse_error, and out_of_range for a number beyond a double ("1e999").
      throw InputError(fail(path, std::string("header is not valid JSON (") + e.what() + ")"));
    }
    if (!header.is_object()) throw InputError(fail(path, "header is not a JSON object"));
    if (!duplicate.empty())
      throw InputError(fail(path, "tensor '" + duplicate + "' appears twice"));

    const uint8_t* dataArea = base + 8 + headerLen;
    const uint64_t dataSize = m_size - 8 - headerLen;
    for (const std::string& name : keys) {
      const nlohmann::json& entry = header.at(name);
      if (name == "__metadata__") {
        if (!entry.is_object()) throw InputError(fail(path, "__metadata__ must be an object"));
        for (const auto& [k, v] : entry.items()) {
          if (!v.is_string()) {
            throw InputError(fail(path, "__metadata__ value '" + k + "' must be a string"));
          }
          m_metadata[k] = v.get<std::string>();
        }
        continue;
      }
      const std::string where = "tensor " + name;
      auto bad = [&](const std::string& what) {
        return InputError(fail(path, where + ": " + what));
      };
      if (!entry.is_object()) throw bad("entry must be an object");
      auto dt = entry.find("dtype");
      auto sh = entry.find("shape");
      auto off = entry.find("data_offsets");
      if (dt == entry.end() || !dt->is_string()) throw bad("missing or non-string 'dtype'");
      if (sh == entry.end() || !sh->is_array()) throw bad("missing or non-array 'shape'");
      if (off == entry.end() || !off->is_array() || off->size() != 2) {
        throw bad("'data_offsets' must be [begin, end]");
      }
      TensorView t;
      t.name = name;
      try {
        t.dtype = parseDType(dt->get<std::string>());
      } catch (const InputError& e) {
        throw bad(e.what());
      }
      unsigned __int128 count = 1;
      for (const auto& d : *sh) {
        if (!d.is_number_unsigned()) throw bad("shape entries must be non-negative integers");
        const uint64_t v = d.get<uint64_t>();
        if (v > static_cast<uint64_t>(INT64_MAX)) throw bad("shape entry too large");
        t.shape.push_back(static_cast<int64_t>(v));
        count *= v;
        if (count > (static_cast<unsigned __int128>(1) << 64)) throw bad("shape too large");
      }
      for (const auto& o : *off) {
        if (!o.is_number_unsigned()) throw bad("data_offsets must be non-negative integers");
      }
      const uint64_t begin = (*off)[0].get<uint64_t>();
      const uint64_t end = (*off)[1].get<uint64_t>();
      if (begin > end)
        throw bad("data_offsets begin " + std::to_string(begin) + " > end " + std::to_string(end));
      if (end > dataSize) {
        throw bad("data_offsets end " + std::to_string(end) + " is past the data area of " +
                  std::to_string(dataSize) + " bytes (truncated file?)");
      }
      const unsigned __int128 expected = count * dtypeSize(t.dtype);
      if (expected != end - begin) {
        throw bad("shape " + shapeString(t.shape) + " x " + dtypeName(t.dtype) + " needs " +
                  std::to_string(static_cast<uint64_t>(expected)) + " bytes, data_offsets span " +
                  std::to_string(end - begin));
      }
      t.data = dataArea + begin;
      t.bytes = static_cast<size_t>(end - begin);
      m_index[name] = m_tensors.size();
      m_tensors.push_back(std::move(t));
    }
    // Overlap check on spans sorted by start; empty tensors cannot overlap anything.
    std::vector<const TensorView*> byStart;
    for (const auto& t : m_tensors) {
      if (t.bytes > 0) byStart.push_back(&t);
    }
    std::sort(byStart.begin(), byStart.end(),
              [](const TensorView* a, const TensorView* b) { return a->data < b->data; });
    for (size_t i = 1; i < byStart.size(); ++i) {
      if (byStart[i]->data < byStart[i - 1]->data + byStart[i - 1]->bytes) {
        throw InputError(fail(path, "tensor " + byStart[i]->name + " overlaps tensor " +
                                        byStart[i - 1]->name + " in the data area"));
      }
    }
  } catch (...) {
    unmap();
    throw;
  }
}

SafetensorsFile::~SafetensorsFile() { unmap(); }

SafetensorsFile::SafetensorsFile(SafetensorsFile&& o) noexcept
    : m_path(std::move(o.m_path)),
      m_map(o.m_map),
      m_size(o.m_size),
      m_tensors(std::move(o.m_tensors)),
      m_index(std::move(o.m_index)),
      m_metadata(std::move(o.m_metadata)) {
  o.m_map = nullptr;
  o.m_size = 0;
}

SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&& o) noexcept {
  if (this != &o) {
    unmap();
    m_path = std::move(o.m_path);
    m_map = o.m_map;
    m_size = o.m_size;
    m_tensors = std::move(o.m_tensors);
    m_index = std::move(o.m_index);
    m_metadata = std::move(o.m_metadata);
    o.m_map = nullptr;
    o.m_size = 0;
  }
  return *this;
}

void SafetensorsFile::unmap() {
  if (m_map) ::munmap(m_map, m_size);
  m_map = nullptr;
}

bool SafetensorsFile::contains(const std::string& name) const { return m_index.count(name) > 0; }

const TensorView& SafetensorsFile::tensor(const std::string& name) const {
  auto it = m_index.find(name);
  if (it == m_index.end()) throw InputError(fail(m_path, "no tensor '" + name + "'"));
  return m_tensors[it->second];
}

std::string formatSafetensors(const std::vector<TensorBlob>& tensors,
                              const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    if (header.contains(t.name))
      throw InputError("safetensors writer: tensor '" + t.name + "' given twice");
    int64_t n = 1;
    for (int64_t d : t.shape) {
      if (d < 0) throw InputError("safetensors writer: tensor " + t.name + " has a negative dim");
      n *= d;
    }
    if (static_cast<size_t>(n) * dtypeSize(t.dtype) != t.bytes) {
      throw InputError("safetensors writer: tensor " + t.name + " shape " + shapeString(t.shape) +
                       " needs " + std::to_string(n * dtypeSize(t.dtype)) + " bytes, got " +
                       std::to_string(t.bytes));
    }
    header[t.name] = {{"dtype", dtypeName(t.dtype)},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + t.bytes}}};
    offset += t.bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keep the data area 8-byte aligned
  std::string out(8, '\0');
  const uint64_t len = text.size();
  std::memcpy(out.data(), &len, 8);
  out += text;
  out.reserve(out.size() + offset);
  for (const auto& t : tensors) out.append(static_cast<const char*>(t.data), t.bytes);
  return out;
}

void writeSafetensors(const std::string& path, const std::vector<TensorBlob>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  writeFileAtomic(path, formatSafetensors(tensors, metadata));
}

}  // namespace rope
