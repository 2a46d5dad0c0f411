#include "data/token_data.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <memory>
#include <sstream>

#include "data/tokenizer.h"
#include "util/digest.h"
#include "io/json_util.h"
#include "model/safetensors.h"
#include "util/error.h"
#include "util/files.h"

namespace rope {
namespace {

namespace fs = std::filesystem;

TokenFormat formatOf(const std::string& path, TokenFormat requested) {
  if (requested != TokenFormat::Auto) return requested;
  const std::string ext = fs::path(path).extension().string();
  if (ext == ".bin") return TokenFormat::Bin;
  if (ext == ".npy") return TokenFormat::Npy;
  if (ext == ".safetensors") return TokenFormat::Safetensors;
  if (ext == ".txt" || ext == ".md" || ext == ".text") return TokenFormat::Text;
  throw InputError(path + ": cannot tell the token format from the extension '" + ext +
                   "' (use .bin, .npy, .safetensors, .txt, or give the format)");
}

std::vector<std::vector<int64_t>> split(std::vector<int64_t> ids, int64_t separator) {
  std::vector<std::vector<int64_t>> docs;
  if (separator < 0) {
    docs.push_back(std::move(ids));
    return docs;
  }
  std::vector<int64_t> cur;
  for (int64_t id : ids) {
    if (id == separator) {
      if (!cur.empty()) docs.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(id);
    }
  }
  if (!cur.empty()) docs.push_back(std::move(cur));
  return docs;
}

std::string binDTypeOf(const std::string& path, const std::string& given) {
  std::string dtype = given;
  if (dtype.empty()) {
    const std::string sidecar = path + ".json";
    std::error_code ec;
    if (!fs::exists(sidecar, ec)) {
      throw InputError(path +
                       ": raw token file needs its dtype: give uint16 or uint32, or write "
                       "a sidecar " +
                       sidecar + " {\"dtype\": \"uint16\"}");
    }
    dtype = json_util::requireString(json_util::parseFile(sidecar), "dtype", sidecar);
  }
  if (dtype != "uint16" && dtype != "uint32") {
    throw InputError(path + ": raw token dtype must be uint16 or uint32, got '" + dtype + "'");
  }
  return dtype;
}

std::vector<int64_t> readBin(const std::string& path, const std::string& dtype) {
  const std::string bytes = readFile(path);
  const size_t width = dtype == "uint16" ? 2 : 4;
  if (bytes.size() % width != 0) {
    throw InputError(path + ": " + std::to_string(bytes.size()) +
                     " bytes is not a whole number of " + dtype + " tokens (wrong dtype?)");
  }
  std::vector<int64_t> ids(bytes.size() / width);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (width == 2) {
      uint16_t v;
      std::memcpy(&v, bytes.data() + 2 * i, 2);
      ids[i] = v;
    } else {
      uint32_t v;
      std::memcpy(&v, bytes.data() + 4 * i, 4);
      ids[i] = v;
    }
  }
  return ids;
}

// The dict literal of a .npy header, e.g. {'descr': '<i8', 'fortran_order': False,
// 'shape': (3, 128), }. Parsed by hand in one pass: std::regex recursed per character and
// overflowed the stack on a long shape tuple.
struct NpyHeader {
  std::string descr;
  bool fortranOrder = false;
  bool hasShape = false;
  std::vector<uint64_t> shape;
};

NpyHeader parseNpyHeader(const std::string& h, const std::string& path) {
  size_t i = 0;
  auto bad = [&](const std::string& what) {
    return InputError(path + ": .npy header: " + what + " at byte " + std::to_string(i));
  };
  auto peek = [&]() -> char {
    while (i < h.size() && std::isspace(static_cast<unsigned char>(h[i]))) ++i;
    return i < h.size() ? h[i] : '\0';
  };
  auto expect = [&](char c) {
    if (peek() != c) throw bad(std::string("expected '") + c + "'");
    ++i;
  };
  auto quoted = [&] {
    const char q = peek();
    if (q != '\'' && q != '"') throw bad("expected a quoted string");
    const size_t end = h.find(q, ++i);
    if (end == std::string::npos) throw bad("unterminated string");
    std::string text = h.substr(i, end - i);
    i = end + 1;
    return text;
  };
  NpyHeader out;
  expect('{');
  while (peek() != '}') {
    const std::string key = quoted();
    expect(':');
    if (key == "descr") {
      out.descr = quoted();
    } else if (key == "fortran_order") {
      peek();
      const size_t b = i;
      while (i < h.size() && std::isalpha(static_cast<unsigned char>(h[i]))) ++i;
      const std::string word = h.substr(b, i - b);
      if (word != "True" && word != "False") throw bad("'fortran_order' must be True or False");
      out.fortranOrder = word == "True";
    } else if (key == "shape") {
      expect('(');
      out.hasShape = true;
      while (peek() != ')') {
        uint64_t v = 0;
        const auto r = std::from_chars(h.data() + i, h.data() + h.size(), v);
        if (r.ec == std::errc::result_out_of_range) throw bad("shape entry too large");
        if (r.ec != std::errc()) throw bad("shape entries must be non-negative integers");
        i = static_cast<size_t>(r.ptr - h.data());
        if (i < h.size() && h[i] == 'L') ++i;  // Python 2 wrote longs as 3L
        out.shape.push_back(v);
        if (peek() == ',') {
          ++i;
        } else if (peek() != ')') {
          throw bad("expected ',' or ')' in the shape");
        }
      }
      ++i;
    } else {
      throw bad("unknown key '" + key + "' (numpy writes descr, fortran_order, shape)");
    }
    if (peek() == ',') {
      ++i;
    } else if (peek() != '}') {
      throw bad("expected ',' or '}'");
    }
  }
  if (out.descr.empty()) throw InputError(path + ": .npy header has no dtype ('descr')");
  if (!out.hasShape) throw InputError(path + ": .npy header has no shape");
  return out;
}

// NumPy .npy v1-v3: magic, version, header length, a Python dict literal, then C-order data.
std::vector<std::vector<int64_t>> readNpy(const std::string& path) {
  const std::string b = readFile(path);
  if (b.size() < 10 || b.compare(0, 6, "\x93NUMPY") != 0)
    throw InputError(path + ": not a .npy file");
  const int major = static_cast<unsigned char>(b[6]);
  size_t headerLen = 0, offset = 0;
  if (major == 1) {
    headerLen = static_cast<unsigned char>(b[8]) | (static_cast<unsigned char>(b[9]) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (b.size() < 12) throw InputError(path + ": truncated .npy header");
    uint32_t len;
    std::memcpy(&len, b.data() + 8, 4);
    headerLen = len;
    offset = 12;
  } else {
    throw InputError(path + ": unsupported .npy version " + std::to_string(major));
  }
  if (offset + headerLen > b.size()) throw InputError(path + ": truncated .npy header");
  const NpyHeader header = parseNpyHeader(b.substr(offset, headerLen), path);

  // descr: byte order (< little, > big, | not applicable, = native), kind, width in bytes.
  std::string dtype = header.descr;
  char order = '=';
  if (std::string("<>|=").find(dtype[0]) != std::string::npos) {
    order = dtype[0];
    dtype.erase(0, 1);
  }
  const char kind = dtype.empty() ? '?' : dtype[0];
  const std::string widthText = dtype.empty() ? "" : dtype.substr(1);
  if (kind == 'f') throw InputError(path + ": .npy holds floats, token ids must be integers");
  if ((kind != 'i' && kind != 'u') ||
      (widthText != "1" && widthText != "2" && widthText != "4" && widthText != "8")) {
    throw InputError(path + ": .npy dtype '" + header.descr +
                     "' is not supported (integers of 1, 2, 4 or 8 bytes)");
  }
  const bool isSigned = kind == 'i';
  const size_t width = static_cast<size_t>(widthText[0] - '0');
  if (order == '>' && width > 1) throw InputError(path + ": big-endian .npy is not supported");
  if (header.fortranOrder) {
    throw InputError(path + ": Fortran-order .npy is not supported (save with C order)");
  }
  const auto& shape = header.shape;
  if (shape.empty() || shape.size() > 2) {
    throw InputError(path + ": .npy must be 1-D or 2-D, the shape has " +
                     std::to_string(shape.size()) + " dimensions");
  }
  const size_t rows = shape.size() == 2 ? shape[0] : 1;
  const size_t cols = shape.back();
  // No tokens: a huge other dimension must neither allocate nor loop.
  if (rows == 0 || cols == 0) return {};
  const size_t data = offset + headerLen;
  // rows * cols * width <= available, by division so that a huge shape cannot wrap around.
  if (cols > (b.size() - data) / width / rows) {
    throw InputError(path + ": .npy data is shorter than its shape (" + std::to_string(rows) +
                     ", " + std::to_string(cols) + ") says (truncated?)");
  }
  std::vector<std::vector<int64_t>> docs(rows);
  for (size_t r = 0; r < rows; ++r) {
    docs[r].resize(cols);
    for (size_t c = 0; c < cols; ++c) {
      const char* p = b.data() + data + (r * cols + c) * width;
      int64_t v = 0;
      if (width == 1) v = isSigned ? int64_t{static_cast<int8_t>(*p)} : static_cast<uint8_t>(*p);
      if (width == 2) {
        uint16_t u;
        std::memcpy(&u, p, 2);
        v = isSigned ? int16_t(u) : u;
      }
      if (width == 4) {
        uint32_t u;
        std::memcpy(&u, p, 4);
        v = isSigned ? int32_t(u) : int64_t{u};
      }
      if (width == 8) std::memcpy(&v, p, 8);
      docs[r][c] = v;
    }
  }
  return docs;
}

std::vector<std::vector<int64_t>> readSafetensorsIds(const std::string& path) {
  const SafetensorsFile f(path);
  const TensorView& t = f.tensor("input_ids");
  if (t.shape.empty() || t.shape.size() > 2) {
    throw InputError(path + ": input_ids must be [N] or [documents, N], got " +
                     shapeString(t.shape));
  }
  // Checked before the rows are made: [2^63-1, 0] is a valid header but 2^63 empty documents.
  if (t.numel() == 0)
    throw InputError(path + ": input_ids is empty, shape " + shapeString(t.shape));
  const std::vector<int64_t> all = t.toInt64s();
  const size_t rows = t.shape.size() == 2 ? t.shape[0] : 1;
  const size_t cols = t.shape.back();
  std::vector<std::vector<int64_t>> docs;
  for (size_t r = 0; r < rows; ++r)
    docs.emplace_back(all.begin() + r * cols, all.begin() + (r + 1) * cols);
  return docs;
}

std::vector<std::vector<int64_t>> readText(const std::string& path, const TokenSource& src,
                                           std::unique_ptr<Tokenizer>& tokenizer) {
  if (!tokenizer) {
    if (src.tokenizerPath.empty()) {
      throw InputError(path + ": text data needs the model's tokenizer.json or tokenizer.model");
    }
    tokenizer = std::make_unique<Tokenizer>(src.tokenizerPath);
  }
  std::vector<std::string> texts(1);
  std::istringstream in(readFile(path));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!src.separatorLine.empty() && line == src.separatorLine) {
      texts.emplace_back();
      continue;
    }
    texts.back() += (texts.back().empty() ? "" : "\n") + line;
  }
  std::vector<std::vector<int64_t>> docs;
  for (const auto& t : texts) {
    if (t.empty()) continue;
    // With addBos, the special tokens the model's tokenizer adds to a sequence (its BOS rule).
    docs.push_back(src.addBos ? tokenizer->encodeWithSpecial(t) : tokenizer->encode(t));
  }
  return docs;
}

}  // namespace

TokenFormat parseTokenFormat(const std::string& name) {
  if (name == "auto") return TokenFormat::Auto;
  if (name == "bin") return TokenFormat::Bin;
  if (name == "npy") return TokenFormat::Npy;
  if (name == "safetensors") return TokenFormat::Safetensors;
  if (name == "text") return TokenFormat::Text;
  throw InputError("unknown token format '" + name + "' (auto, bin, npy, safetensors, text)");
}

int64_t TokenDataset::totalTokens() const {
  int64_t n = 0;
  for (const auto& d : documents) n += static_cast<int64_t>(d.size());
  return n;
}

int64_t TokenDataset::longestDocument() const {
  size_t n = 0;
  for (const auto& d : documents) n = std::max(n, d.size());
  return static_cast<int64_t>(n);
}

std::vector<int64_t> readInputIds(const std::string& path) {
  const SafetensorsFile file(path);
  const TensorView& t = file.tensor("input_ids");
  if (t.dtype != DType::I64 && t.dtype != DType::I32) {
    throw InputError(path + ": input_ids must be I64 (or I32), got " + dtypeName(t.dtype));
  }
  const bool oneRow = t.shape.size() == 2 && t.shape[0] == 1;
  if (!(t.shape.size() == 1 || oneRow)) {
    throw InputError(path + ": input_ids must have shape [T] or [1, T], got " +
                     shapeString(t.shape));
  }
  if (t.numel() == 0) throw InputError(path + ": input_ids is empty");
  return t.toInt64s();
}

std::string fingerprintOf(const std::vector<std::vector<int64_t>>& documents) {
  // Seeded with 1469598103934665603 (the offset basis short of its last digit) since the
  // first datasets were fingerprinted: search checkpoints record these values.
  Digest d(1469598103934665603ull);
  for (const auto& doc : documents) {
    d.add(static_cast<uint64_t>(doc.size()));
    for (int64_t id : doc) d.add(static_cast<uint64_t>(id));
  }
  return d.hex();
}

TokenDataset loadTokens(const TokenSource& src) {
  if (src.paths.empty()) throw InputError("no data files given");
  TokenDataset out;
  std::unique_ptr<Tokenizer> tokenizer;
  std::string names;
  for (const auto& path : src.paths) {
    std::vector<std::vector<int64_t>> docs;
    switch (formatOf(path, src.format)) {
      case TokenFormat::Bin:
        docs = split(readBin(path, binDTypeOf(path, src.binDType)), src.separatorToken);
        break;
      case TokenFormat::Npy:
        docs = readNpy(path);
        break;
      case TokenFormat::Safetensors:
        docs = readSafetensorsIds(path);
        break;
      case TokenFormat::Text:
        docs = readText(path, src, tokenizer);
        break;
      case TokenFormat::Auto:
        break;
    }
    if (src.separatorToken >= 0 && formatOf(path, src.format) != TokenFormat::Bin) {
      std::vector<std::vector<int64_t>> parts;
      for (auto& d : docs) {
        for (auto& p : split(std::move(d), src.separatorToken)) parts.push_back(std::move(p));
      }
      docs = std::move(parts);
    }
    for (auto& d : docs) {
      if (!d.empty()) out.documents.push_back(std::move(d));
    }
    names += (names.empty() ? "" : ", ") + fs::path(path).filename().string();
  }
  if (out.documents.empty()) throw InputError("no tokens in " + names);
  out.fingerprint = fingerprintOf(out.documents);
  out.description = std::to_string(out.documents.size()) + " documents, " +
                    std::to_string(out.totalTokens()) + " tokens from " + names;
  return out;
}

}  // namespace rope
