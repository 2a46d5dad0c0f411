// tokenizer.json decoders (the library's decoders/*.rs and the Decoder side of ByteLevel and
// Metaspace) and post-processors (processors/*.rs) for one sequence.
#include <map>

#include "data/hf_components.h"

namespace rope::hf {
namespace {

class Sequence : public Decoder {
 public:
  explicit Sequence(std::vector<std::unique_ptr<Decoder>> parts) : m_parts(std::move(parts)) {}
  void apply(std::vector<std::string>& tokens) const override {
    for (const auto& p : m_parts) p->apply(tokens);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> m_parts;
};

// All tokens' characters back to bytes (a token with a character outside the table keeps its
// own bytes), then the bytes as UTF-8, invalid sequences replaced.
class ByteLevel : public Decoder {
 public:
  void apply(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const std::string& t : tokens) {
      const size_t mark = bytes.size();
      bool mapped = true;
      for (size_t i = 0; i < t.size();) {
        int len = 0;
        const int b = byteLevelByte(decodeAt(t, i, &len));
        if (b < 0) {
          mapped = false;
          break;
        }
        bytes += static_cast<char>(b);
        i += static_cast<size_t>(len);
      }
      if (!mapped) {
        bytes.resize(mark);
        bytes += t;
      }
    }
    tokens.assign(1, utf8Lossy(bytes));
  }
};

class Metaspace : public Decoder {
 public:
  Metaspace(char32_t replacement, bool prependScheme) : m_prepend(prependScheme) {
    appendUtf8(m_replacement, replacement);
  }
  void apply(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string out;
      const std::string& t = tokens[i];
      for (size_t k = 0; k < t.size();) {
        if (t.compare(k, m_replacement.size(), m_replacement) == 0) {
          if (!(i == 0 && m_prepend)) out += ' ';  // the library drops all of the first's
          k += m_replacement.size();
        } else {
          out += t[k++];
        }
      }
      tokens[i] = std::move(out);
    }
  }

 private:
  std::string m_replacement;
  bool m_prepend;
};

// "<0xAB>" tokens in a row become their bytes when those are valid UTF-8, else one U+FFFD each.
class ByteFallback : public Decoder {
 public:
  void apply(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string bytes;
    size_t count = 0;
    const auto flush = [&] {
      if (count == 0) return;
      if (firstInvalidUtf8(bytes) == std::string::npos) {
        out.push_back(bytes);
      } else {
        for (size_t k = 0; k < count; ++k) out.emplace_back("\xEF\xBF\xBD");
      }
      bytes.clear();
      count = 0;
    };
    for (std::string& t : tokens) {
      int value = -1;
      if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>') value = hexByte(t[3], t[4]);
      if (value >= 0) {
        bytes += static_cast<char>(value);
        ++count;
      } else {
        flush();
        out.push_back(std::move(t));
      }
    }
    flush();
    tokens = std::move(out);
  }

 private:
  static int hexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  // Rust's u8::from_str_radix(s, 16) on two characters (a leading '+' is accepted).
  static int hexByte(char a, char b) {
    const int lo = hexDigit(b);
    if (lo < 0) return -1;
    if (a == '+') return lo;
    const int hi = hexDigit(a);
    return hi < 0 ? -1 : hi * 16 + lo;
  }
};

class Fuse : public Decoder {
 public:
  void apply(std::vector<std::string>& tokens) const override {
    std::string all;
    for (const auto& t : tokens) all += t;
    tokens.assign(1, std::move(all));
  }
};

class Strip : public Decoder {
 public:
  Strip(char32_t content, size_t start, size_t stop) : m_start(start), m_stop(stop) {
    appendUtf8(m_content, content);
  }
  void apply(std::vector<std::string>& tokens) const override {
    const size_t n = m_content.size();
    for (std::string& t : tokens) {
      size_t begin = 0;
      for (size_t k = 0; k < m_start && t.compare(begin, n, m_content) == 0; ++k) begin += n;
      size_t end = t.size();
      for (size_t k = 0; k < m_stop && end >= begin + n && t.compare(end - n, n, m_content) == 0;
           ++k) {
        end -= n;
      }
      t = t.substr(begin, end - begin);
    }
  }

 private:
  std::string m_content;
  size_t m_start, m_stop;
};

class Replace : public Decoder {
 public:
  Replace(Pattern pattern, std::string content)
      : m_pattern(std::move(pattern)), m_content(std::move(content)) {}
  void apply(std::vector<std::string>& tokens) const override {
    for (std::string& t : tokens) {
      const auto matches = m_pattern.find(t);
      if (matches.empty()) continue;
      std::string out;
      size_t prev = 0;
      for (const auto& [a, b] : matches) {
        out.append(t, prev, a - prev);
        out += m_content;
        prev = b;
      }
      out.append(t, prev, std::string::npos);
      t = std::move(out);
    }
  }

 private:
  Pattern m_pattern;
  std::string m_content;
};

size_t countField(const Json& j, const char* key, const Where& where) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number_unsigned() || it->get<uint64_t>() > 1000000) {
    fail(where, std::string("'") + key + "' must be a count");
  }
  return it->get<size_t>();
}

}  // namespace

std::unique_ptr<Decoder> makeDecoder(const Json& j, const Where& where) {
  if (j.is_null()) return nullptr;
  if (!j.is_object()) fail(where, "must be an object or null");
  const std::string type = stringField(j, "type", where);
  if (type == "Sequence") {
    const auto it = j.find("decoders");
    if (it == j.end() || !it->is_array()) fail(where, "'decoders' must be a list");
    std::vector<std::unique_ptr<Decoder>> parts;
    for (size_t i = 0; i < it->size(); ++i) {
      auto d = makeDecoder((*it)[i], (where / "decoders")[i]);
      if (d) parts.push_back(std::move(d));
    }
    return std::make_unique<Sequence>(std::move(parts));
  }
  if (type == "ByteLevel") return std::make_unique<ByteLevel>();
  if (type == "Metaspace") {
    bool prepend = boolField(j, "add_prefix_space", where, true);
    if (j.contains("prepend_scheme") && !j["prepend_scheme"].is_null()) {
      const std::string scheme = stringField(j, "prepend_scheme", where);
      if (scheme != "always" && scheme != "first" && scheme != "never") {
        fail(where, "prepend_scheme " + scheme + " is not supported");
      }
      prepend = scheme != "never";
    }
    return std::make_unique<Metaspace>(charField(j, "replacement", where), prepend);
  }
  if (type == "ByteFallback") return std::make_unique<ByteFallback>();
  if (type == "Fuse") return std::make_unique<Fuse>();
  if (type == "Strip") {
    return std::make_unique<Strip>(charField(j, "content", where), countField(j, "start", where),
                                   countField(j, "stop", where));
  }
  if (type == "Replace") {
    if (!j.contains("pattern")) fail(where, "'pattern' is missing");
    return std::make_unique<Replace>(Pattern(j["pattern"], where / "pattern"),
                                     stringField(j, "content", where));
  }
  fail(where, "decoder type " + type + " is not supported");
}

Template makeTemplate(const Json& j, const Where& where) {
  Template t;
  if (j.is_null()) return t;
  if (!j.is_object()) fail(where, "must be an object or null");
  const std::string type = stringField(j, "type", where);
  if (type == "ByteLevel") return t;  // offsets only
  if (type == "Sequence") {
    const auto it = j.find("processors");
    if (it == j.end() || !it->is_array()) fail(where, "'processors' must be a list");
    for (size_t i = 0; i < it->size(); ++i) {
      const Template inner = makeTemplate((*it)[i], (where / "processors")[i]);
      // Each processor wraps what the ones before it made.
      t.prefix.insert(t.prefix.begin(), inner.prefix.begin(), inner.prefix.end());
      t.suffix.insert(t.suffix.end(), inner.suffix.begin(), inner.suffix.end());
    }
    return t;
  }
  if (type != "TemplateProcessing")
    fail(where, "post_processor type " + type + " is not supported");
  std::map<std::string, std::vector<int64_t>> specials;
  const auto sp = j.find("special_tokens");
  if (sp != j.end() && !sp->is_object()) fail(where / "special_tokens", "must be an object");
  if (sp != j.end()) {
    for (auto it = sp->begin(); it != sp->end(); ++it) {
      const Where w = where / "special_tokens" / it.key();
      const auto ids = it->find("ids");
      if (ids == it->end() || !ids->is_array()) fail(w, "'ids' must be a list of token ids");
      for (const auto& id : *ids) {
        if (!id.is_number_unsigned()) fail(w, "'ids' must be a list of token ids");
        specials[it.key()].push_back(id.get<int64_t>());
      }
    }
  }
  const auto single = j.find("single");
  if (single == j.end() || !single->is_array()) fail(where / "single", "must be a list");
  bool seenSequence = false;
  for (size_t i = 0; i < single->size(); ++i) {
    const Json& piece = (*single)[i];
    const Where w = (where / "single")[i];
    if (piece.contains("Sequence")) {
      if (seenSequence) fail(w, "a single-sequence template may hold $A once");
      seenSequence = true;
    } else if (piece.contains("SpecialToken")) {
      const std::string id = stringField(piece["SpecialToken"], "id", w / "SpecialToken");
      const auto found = specials.find(id);
      if (found == specials.end()) fail(w, "special token " + id + " is not in special_tokens");
      auto& target = seenSequence ? t.suffix : t.prefix;
      target.insert(target.end(), found->second.begin(), found->second.end());
    } else {
      fail(w, "must be {\"Sequence\": ...} or {\"SpecialToken\": ...}");
    }
  }
  if (!seenSequence) fail(where / "single", "has no $A");
  return t;
}

}  // namespace rope::hf
