#include "data/hf_tokenizer.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <unordered_map>

#include "data/hf_components.h"
#include "util/error.h"
#include "util/files.h"

namespace rope {

using hf::Json;
using hf::Where;

namespace {

struct AddedToken {
  std::string content;
  int64_t id = -1;
  bool special = false, singleWord = false, lstrip = false, rstrip = false, normalized = true;
};

// Leftmost-longest matching of a set of strings (the library's Aho-Corasick automaton with
// MatchKind::LeftmostLongest): a byte trie, entered only at bytes that start a pattern.
class Matcher {
 public:
  void add(const std::string& pattern, int token) {
    if (pattern.empty()) return;
    int node = 0;
    for (const char ch : pattern) {
      const auto b = static_cast<uint8_t>(ch);
      int child = -1;
      for (const auto& [byte, index] : m_nodes[static_cast<size_t>(node)].children) {
        if (byte == b) child = index;
      }
      if (child < 0) {
        child = static_cast<int>(m_nodes.size());
        m_nodes[static_cast<size_t>(node)].children.emplace_back(b, child);
        m_nodes.emplace_back();
      }
      node = child;
    }
    m_nodes[static_cast<size_t>(node)].token = token;
    m_first[static_cast<uint8_t>(pattern[0])] = true;
  }
  bool empty() const { return m_nodes.size() == 1; }
  // The first match at or after from: {start, end, token}; token -1 when there is none.
  std::array<size_t, 3> next(std::string_view s, size_t from) const {
    for (size_t i = from; i < s.size(); ++i) {
      if (!m_first[static_cast<uint8_t>(s[i])]) continue;
      int node = 0;
      size_t bestEnd = 0;
      int best = -1;
      for (size_t k = i; k < s.size(); ++k) {
        int child = -1;
        for (const auto& [byte, index] : m_nodes[static_cast<size_t>(node)].children) {
          if (byte == static_cast<uint8_t>(s[k])) child = index;
        }
        if (child < 0) break;
        node = child;
        if (m_nodes[static_cast<size_t>(node)].token >= 0) {
          best = m_nodes[static_cast<size_t>(node)].token;
          bestEnd = k + 1;
        }
      }
      if (best >= 0) return {i, bestEnd, static_cast<size_t>(best)};
    }
    return {s.size(), s.size(), static_cast<size_t>(-1)};
  }

 private:
  struct Node {
    std::vector<std::pair<uint8_t, int>> children;
    int token = -1;
  };
  std::vector<Node> m_nodes{Node{}};
  std::array<bool, 256> m_first{};
};

struct Segment {
  size_t start, end;
  int token;  // index into the added tokens, -1 for text
};

char32_t lastChar(std::string_view s) {
  size_t i = s.size() - 1;
  while (i > 0 && (static_cast<uint8_t>(s[i]) & 0xc0) == 0x80) --i;
  int len = 0;
  return hf::decodeAt(s, i, &len);
}

// A token string of tokenizer_config.json: "text", {"content": "text", ...} or null.
std::string configToken(const Json& config, const char* key) {
  const auto it = config.find(key);
  if (it == config.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string()) {
    return (*it)["content"].get<std::string>();
  }
  return {};
}

}  // namespace

struct HfTokenizer::Impl {
  std::string source;
  std::unique_ptr<hf::Normalizer> normalizer;
  std::unique_ptr<hf::PreTokenizer> preTokenizer;
  std::unique_ptr<hf::Bpe> model;
  std::unique_ptr<hf::Decoder> decoder;
  hf::Template post;
  std::vector<AddedToken> added;
  std::unordered_map<int64_t, size_t> addedById;
  std::unordered_map<std::string, size_t> addedByContent;
  Matcher rawMatcher, normalizedMatcher;
  int eos = -1;
  int vocabSize = 0;

  void load(const Json& j, const Json& config);
  std::vector<Segment> split(std::string_view s, const Matcher& m) const;
  void encodeText(std::string_view text, bool atStart, std::vector<int64_t>& out) const;
};

// The added tokens of s as the library's AddedVocabulary::find_matches: the matcher's
// non-overlapping matches, single_word ones dropped unless they stand alone, lstrip / rstrip
// taking in the whitespace beside them.
std::vector<Segment> HfTokenizer::Impl::split(std::string_view s, const Matcher& m) const {
  std::vector<Segment> out;
  if (m.empty()) {
    out.push_back({0, s.size(), -1});
    return out;
  }
  size_t startOffset = 0;
  for (size_t from = 0; from < s.size();) {
    const auto [matchStart, matchEnd, token] = m.next(s, from);
    if (token == static_cast<size_t>(-1)) break;
    from = matchEnd;
    const AddedToken& t = added[token];
    size_t start = matchStart, stop = matchEnd;
    if (t.singleWord) {
      const bool before = start == 0 || !hf::isWordChar(lastChar(s.substr(0, start)));
      int len = 0;
      const bool after = stop == s.size() || !hf::isWordChar(hf::decodeAt(s, stop, &len));
      if (!before || !after) continue;
    }
    if (t.lstrip) {
      size_t newStart = start;
      while (newStart > 0) {
        size_t p = newStart - 1;
        while (p > 0 && (static_cast<uint8_t>(s[p]) & 0xc0) == 0x80) --p;
        int len = 0;
        if (!hf::isWhitespace(hf::decodeAt(s, p, &len))) break;
        newStart = p;
      }
      start = std::max(newStart, startOffset);
    }
    if (t.rstrip) {
      while (stop < s.size()) {
        int len = 0;
        if (!hf::isWhitespace(hf::decodeAt(s, stop, &len))) break;
        stop += static_cast<size_t>(len);
      }
    }
    if (startOffset < start) out.push_back({startOffset, start, -1});
    out.push_back({start, stop, static_cast<int>(token)});
    startOffset = stop;
  }
  if (startOffset != s.size()) out.push_back({startOffset, s.size(), -1});
  return out;
}

void HfTokenizer::Impl::encodeText(std::string_view text, bool atStart,
                                   std::vector<int64_t>& out) const {
  std::string norm(text);
  bool leadingRemoved = false;
  if (normalizer) normalizer->apply(norm, leadingRemoved);
  atStart = atStart && !leadingRemoved;
  std::vector<hf::Piece> pieces;
  for (const Segment& seg : split(norm, normalizedMatcher)) {
    if (seg.token >= 0) {
      out.push_back(added[static_cast<size_t>(seg.token)].id);
      continue;
    }
    if (seg.start == seg.end) continue;
    pieces.clear();
    pieces.push_back({norm.substr(seg.start, seg.end - seg.start), atStart && seg.start == 0});
    if (preTokenizer) preTokenizer->apply(pieces);
    for (const hf::Piece& p : pieces) model->tokenize(p.text, out);
  }
}

void HfTokenizer::Impl::load(const Json& j, const Json& config) {
  const Where root{source, "tokenizer"};
  if (!j.is_object()) hf::fail(root, "must be a JSON object");
  for (const char* key : {"truncation", "padding"}) {
    if (j.contains(key) && !j[key].is_null()) {
      hf::fail(root / key, std::string(key) + " is not supported (give null)");
    }
  }
  if (!j.contains("model")) hf::fail(root / "model", "is missing");
  model = std::make_unique<hf::Bpe>(j["model"], Where{source, "model"});
  const auto part = [&](const char* key) { return j.contains(key) ? j[key] : Json(); };
  normalizer = hf::makeNormalizer(part("normalizer"), Where{source, "normalizer"});
  preTokenizer = hf::makePreTokenizer(part("pre_tokenizer"), Where{source, "pre_tokenizer"});
  decoder = hf::makeDecoder(part("decoder"), Where{source, "decoder"});
  post = hf::makeTemplate(part("post_processor"), Where{source, "post_processor"});

  int64_t maxId = model->maxId();
  int64_t maxAdded = -1;
  const Json tokens = part("added_tokens");
  if (!tokens.is_null() && !tokens.is_array())
    hf::fail(Where{source, "added_tokens"}, "must be a list");
  for (size_t i = 0; !tokens.is_null() && i < tokens.size(); ++i) {
    const Where w = Where{source, "added_tokens"}[i];
    const Json& t = tokens[i];
    if (!t.is_object()) hf::fail(w, "must be an object");
    AddedToken a;
    a.content = hf::stringField(t, "content", w);
    if (!t.contains("id") || !t["id"].is_number_unsigned() ||
        t["id"].get<uint64_t>() > 0x7fffffff) {
      hf::fail(w, "'id' must be a non-negative integer");
    }
    a.special = hf::boolField(t, "special", w, false);
    a.singleWord = hf::boolField(t, "single_word", w, false);
    a.lstrip = hf::boolField(t, "lstrip", w, false);
    a.rstrip = hf::boolField(t, "rstrip", w, false);
    a.normalized = hf::boolField(t, "normalized", w, !a.special);
    if (a.content.empty()) continue;
    if (const auto it = addedByContent.find(a.content); it != addedByContent.end()) {
      a.id = added[it->second].id;  // a later entry with the same content updates the first
      added[it->second] = std::move(a);
      continue;
    }
    // The library's AddedVocabulary::add_tokens ignores the file's id: a token the model has
    // keeps the model's id, a new one gets the next id after the vocabulary and the tokens
    // added before it.
    a.id = model->tokenToId(a.content);
    if (a.id < 0) {
      a.id =
          maxAdded < 0 ? model->size() : (maxAdded >= model->size() ? maxAdded + 1 : model->size());
    }
    maxAdded = std::max(maxAdded, a.id);
    maxId = std::max(maxId, a.id);
    addedById[a.id] = added.size();
    addedByContent[a.content] = added.size();
    added.push_back(std::move(a));
  }
  for (size_t k = 0; k < added.size(); ++k) {
    const AddedToken& a = added[k];
    if (!a.normalized) {
      rawMatcher.add(a.content, static_cast<int>(k));
      continue;
    }
    std::string pattern = a.content;
    bool ignored = false;
    if (normalizer) normalizer->apply(pattern, ignored);
    normalizedMatcher.add(pattern, static_cast<int>(k));
  }
  vocabSize = static_cast<int>(maxId + 1);
  // The template's ids must be tokens decode() knows (a misspelled added_tokens would leave
  // the template's special tokens without one).
  for (const auto* ids : {&post.prefix, &post.suffix}) {
    for (int64_t id : *ids) {
      if (!addedById.count(id) && !model->idToToken(id)) {
        hf::fail(Where{source, "post_processor"},
                 "adds token id " + std::to_string(id) +
                     ", which is neither in the vocabulary nor an added token");
      }
    }
  }

  // tokenizer_config.json: add_bos_token / add_eos_token as transformers' Llama tokenizers.
  const auto idOf = [&](const std::string& token) -> int64_t {
    if (token.empty()) return -1;
    const auto it = addedByContent.find(token);
    return it != addedByContent.end() ? added[it->second].id : model->tokenToId(token);
  };
  if (config.is_object()) {
    const int64_t bos = idOf(configToken(config, "bos_token"));
    const int64_t eosToken = idOf(configToken(config, "eos_token"));
    if (config.contains("add_bos_token") && config["add_bos_token"].is_boolean() && bos >= 0) {
      const bool starts = !post.prefix.empty() && post.prefix.front() == bos;
      if (config["add_bos_token"].get<bool>() && !starts)
        post.prefix.insert(post.prefix.begin(), bos);
      if (!config["add_bos_token"].get<bool>() && starts) post.prefix.erase(post.prefix.begin());
    }
    if (config.contains("add_eos_token") && config["add_eos_token"].is_boolean() && eosToken >= 0) {
      const bool ends = !post.suffix.empty() && post.suffix.back() == eosToken;
      if (config["add_eos_token"].get<bool>() && !ends) post.suffix.push_back(eosToken);
      if (!config["add_eos_token"].get<bool>() && ends) post.suffix.pop_back();
    }
    eos = static_cast<int>(eosToken);
  }
  if (eos < 0 && post.suffix.size() == 1) eos = static_cast<int>(post.suffix.front());
}

HfTokenizer::HfTokenizer() : m_impl(std::make_unique<Impl>()) {}

namespace {
Json parseJson(const std::string& text, const std::string& source) {
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {
    throw InputError(source + ": not valid JSON (" + e.what() + ")");
  }
}
}  // namespace

HfTokenizer::HfTokenizer(const std::string& path) : m_impl(std::make_unique<Impl>()) {
  m_impl->source = path;
  const Json j = parseJson(readFile(path), path);
  const auto configPath = std::filesystem::path(path).parent_path() / "tokenizer_config.json";
  std::error_code ec;
  Json config;
  if (std::filesystem::is_regular_file(configPath, ec)) {
    config = parseJson(readFile(configPath.string()), configPath.string());
  }
  m_impl->load(j, config);
}

HfTokenizer HfTokenizer::fromJson(const std::string& json, const std::string& source,
                                  const std::string& configJson) {
  HfTokenizer t;
  t.m_impl->source = source;
  t.m_impl->load(parseJson(json, source),
                 configJson.empty() ? Json() : parseJson(configJson, source + " (config)"));
  return t;
}

HfTokenizer::~HfTokenizer() = default;
HfTokenizer::HfTokenizer(HfTokenizer&&) noexcept = default;
HfTokenizer& HfTokenizer::operator=(HfTokenizer&&) noexcept = default;

std::vector<int64_t> HfTokenizer::encode(const std::string& text, bool addSpecial) const {
  const Impl& m = *m_impl;
  if (const size_t bad = hf::firstInvalidUtf8(text); bad != std::string::npos) {
    throw InputError("cannot tokenize text that is not valid UTF-8 (byte " + std::to_string(bad) +
                     " of " + std::to_string(text.size()) + ")");
  }
  std::vector<int64_t> out;
  out.reserve(text.size() / 3 + 4);
  if (addSpecial) out = m.post.prefix;
  for (const Segment& seg : m.split(text, m.rawMatcher)) {
    if (seg.token >= 0) {
      out.push_back(m.added[static_cast<size_t>(seg.token)].id);
    } else if (seg.start < seg.end) {
      m.encodeText(std::string_view(text).substr(seg.start, seg.end - seg.start), seg.start == 0,
                   out);
    }
  }
  if (addSpecial) out.insert(out.end(), m.post.suffix.begin(), m.post.suffix.end());
  return out;
}

std::string HfTokenizer::decode(const std::vector<int64_t>& ids, bool skipSpecial) const {
  const Impl& m = *m_impl;
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (const int64_t id : ids) {
    if (id < 0 || id >= m.vocabSize) {
      throw InputError("cannot decode token id " + std::to_string(id) + ": outside [0, " +
                       std::to_string(m.vocabSize) + ")");
    }
    if (const auto it = m.addedById.find(id); it != m.addedById.end()) {
      const AddedToken& a = m.added[it->second];
      if (!(skipSpecial && a.special)) tokens.push_back(a.content);
    } else if (const std::string* t = m.model->idToToken(id)) {
      tokens.push_back(*t);
    }
  }
  if (!m.decoder) {
    std::string out;
    for (size_t i = 0; i < tokens.size(); ++i) out += (i ? " " : "") + tokens[i];
    return out;
  }
  m.decoder->apply(tokens);
  std::string out;
  for (const auto& t : tokens) out += t;
  return out;
}

const std::vector<int64_t>& HfTokenizer::specialPrefix() const { return m_impl->post.prefix; }
const std::vector<int64_t>& HfTokenizer::specialSuffix() const { return m_impl->post.suffix; }
int HfTokenizer::bosId() const {
  return m_impl->post.prefix.size() == 1 ? static_cast<int>(m_impl->post.prefix.front()) : -1;
}
int HfTokenizer::eosId() const { return m_impl->eos; }
int HfTokenizer::vocabSize() const { return m_impl->vocabSize; }

std::string HfTokenizer::idToToken(int64_t id) const {
  if (const auto it = m_impl->addedById.find(id); it != m_impl->addedById.end()) {
    return m_impl->added[it->second].content;
  }
  const std::string* t = m_impl->model->idToToken(id);
  return t ? *t : std::string();
}

int64_t HfTokenizer::tokenToId(const std::string& token) const {
  if (const auto it = m_impl->addedByContent.find(token); it != m_impl->addedByContent.end()) {
    return m_impl->added[it->second].id;
  }
  return m_impl->model->tokenToId(token);
}

}  // namespace rope
