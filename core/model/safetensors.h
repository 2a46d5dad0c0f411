#pragma once
// Safetensors files (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length N, N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, ...,
// "__metadata__": {str: str}}, then the data area. Offsets are relative to the data area.
//
// SafetensorsFile memory-maps a file read-only and validates the whole header before any
// tensor is handed out: header length within the file, JSON well-formed and an object, names
// unique, known dtype, shape product x dtype size == byte span, spans inside the data area and
// not overlapping. Every failure is an InputError naming the file (and the tensor).
// No torch types here: the engine wraps the spans itself.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace rope {

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, Bool, F8E4M3, F8E5M2 };

// "F32", "BF16", ... as written in the header. Throws InputError for an unknown name.
DType parseDType(const std::string& name);
std::string dtypeName(DType dtype);
size_t dtypeSize(DType dtype);

// "[128, 64]"
std::string shapeString(const std::vector<int64_t>& shape);

// One tensor of a mapped file. data points into the mapping: valid while the file lives.
// data is not necessarily aligned to the element size.
struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;
  size_t bytes = 0;

  int64_t numel() const;
  // Values converted to float (F32, F16, BF16, F64); throws InputError for other dtypes.
  std::vector<float> toFloats() const;
  // Values converted to int64 (any integer dtype); throws InputError for floating dtypes.
  std::vector<int64_t> toInt64s() const;
};

class SafetensorsFile {
 public:
  // Maps and validates path. Throws InputError naming path (and the tensor) on any problem.
  explicit SafetensorsFile(const std::string& path);
  ~SafetensorsFile();
  SafetensorsFile(SafetensorsFile&& other) noexcept;
  SafetensorsFile& operator=(SafetensorsFile&& other) noexcept;
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return m_path; }
  // In file order of the header.
  const std::vector<TensorView>& tensors() const { return m_tensors; }
  const std::map<std::string, std::string>& metadata() const { return m_metadata; }
  bool contains(const std::string& name) const;
  // Throws InputError "PATH: no tensor 'name'" when absent.
  const TensorView& tensor(const std::string& name) const;

 private:
  void unmap();

  std::string m_path;
  void* m_map = nullptr;
  size_t m_size = 0;
  std::vector<TensorView> m_tensors;
  std::map<std::string, size_t> m_index;
  std::map<std::string, std::string> m_metadata;
};

// A tensor to write: data must hold numel x dtypeSize bytes in little-endian order.
struct TensorBlob {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const void* data = nullptr;
  size_t bytes = 0;
};

// The bytes of a safetensors file holding tensors (in the given order, 8-byte aligned header).
// Throws InputError for duplicate names or a byte count that does not match the shape.
std::string formatSafetensors(const std::vector<TensorBlob>& tensors,
                              const std::map<std::string, std::string>& metadata = {});
// Writes formatSafetensors(...) atomically (rope::writeFileAtomic).
void writeSafetensors(const std::string& path, const std::vector<TensorBlob>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace rope
