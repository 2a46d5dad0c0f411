#include "data/tokenizer.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "data/hf_tokenizer.h"
#include "util/error.h"
#include "util/install_paths.h"

namespace rope {
namespace {

// The loaded SentencePiece module and its functions (Tokenizer::modulePath says which file).
struct Shim {
  void* lib = nullptr;
  std::string error;
  void* (*load)(const char*, char*, size_t) = nullptr;
  int (*encode)(void*, const char*, size_t, int**, size_t*, char*, size_t) = nullptr;
  void (*freeIds)(int*) = nullptr;
  int (*decode)(void*, const int*, size_t, char**, size_t*, char*, size_t) = nullptr;
  void (*freeText)(char*) = nullptr;
  int (*bos)(void*) = nullptr;
  int (*eos)(void*) = nullptr;
  int (*vocab)(void*) = nullptr;
  void (*destroy)(void*) = nullptr;
  void (*piece)(void*, int, char*, size_t) = nullptr;  // optional (older modules lack it)
};

// AddressSanitizer aborts any dlopen with RTLD_DEEPBIND (github.com/google/sanitizers/issues/611)
// and, without it, the module's embedded protobuf 3.14 binds to LibTorch's 3.21 and aborts its
// version check. So a -DROPE_SANITIZE build has no SentencePiece (tests/sanitizers/README.md).
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ROPE_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(ROPE_ASAN)
constexpr bool kSanitizerBuild = true;
#else
constexpr bool kSanitizerBuild = false;
#endif

const Shim& shim() {
  static const Shim s = [] {
    Shim s;
    const std::string path = Tokenizer::modulePath();
    if (path.empty()) {
      s.error =
          "this build has no SentencePiece support (install libsentencepiece-dev and "
          "rebuild, or give pre-tokenized .bin/.npy/.safetensors data)";
      return s;
    }
    if (kSanitizerBuild) {
      s.error =
          "SentencePiece cannot be loaded in an AddressSanitizer build (its module needs "
          "RTLD_DEEPBIND); use a normal build for tokenizer.model files";
      return s;
    }
    s.lib = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (!s.lib) {
      s.error = std::string("cannot load the SentencePiece module: ") + ::dlerror();
      return s;
    }
    auto sym = [&](const char* name) { return ::dlsym(s.lib, name); };
    s.load = reinterpret_cast<decltype(s.load)>(sym("rope_spm_load"));
    s.encode = reinterpret_cast<decltype(s.encode)>(sym("rope_spm_encode"));
    s.freeIds = reinterpret_cast<decltype(s.freeIds)>(sym("rope_spm_free"));
    s.decode = reinterpret_cast<decltype(s.decode)>(sym("rope_spm_decode"));
    s.freeText = reinterpret_cast<decltype(s.freeText)>(sym("rope_spm_free_text"));
    s.bos = reinterpret_cast<decltype(s.bos)>(sym("rope_spm_bos"));
    s.eos = reinterpret_cast<decltype(s.eos)>(sym("rope_spm_eos"));
    s.vocab = reinterpret_cast<decltype(s.vocab)>(sym("rope_spm_vocab"));
    s.destroy = reinterpret_cast<decltype(s.destroy)>(sym("rope_spm_destroy"));
    s.piece = reinterpret_cast<decltype(s.piece)>(sym("rope_spm_piece"));
    if (!s.load || !s.encode || !s.freeIds || !s.decode || !s.freeText || !s.bos || !s.eos ||
        !s.vocab || !s.destroy) {
      s.error = "the SentencePiece module " + path + " lacks its functions";
      s.lib = nullptr;
    }
    return s;
  }();
  return s;
}

}  // namespace

// The sentencepiece module (see sentencepiece_shim.cpp for why it is not linked directly).
std::string Tokenizer::modulePath() {
  if (const char* env = std::getenv("ROPE_SENTENCEPIECE_SHIM")) return env;
#ifdef ROPE_SENTENCEPIECE_SHIM
  if (const std::string dir = installedModuleDir(); !dir.empty()) {
    const auto installed = std::filesystem::path(dir) / ROPE_SENTENCEPIECE_MODULE_NAME;
    std::error_code ec;
    if (std::filesystem::exists(installed, ec)) return installed.string();
  }
  return ROPE_SENTENCEPIECE_SHIM;
#else
  return {};
#endif
}

struct Tokenizer::Impl {
  void* handle = nullptr;              // SentencePiece
  std::unique_ptr<HfTokenizer> json;  // tokenizer.json
  ~Impl() {
    if (handle) shim().destroy(handle);
  }
};

bool Tokenizer::available() { return shim().lib != nullptr; }

namespace {
// A tokenizer.json is a JSON object; a SentencePiece model is a binary protobuf.
bool isJsonFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char c = 0;
  while (in.get(c)) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return c == '{';
  }
  return false;
}
}  // namespace

std::string Tokenizer::modelTokenizerPath(const std::string& modelDir) {
  const auto dir = std::filesystem::path(modelDir);
  std::error_code ec;
  if (std::filesystem::is_regular_file(dir / "tokenizer.json", ec)) {
    return (dir / "tokenizer.json").string();
  }
  return (dir / "tokenizer.model").string();
}

bool Tokenizer::canLoad(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  return isJsonFile(path) || available();
}

Tokenizer::Tokenizer(const std::string& path) : m_impl(std::make_unique<Impl>()) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw InputError("cannot load tokenizer " + path + ": no such file");
  }
  if (isJsonFile(path)) {
    m_impl->json = std::make_unique<HfTokenizer>(path);
    return;
  }
  const Shim& s = shim();
  if (!s.lib) throw InputError("cannot tokenize with " + path + ": " + s.error);
  char err[512] = {};
  m_impl->handle = s.load(path.c_str(), err, sizeof err);
  if (!m_impl->handle) {
    throw InputError("cannot load SentencePiece tokenizer " + path + ": " + err);
  }
}

Tokenizer::~Tokenizer() = default;

std::string Tokenizer::kind() const { return m_impl->json ? "tokenizer.json" : "SentencePiece"; }

std::vector<int64_t> Tokenizer::encodeWithSpecial(const std::string& text) const {
  if (m_impl->json) return m_impl->json->encode(text, true);
  std::vector<int64_t> ids;
  if (bosId() >= 0) ids.push_back(bosId());
  const auto body = encode(text);
  ids.insert(ids.end(), body.begin(), body.end());
  return ids;
}

std::vector<int64_t> Tokenizer::encode(const std::string& text) const {
  if (m_impl->json) return m_impl->json->encode(text, false);
  int* ids = nullptr;
  size_t n = 0;
  char err[512] = {};
  if (shim().encode(m_impl->handle, text.data(), text.size(), &ids, &n, err, sizeof err) != 0) {
    throw InputError(std::string("tokenizer failed: ") + err);
  }
  std::vector<int64_t> out(ids, ids + n);
  shim().freeIds(ids);
  return out;
}

std::string Tokenizer::decode(const std::vector<int64_t>& ids) const {
  if (m_impl->json) return m_impl->json->decode(ids, false);
  const int vocab = vocabSize();
  std::vector<int> in;
  in.reserve(ids.size());
  for (const int64_t id : ids) {
    if (id < 0 || id >= vocab) {
      throw InputError("cannot decode token id " + std::to_string(id) + ": outside [0, " +
                       std::to_string(vocab) + ")");
    }
    in.push_back(static_cast<int>(id));
  }
  char* text = nullptr;
  size_t n = 0;
  char err[512] = {};
  if (shim().decode(m_impl->handle, in.data(), in.size(), &text, &n, err, sizeof err) != 0) {
    throw InputError(std::string("tokenizer failed to decode: ") + err);
  }
  std::string out(text, n);
  shim().freeText(text);
  return out;
}

int Tokenizer::bosId() const {
  return m_impl->json ? m_impl->json->bosId() : shim().bos(m_impl->handle);
}
int Tokenizer::eosId() const {
  return m_impl->json ? m_impl->json->eosId() : shim().eos(m_impl->handle);
}
int Tokenizer::vocabSize() const {
  return m_impl->json ? m_impl->json->vocabSize() : shim().vocab(m_impl->handle);
}

std::string Tokenizer::piece(int64_t id) const {
  if (m_impl->json) {
    const std::string token = m_impl->json->idToToken(id);
    return token.empty() ? "#" + std::to_string(id) : token;
  }
  if (id < 0 || id >= vocabSize() || !shim().piece) return "#" + std::to_string(id);
  char buf[256] = {};
  shim().piece(m_impl->handle, static_cast<int>(id), buf, sizeof buf);
  return buf;
}

}  // namespace rope
