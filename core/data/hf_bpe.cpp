// The BPE model of tokenizer.json (the library's models/bpe/model.rs and word.rs): a piece's
// characters looked up in the vocabulary (continuing_subword_prefix, end_of_word_suffix,
// byte_fallback, unk_token with fuse_unk), then merged lowest rank first, leftmost on ties.
#include <array>
#include <cstdio>
#include <mutex>
#include <queue>
#include <unordered_map>

#include "data/hf_components.h"
#include "util/error.h"

namespace rope::hf {
namespace {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using Vocab = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

uint64_t pairKey(int32_t a, int32_t b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}

// Pieces longer than this are not cached (as the library's MAX_LENGTH).
constexpr size_t kCacheMaxLength = 256;
constexpr size_t kCacheCapacity = 65536;

}  // namespace

struct Bpe::Impl {
  Vocab vocab;
  std::vector<std::string> vocabR;
  std::vector<bool> hasId;
  std::unordered_map<uint64_t, std::pair<int32_t, int32_t>> merges;  // pair -> (rank, new id)
  int32_t unkId = -1;
  std::string prefix, suffix;
  bool hasPrefix = false, hasSuffix = false;
  bool fuseUnk = false, byteFallback = false, ignoreMerges = false;
  std::array<int32_t, 256> byteIds{};

  mutable std::mutex cacheMutex;
  mutable std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>> cache;

  int32_t find(std::string_view s) const {
    const auto it = vocab.find(s);
    return it == vocab.end() ? -1 : it->second;
  }
  void mergeWord(std::string_view w, std::vector<int32_t>& out) const;
};

Bpe::Bpe(const Json& model, const Where& where) : m_impl(std::make_unique<Impl>()) {
  Impl& m = *m_impl;
  const std::string type = model.is_object() && model.contains("type")
                               ? stringField(model, "type", where)
                               : std::string("BPE");
  if (type != "BPE") fail(where, "model type " + type + " is not supported");
  const auto dropout = model.find("dropout");
  if (dropout != model.end() && !dropout->is_null() &&
      !(dropout->is_number() && dropout->get<double>() == 0.0)) {
    fail(where / "dropout", "BPE dropout is not supported (it makes the ids random)");
  }
  const auto vocab = model.find("vocab");
  if (vocab == model.end() || !vocab->is_object()) fail(where / "vocab", "must be an object");
  if (vocab->empty()) fail(where / "vocab", "the vocabulary is empty");
  m.vocab.reserve(vocab->size());
  for (auto it = vocab->begin(); it != vocab->end(); ++it) {
    if (!it->is_number_unsigned() || it->get<uint64_t>() > 0x7fffffff) {
      fail(where / "vocab", "the id of \"" + it.key() + "\" must be a non-negative integer");
    }
    const auto id = it->get<int32_t>();
    // The id table is dense: an id far beyond the number of entries would size gigabytes.
    if (static_cast<size_t>(id) >= 2 * vocab->size() + 65536) {
      fail(where / "vocab", "the id " + std::to_string(id) + " of \"" + it.key() +
                                "\" is far beyond the vocabulary's " +
                                std::to_string(vocab->size()) + " entries");
    }
    m.vocab[it.key()] = id;
    if (static_cast<size_t>(id) >= m.vocabR.size()) {
      m.vocabR.resize(static_cast<size_t>(id) + 1);
      m.hasId.resize(static_cast<size_t>(id) + 1);
    }
    m.vocabR[static_cast<size_t>(id)] = it.key();
    m.hasId[static_cast<size_t>(id)] = true;
  }
  const auto optString = [&](const char* key, std::string& value) {
    const auto it = model.find(key);
    if (it == model.end() || it->is_null()) return false;
    value = stringField(model, key, where);
    return true;
  };
  std::string unk;
  if (optString("unk_token", unk)) {
    m.unkId = m.find(unk);
    if (m.unkId < 0) fail(where / "unk_token", "\"" + unk + "\" is not in the vocabulary");
  }
  m.hasPrefix = optString("continuing_subword_prefix", m.prefix);
  m.hasSuffix = optString("end_of_word_suffix", m.suffix);
  m.fuseUnk = boolField(model, "fuse_unk", where, false);
  m.byteFallback = boolField(model, "byte_fallback", where, false);
  m.ignoreMerges = boolField(model, "ignore_merges", where, false);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    m.byteIds[static_cast<size_t>(b)] = m.find(name);
  }

  const auto merges = model.find("merges");
  if (merges == model.end() || !merges->is_array()) fail(where / "merges", "must be a list");
  m.merges.reserve(merges->size());
  for (size_t rank = 0; rank < merges->size(); ++rank) {
    const Json& e = (*merges)[rank];
    const Where w = (where / "merges")[rank];
    std::string a, b;
    if (e.is_string()) {
      const std::string& line = e.get_ref<const std::string&>();
      const size_t space = line.find(' ');
      if (space == std::string::npos) fail(w, "\"" + line + "\" is not two tokens");
      a = line.substr(0, space);
      b = line.substr(space + 1);
    } else if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string()) {
      a = e[0].get<std::string>();
      b = e[1].get<std::string>();
    } else {
      fail(w, "must be \"a b\" or [\"a\", \"b\"]");
    }
    const int32_t ida = m.find(a), idb = m.find(b);
    if (ida < 0) fail(w, "names \"" + a + "\", which is not in the vocabulary");
    if (idb < 0) fail(w, "names \"" + b + "\", which is not in the vocabulary");
    const size_t cut = m.hasPrefix ? m.prefix.size() : 0;
    if (b.size() < cut) fail(w, "\"" + b + "\" is shorter than continuing_subword_prefix");
    const std::string merged = a + b.substr(cut);
    const int32_t idm = m.find(merged);
    if (idm < 0) fail(w, "makes \"" + merged + "\", which is not in the vocabulary");
    m.merges[pairKey(ida, idb)] = {static_cast<int32_t>(rank), idm};
  }
}

Bpe::~Bpe() = default;

int64_t Bpe::tokenToId(std::string_view token) const { return m_impl->find(token); }

const std::string* Bpe::idToToken(int64_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= m_impl->vocabR.size() ||
      !m_impl->hasId[static_cast<size_t>(id)]) {
    return nullptr;
  }
  return &m_impl->vocabR[static_cast<size_t>(id)];
}

int64_t Bpe::size() const { return static_cast<int64_t>(m_impl->vocab.size()); }

int64_t Bpe::maxId() const { return static_cast<int64_t>(m_impl->vocabR.size()) - 1; }

void Bpe::Impl::mergeWord(std::string_view w, std::vector<int32_t>& out) const {
  struct Symbol {
    int32_t id;
    int32_t prev, next;
    uint32_t len;
  };
  std::vector<Symbol> symbols;
  symbols.reserve(w.size());
  const auto add = [&](int32_t id, uint32_t len) {
    const auto n = static_cast<int32_t>(symbols.size());
    if (n > 0) symbols.back().next = n;
    symbols.push_back({id, n - 1, -1, len});
  };
  int32_t unkPending = -1;
  uint32_t unkLen = 0;
  std::string scratch;
  for (size_t i = 0; i < w.size();) {
    int clen = 0;
    decodeAt(w, i, &clen);
    const auto byteLen = static_cast<uint32_t>(clen);
    std::string_view s = w.substr(i, static_cast<size_t>(clen));
    const bool first = i == 0;
    i += static_cast<size_t>(clen);
    const bool last = i == w.size();
    if ((hasPrefix && !first) || (hasSuffix && last)) {
      scratch.assign((hasPrefix && !first) ? prefix : std::string());
      scratch.append(s);
      if (hasSuffix && last) scratch += suffix;
      s = scratch;
    }
    if (const int32_t id = find(s); id >= 0) {
      if (unkPending >= 0) {
        add(unkPending, unkLen);
        unkPending = -1;
      }
      add(id, byteLen);
      continue;
    }
    if (byteFallback) {
      bool all = true;
      for (const char ch : s) all = all && byteIds[static_cast<uint8_t>(ch)] >= 0;
      if (all) {
        for (const char ch : s) add(byteIds[static_cast<uint8_t>(ch)], 1);
        continue;
      }
    }
    if (unkId >= 0) {
      if (unkPending >= 0 && fuseUnk) {
        unkLen += byteLen;
      } else {
        if (unkPending >= 0) add(unkPending, unkLen);
        unkPending = unkId;
        unkLen = byteLen;
      }
    }
  }
  if (unkPending >= 0) add(unkPending, unkLen);

  struct Merge {
    int32_t rank, pos, newId;
    bool operator<(const Merge& o) const {  // the queue's top: lowest rank, then leftmost
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  std::priority_queue<Merge> queue;
  const auto push = [&](int32_t pos) {
    const int32_t next = symbols[static_cast<size_t>(pos)].next;
    if (next < 0) return;
    const auto it = merges.find(
        pairKey(symbols[static_cast<size_t>(pos)].id, symbols[static_cast<size_t>(next)].id));
    if (it != merges.end()) queue.push({it->second.first, pos, it->second.second});
  };
  for (int32_t k = 0; k + 1 < static_cast<int32_t>(symbols.size()); ++k) push(k);
  while (!queue.empty()) {
    const Merge top = queue.top();
    queue.pop();
    Symbol& left = symbols[static_cast<size_t>(top.pos)];
    if (left.len == 0 || left.next < 0) continue;
    Symbol& right = symbols[static_cast<size_t>(left.next)];
    const auto it = merges.find(pairKey(left.id, right.id));
    if (it == merges.end() || it->second.second != top.newId) continue;
    left.id = top.newId;
    left.len += right.len;
    left.next = right.next;
    right.len = 0;
    if (left.next >= 0) symbols[static_cast<size_t>(left.next)].prev = top.pos;
    if (left.prev >= 0) push(left.prev);
    push(top.pos);
  }
  for (const Symbol& s : symbols) {
    if (s.len > 0) out.push_back(s.id);
  }
}

void Bpe::tokenize(std::string_view piece, std::vector<int64_t>& out) const {
  const Impl& m = *m_impl;
  if (piece.empty()) return;
  if (m.ignoreMerges) {
    if (const int32_t id = m.find(piece); id >= 0) {
      out.push_back(id);
      return;
    }
  }
  const bool cacheable = piece.size() < kCacheMaxLength;
  if (cacheable) {
    std::lock_guard lock(m.cacheMutex);
    if (const auto it = m.cache.find(piece); it != m.cache.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int32_t> ids;
  m.mergeWord(piece, ids);
  out.insert(out.end(), ids.begin(), ids.end());
  if (cacheable) {
    std::lock_guard lock(m.cacheMutex);
    if (m.cache.size() < kCacheCapacity) m.cache.emplace(std::string(piece), std::move(ids));
  }
}

}  // namespace rope::hf
