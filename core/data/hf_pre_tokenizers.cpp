// tokenizer.json pre-tokenizers (the library's pre_tokenizers/*.rs).
#include <functional>

#include "data/hf_components.h"

namespace rope::hf {
namespace {

// Each character for which `is` holds, as its own match (the library's Pattern for a char
// predicate).
template <typename Pred>
std::vector<std::pair<size_t, size_t>> charMatches(std::string_view s, Pred is) {
  std::vector<std::pair<size_t, size_t>> out;
  for (size_t i = 0; i < s.size();) {
    int len = 0;
    const char32_t c = decodeAt(s, i, &len);
    if (is(c)) out.emplace_back(i, i + static_cast<size_t>(len));
    i += static_cast<size_t>(len);
  }
  return out;
}

class Sequence : public PreTokenizer {
 public:
  explicit Sequence(std::vector<std::unique_ptr<PreTokenizer>> parts) : m_parts(std::move(parts)) {}
  void apply(std::vector<Piece>& pieces) const override {
    for (const auto& p : m_parts) p->apply(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> m_parts;
};

// Applies split(piece, out) to every piece.
class PieceSplitter : public PreTokenizer {
 public:
  void apply(std::vector<Piece>& pieces) const override {
    std::vector<Piece> out;
    out.reserve(pieces.size() * 2);
    for (const Piece& p : pieces) split(p, out);
    pieces = std::move(out);
  }
  virtual void split(const Piece& in, std::vector<Piece>& out) const = 0;
};

class Split : public PieceSplitter {
 public:
  Split(Pattern pattern, SplitBehavior behavior, bool invert)
      : m_pattern(std::move(pattern)), m_behavior(behavior), m_invert(invert) {}
  void split(const Piece& in, std::vector<Piece>& out) const override {
    splitPiece(in, m_pattern.find(in.text), m_invert, m_behavior, out);
  }

 private:
  Pattern m_pattern;
  SplitBehavior m_behavior;
  bool m_invert;
};

// GPT-2's pattern, which ByteLevel splits with when use_regex is set.
constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

class ByteLevel : public PieceSplitter {
 public:
  ByteLevel(bool addPrefixSpace, bool useRegex)
      : m_addPrefixSpace(addPrefixSpace),
        m_regex(useRegex ? std::make_unique<Regex>(kGpt2Pattern) : nullptr) {}
  void split(const Piece& in, std::vector<Piece>& out) const override {
    Piece p = in;
    if (m_addPrefixSpace && (p.text.empty() || p.text[0] != ' ')) p.text.insert(0, " ");
    const size_t first = out.size();
    if (m_regex) {
      splitPiece(p, m_regex->findAll(p.text), false, SplitBehavior::Isolated, out);
    } else if (!p.text.empty()) {
      out.push_back(std::move(p));
    }
    for (size_t k = first; k < out.size(); ++k) {
      std::string mapped;
      mapped.reserve(out[k].text.size() * 2);
      for (const char ch : out[k].text) mapped += byteLevelChar(static_cast<uint8_t>(ch));
      out[k].text = std::move(mapped);
    }
  }

 private:
  bool m_addPrefixSpace;
  std::unique_ptr<Regex> m_regex;
};

class Metaspace : public PieceSplitter {
 public:
  enum class Prepend { Always, First, Never };
  Metaspace(char32_t replacement, Prepend prepend, bool split)
      : m_prepend(prepend), m_split(split) {
    appendUtf8(m_replacement, replacement);
  }
  void split(const Piece& in, std::vector<Piece>& out) const override {
    Piece p{{}, in.atStart};
    p.text.reserve(in.text.size() + 8);
    for (const char ch : in.text) {
      if (ch == ' ') {
        p.text += m_replacement;
      } else {
        p.text += ch;
      }
    }
    const bool starts = p.text.compare(0, m_replacement.size(), m_replacement) == 0;
    if (!starts && (m_prepend == Prepend::Always || (m_prepend == Prepend::First && in.atStart))) {
      p.text.insert(0, m_replacement);
    }
    if (!m_split) {
      if (!p.text.empty()) out.push_back(std::move(p));
      return;
    }
    std::vector<std::pair<size_t, size_t>> matches;
    for (size_t pos = p.text.find(m_replacement); pos != std::string::npos;
         pos = p.text.find(m_replacement, pos + m_replacement.size())) {
      matches.emplace_back(pos, pos + m_replacement.size());
    }
    splitPiece(p, matches, false, SplitBehavior::MergedWithNext, out);
  }

 private:
  std::string m_replacement;
  Prepend m_prepend;
  bool m_split;
};

class Digits : public PieceSplitter {
 public:
  explicit Digits(bool individual) : m_individual(individual) {}
  void split(const Piece& in, std::vector<Piece>& out) const override {
    splitPiece(in, charMatches(in.text, isNumeric), false,
               m_individual ? SplitBehavior::Isolated : SplitBehavior::Contiguous, out);
  }

 private:
  bool m_individual;
};

class Punctuation : public PieceSplitter {
 public:
  explicit Punctuation(SplitBehavior behavior) : m_behavior(behavior) {}
  void split(const Piece& in, std::vector<Piece>& out) const override {
    splitPiece(in, charMatches(in.text, isPunctuation), false, m_behavior, out);
  }

 private:
  SplitBehavior m_behavior;
};

// The library's Whitespace: the matches of \w+|[^\w\s]+ (Rust regex classes), the rest dropped.
class Whitespace : public PieceSplitter {
 public:
  void split(const Piece& in, std::vector<Piece>& out) const override {
    const std::string& s = in.text;
    size_t i = 0;
    while (i < s.size()) {
      int len = 0;
      char32_t c = decodeAt(s, i, &len);
      if (isWhitespace(c) && !isWordChar(c)) {
        i += static_cast<size_t>(len);
        continue;
      }
      const bool word = isWordChar(c);
      const size_t start = i;
      i += static_cast<size_t>(len);
      while (i < s.size()) {
        c = decodeAt(s, i, &len);
        const bool same = word ? isWordChar(c) : (!isWordChar(c) && !isWhitespace(c));
        if (!same) break;
        i += static_cast<size_t>(len);
      }
      out.push_back({s.substr(start, i - start), in.atStart && start == 0});
    }
  }
};

class WhitespaceSplit : public PieceSplitter {
 public:
  void split(const Piece& in, std::vector<Piece>& out) const override {
    splitPiece(in, charMatches(in.text, isWhitespace), false, SplitBehavior::Removed, out);
  }
};

}  // namespace

std::unique_ptr<PreTokenizer> makePreTokenizer(const Json& j, const Where& where) {
  if (j.is_null()) return nullptr;
  if (!j.is_object()) fail(where, "must be an object or null");
  const std::string type = stringField(j, "type", where);
  if (type == "Sequence") {
    const auto it = j.find("pretokenizers");
    if (it == j.end() || !it->is_array()) fail(where, "'pretokenizers' must be a list");
    std::vector<std::unique_ptr<PreTokenizer>> parts;
    for (size_t i = 0; i < it->size(); ++i) {
      auto p = makePreTokenizer((*it)[i], (where / "pretokenizers")[i]);
      if (p) parts.push_back(std::move(p));
    }
    return std::make_unique<Sequence>(std::move(parts));
  }
  if (type == "Split") {
    if (!j.contains("pattern")) fail(where, "'pattern' is missing");
    return std::make_unique<Split>(Pattern(j["pattern"], where / "pattern"),
                                   parseBehavior(stringField(j, "behavior", where), where),
                                   boolField(j, "invert", where, false));
  }
  if (type == "ByteLevel") {
    return std::make_unique<ByteLevel>(boolField(j, "add_prefix_space", where, true),
                                       boolField(j, "use_regex", where, true));
  }
  if (type == "Metaspace") {
    Metaspace::Prepend prepend = boolField(j, "add_prefix_space", where, true)
                                     ? Metaspace::Prepend::Always
                                     : Metaspace::Prepend::Never;
    if (j.contains("prepend_scheme") && !j["prepend_scheme"].is_null()) {
      const std::string scheme = stringField(j, "prepend_scheme", where);
      if (scheme == "always") {
        prepend = Metaspace::Prepend::Always;
      } else if (scheme == "first") {
        prepend = Metaspace::Prepend::First;
      } else if (scheme == "never") {
        prepend = Metaspace::Prepend::Never;
      } else {
        fail(where, "prepend_scheme " + scheme + " is not supported");
      }
    }
    return std::make_unique<Metaspace>(charField(j, "replacement", where), prepend,
                                       boolField(j, "split", where, true));
  }
  if (type == "Digits")
    return std::make_unique<Digits>(boolField(j, "individual_digits", where, false));
  if (type == "Punctuation") {
    const auto it = j.find("behavior");
    return std::make_unique<Punctuation>(
        it == j.end() ? SplitBehavior::Isolated
                      : parseBehavior(stringField(j, "behavior", where), where));
  }
  if (type == "Whitespace") return std::make_unique<Whitespace>();
  if (type == "WhitespaceSplit") return std::make_unique<WhitespaceSplit>();
  fail(where, "pre_tokenizer type " + type + " is not supported");
}

}  // namespace rope::hf
