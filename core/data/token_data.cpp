#include "data/token_data.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "data/tokenizer.h"
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
    try {
      const auto j = nlohmann::json::parse(readFile(sidecar));
      dtype = j.at("dtype").get<std::string>();
    } catch (const nlohmann::json::exception& e) {
      throw InputError(sidecar + ": needs {\"dtype\": \"uint16\" | \"uint32\"} (" + e.what() + ")");
    }
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
  const std::string header = b.substr(offset, headerLen);
  std::smatch m;
  if (!std::regex_search(header, m, std::regex(R"('descr'\s*:\s*'([<|>]?)([uif])(\d))"))) {
    throw InputError(path + ": .npy header has no dtype");
  }
  if (m[1] == ">") throw InputError(path + ": big-endian .npy is not supported");
  if (m[2] == "f") throw InputError(path + ": .npy holds floats, token ids must be integers");
  const bool isSigned = m[2] == "i";
  const size_t width = std::stoul(m[3]);
  if (width != 1 && width != 2 && width != 4 && width != 8) {
    throw InputError(path + ": unsupported integer width " + std::to_string(width));
  }
  if (std::regex_search(header, std::regex(R"('fortran_order'\s*:\s*True)"))) {
    throw InputError(path + ": Fortran-order .npy is not supported (save with C order)");
  }
  if (!std::regex_search(header, m, std::regex(R"('shape'\s*:\s*\(([^)]*)\))"))) {
    throw InputError(path + ": .npy header has no shape");
  }
  std::vector<size_t> shape;
  std::stringstream dims(m[1].str());
  for (std::string d; std::getline(dims, d, ',');) {
    d.erase(std::remove_if(d.begin(), d.end(), ::isspace), d.end());
    if (!d.empty()) shape.push_back(std::stoull(d));
  }
  if (shape.empty() || shape.size() > 2) throw InputError(path + ": .npy must be 1-D or 2-D");
  const size_t rows = shape.size() == 2 ? shape[0] : 1;
  const size_t cols = shape.back();
  const size_t data = offset + headerLen;
  if (b.size() - data < rows * cols * width) {
    throw InputError(path + ": .npy data is shorter than its shape says (truncated?)");
  }
  std::vector<std::vector<int64_t>> docs(rows, std::vector<int64_t>(cols));
  for (size_t r = 0; r < rows; ++r) {
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
      throw InputError(path + ": text data needs the model's tokenizer.model");
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
    std::vector<int64_t> ids;
    if (src.addBos && tokenizer->bosId() >= 0) ids.push_back(tokenizer->bosId());
    const auto body = tokenizer->encode(t);
    ids.insert(ids.end(), body.begin(), body.end());
    docs.push_back(std::move(ids));
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
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (8 * i)) & 0xff;
      h *= 1099511628211ull;
    }
  };
  for (const auto& d : documents) {
    mix(d.size());
    for (int64_t id : d) mix(static_cast<uint64_t>(id));
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
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
