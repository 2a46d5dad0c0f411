// tokenizer.json normalizers (the library's normalizers/*.rs), the shared JSON field helpers,
// patterns and the split behaviours (tokenizer/normalizer.rs, NormalizedString::split).
#include <stdexcept>

#include "data/hf_components.h"
#include "util/error.h"

namespace rope::hf {

void fail(const Where& where, const std::string& message) {
  throw InputError(where.file + ": " + where.path + ": " + message);
}

std::string stringField(const Json& obj, const char* key, const Where& where) {
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_string())
    fail(where, std::string("'") + key + "' must be a string");
  return it->get<std::string>();
}

bool boolField(const Json& obj, const char* key, const Where& where, bool fallback) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) fail(where, std::string("'") + key + "' must be true or false");
  return it->get<bool>();
}

char32_t charField(const Json& obj, const char* key, const Where& where) {
  const std::string s = stringField(obj, key, where);
  int len = 0;
  if (s.empty() || firstInvalidUtf8(s) != std::string::npos ||
      (decodeAt(s, 0, &len), static_cast<size_t>(len) != s.size())) {
    fail(where, std::string("'") + key + "' must be one character, got \"" + s + "\"");
  }
  return decodeAt(s, 0, &len);
}

Pattern::Pattern(const Json& j, const Where& where) {
  if (!j.is_object() || j.size() != 1) fail(where, "must be {\"String\": ...} or {\"Regex\": ...}");
  if (j.contains("String")) {
    m_literal = stringField(j, "String", where);
  } else if (j.contains("Regex")) {
    const std::string re = stringField(j, "Regex", where);
    try {
      m_regex = std::make_shared<const Regex>(re);
    } catch (const std::invalid_argument& e) {
      fail(where, "the regex \"" + re + "\" does not compile: " + e.what());
    }
  } else {
    fail(where, "pattern kind " + j.begin().key() + " is not supported");
  }
}

std::vector<std::pair<size_t, size_t>> Pattern::find(std::string_view s) const {
  if (m_regex) return m_regex->findAll(s);
  std::vector<std::pair<size_t, size_t>> out;
  if (m_literal.empty()) return out;
  for (size_t pos = s.find(m_literal); pos != std::string_view::npos;
       pos = s.find(m_literal, pos + m_literal.size())) {
    out.emplace_back(pos, pos + m_literal.size());
  }
  return out;
}

SplitBehavior parseBehavior(const std::string& name, const Where& where) {
  if (name == "Removed") return SplitBehavior::Removed;
  if (name == "Isolated") return SplitBehavior::Isolated;
  if (name == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::MergedWithNext;
  if (name == "Contiguous") return SplitBehavior::Contiguous;
  fail(where, "split behavior " + name + " is not supported");
}

void splitPiece(const Piece& in, const std::vector<std::pair<size_t, size_t>>& matches, bool invert,
                SplitBehavior behavior, std::vector<Piece>& out) {
  struct Part {
    size_t start, end;
    bool match;
  };
  const std::string& s = in.text;
  // The whole string as alternating non-matches and matches (the library's find_matches).
  std::vector<Part> parts;
  parts.reserve(matches.size() * 2 + 1);
  size_t prev = 0;
  for (const auto& [a, b] : matches) {
    if (prev != a) parts.push_back({prev, a, invert});
    parts.push_back({a, b, !invert});
    prev = b;
  }
  if (prev != s.size()) parts.push_back({prev, s.size(), invert});

  std::vector<Part> keep;  // .match now means "remove"
  keep.reserve(parts.size());
  switch (behavior) {
    case SplitBehavior::Removed:
      keep = parts;
      break;
    case SplitBehavior::Isolated:
      for (const Part& p : parts) keep.push_back({p.start, p.end, false});
      break;
    case SplitBehavior::MergedWithPrevious: {
      bool previousMatch = false;
      for (const Part& p : parts) {
        if (p.match && !previousMatch && !keep.empty()) {
          keep.back().end = p.end;
        } else {
          keep.push_back({p.start, p.end, false});
        }
        previousMatch = p.match;
      }
      break;
    }
    case SplitBehavior::MergedWithNext: {
      bool previousMatch = false;
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        if (it->match && !previousMatch && !keep.empty()) {
          keep.back().start = it->start;
        } else {
          keep.push_back({it->start, it->end, false});
        }
        previousMatch = it->match;
      }
      std::reverse(keep.begin(), keep.end());
      break;
    }
    case SplitBehavior::Contiguous: {
      bool previousMatch = false;
      for (const Part& p : parts) {
        if (p.match == previousMatch && !keep.empty()) {
          keep.back().end = p.end;
        } else {
          keep.push_back({p.start, p.end, false});
        }
        previousMatch = p.match;
      }
      break;
    }
  }
  for (const Part& p : keep) {
    if (p.match || p.start == p.end) continue;
    out.push_back({s.substr(p.start, p.end - p.start), in.atStart && p.start == 0});
  }
}

namespace {

class Sequence : public Normalizer {
 public:
  explicit Sequence(std::vector<std::unique_ptr<Normalizer>> parts) : m_parts(std::move(parts)) {}
  void apply(std::string& s, bool& leadingRemoved) const override {
    for (const auto& p : m_parts) p->apply(s, leadingRemoved);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> m_parts;
};

class UnicodeForm : public Normalizer {
 public:
  explicit UnicodeForm(NormalForm form) : m_form(form) {}
  void apply(std::string& s, bool&) const override { s = normalize(s, m_form); }

 private:
  NormalForm m_form;
};

class Lowercase : public Normalizer {
 public:
  void apply(std::string& s, bool&) const override { s = lowercase(s); }
};

class Strip : public Normalizer {
 public:
  Strip(bool left, bool right) : m_left(left), m_right(right) {}
  void apply(std::string& s, bool& leadingRemoved) const override {
    size_t begin = 0, end = s.size();
    if (m_left) {
      while (begin < end) {
        int len = 0;
        if (!isWhitespace(decodeAt(s, begin, &len))) break;
        begin += static_cast<size_t>(len);
      }
    }
    if (m_right) {
      while (end > begin) {
        size_t start = end - 1;
        while (start > begin && (static_cast<uint8_t>(s[start]) & 0xc0) == 0x80) --start;
        int len = 0;
        if (!isWhitespace(decodeAt(s, start, &len))) break;
        end = start;
      }
    }
    if (begin > 0 && begin < end) leadingRemoved = true;
    s = s.substr(begin, end - begin);
  }

 private:
  bool m_left, m_right;
};

class Replace : public Normalizer {
 public:
  Replace(Pattern pattern, std::string content)
      : m_pattern(std::move(pattern)), m_content(std::move(content)) {}
  void apply(std::string& s, bool& leadingRemoved) const override {
    const auto matches = m_pattern.find(s);
    if (matches.empty()) return;
    std::string out;
    out.reserve(s.size());
    size_t prev = 0;
    for (const auto& [a, b] : matches) {
      out.append(s, prev, a - prev);
      out += m_content;
      prev = b;
    }
    out.append(s, prev, std::string::npos);
    if (m_content.empty() && matches.front().first == 0 && matches.front().second > 0 &&
        !out.empty()) {
      leadingRemoved = true;
    }
    s = std::move(out);
  }

 private:
  Pattern m_pattern;
  std::string m_content;
};

class Prepend : public Normalizer {
 public:
  explicit Prepend(std::string text) : m_text(std::move(text)) {}
  void apply(std::string& s, bool&) const override {
    if (!s.empty()) s.insert(0, m_text);
  }

 private:
  std::string m_text;
};

}  // namespace

std::unique_ptr<Normalizer> makeNormalizer(const Json& j, const Where& where) {
  if (j.is_null()) return nullptr;
  if (!j.is_object()) fail(where, "must be an object or null");
  const std::string type = stringField(j, "type", where);
  if (type == "Sequence") {
    const auto it = j.find("normalizers");
    if (it == j.end() || !it->is_array()) fail(where, "'normalizers' must be a list");
    std::vector<std::unique_ptr<Normalizer>> parts;
    for (size_t i = 0; i < it->size(); ++i) {
      auto n = makeNormalizer((*it)[i], (where / "normalizers")[i]);
      if (n) parts.push_back(std::move(n));
    }
    return std::make_unique<Sequence>(std::move(parts));
  }
  if (type == "NFC") return std::make_unique<UnicodeForm>(NormalForm::NFC);
  if (type == "NFD") return std::make_unique<UnicodeForm>(NormalForm::NFD);
  if (type == "NFKC") return std::make_unique<UnicodeForm>(NormalForm::NFKC);
  if (type == "NFKD") return std::make_unique<UnicodeForm>(NormalForm::NFKD);
  if (type == "Lowercase") return std::make_unique<Lowercase>();
  if (type == "Strip") {
    return std::make_unique<Strip>(boolField(j, "strip_left", where, true),
                                   boolField(j, "strip_right", where, true));
  }
  if (type == "Replace") {
    if (!j.contains("pattern")) fail(where, "'pattern' is missing");
    return std::make_unique<Replace>(Pattern(j["pattern"], where / "pattern"),
                                     stringField(j, "content", where));
  }
  if (type == "Prepend") return std::make_unique<Prepend>(stringField(j, "prepend", where));
  fail(where, "normalizer type " + type + " is not supported");
}

}  // namespace rope::hf
