#include "data/hf_text.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/ustring.h>

#include <array>
#include <stdexcept>

namespace rope::hf {

char32_t decodeAt(std::string_view s, size_t i, int* length) {
  const auto b0 = static_cast<uint8_t>(s[i]);
  if (b0 < 0x80) {
    *length = 1;
    return b0;
  }
  const auto cont = [&](size_t k) {
    return static_cast<char32_t>(static_cast<uint8_t>(s[i + k]) & 0x3f);
  };
  if (b0 < 0xe0) {
    *length = 2;
    return (static_cast<char32_t>(b0 & 0x1f) << 6) | cont(1);
  }
  if (b0 < 0xf0) {
    *length = 3;
    return (static_cast<char32_t>(b0 & 0x0f) << 12) | (cont(1) << 6) | cont(2);
  }
  *length = 4;
  return (static_cast<char32_t>(b0 & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3);
}

void appendUtf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xc0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xe0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  }
}

namespace {

// The length of the valid UTF-8 sequence at s[i] (1-4), or minus the length of its maximal
// invalid prefix (Unicode's "maximal subpart", which Rust's from_utf8_lossy replaces by one
// U+FFFD).
int sequenceAt(std::string_view s, size_t i) {
  const auto b0 = static_cast<uint8_t>(s[i]);
  if (b0 < 0x80) return 1;
  int need = 0;
  uint8_t lo = 0x80, hi = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    need = 1;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    need = 2;
    if (b0 == 0xe0) lo = 0xa0;
    if (b0 == 0xed) hi = 0x9f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    need = 3;
    if (b0 == 0xf0) lo = 0x90;
    if (b0 == 0xf4) hi = 0x8f;
  } else {
    return -1;
  }
  for (int k = 1; k <= need; ++k) {
    if (i + k >= s.size()) return -k;
    const auto b = static_cast<uint8_t>(s[i + k]);
    if (b < lo || b > hi) return -k;
    lo = 0x80;
    hi = 0xbf;
  }
  return need + 1;
}

}  // namespace

size_t firstInvalidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if (static_cast<uint8_t>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const int n = sequenceAt(s, i);
    if (n < 0) return i;
    i += static_cast<size_t>(n);
  }
  return std::string_view::npos;
}

std::string utf8Lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size();) {
    const int n = sequenceAt(bytes, i);
    if (n > 0) {
      out.append(bytes.substr(i, static_cast<size_t>(n)));
      i += static_cast<size_t>(n);
    } else {
      out += "\xEF\xBF\xBD";
      i += static_cast<size_t>(-n);
    }
  }
  return out;
}

bool isWhitespace(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0d);
  return u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_WHITE_SPACE);
}

bool isWordChar(char32_t c) {
  if (c < 0x80) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }
  const auto u = static_cast<UChar32>(c);
  const uint32_t mask = U_GET_GC_MASK(u);
  return u_hasBinaryProperty(u, UCHAR_ALPHABETIC) ||
         (mask & (U_GC_M_MASK | U_GC_ND_MASK | U_GC_PC_MASK)) ||
         u_hasBinaryProperty(u, UCHAR_JOIN_CONTROL);
}

bool isNumeric(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_N_MASK) != 0;
}

bool isPunctuation(char32_t c) {
  if (c < 0x80) {
    return (c >= 0x21 && c <= 0x2f) || (c >= 0x3a && c <= 0x40) || (c >= 0x5b && c <= 0x60) ||
           (c >= 0x7b && c <= 0x7e);
  }
  return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_P_MASK) != 0;
}

std::string normalize(std::string_view s, NormalForm form) {
  bool ascii = true;
  for (const char ch : s) ascii = ascii && static_cast<uint8_t>(ch) < 0x80;
  if (ascii) return std::string(s);  // ASCII is unchanged by every normal form
  UErrorCode err = U_ZERO_ERROR;
  const icu::Normalizer2* n = nullptr;
  switch (form) {
    case NormalForm::NFC:
      n = icu::Normalizer2::getNFCInstance(err);
      break;
    case NormalForm::NFD:
      n = icu::Normalizer2::getNFDInstance(err);
      break;
    case NormalForm::NFKC:
      n = icu::Normalizer2::getNFKCInstance(err);
      break;
    case NormalForm::NFKD:
      n = icu::Normalizer2::getNFKDInstance(err);
      break;
  }
  if (U_FAILURE(err)) throw std::runtime_error(std::string("ICU normalizer: ") + u_errorName(err));
  const icu::StringPiece piece(s.data(), static_cast<int32_t>(s.size()));
  if (n->isNormalizedUTF8(piece, err) && U_SUCCESS(err)) return std::string(s);
  err = U_ZERO_ERROR;
  std::string out;
  icu::StringByteSink<std::string> sink(&out, static_cast<int32_t>(s.size()));
  n->normalizeUTF8(0, piece, sink, nullptr, err);
  if (U_FAILURE(err)) throw std::runtime_error(std::string("ICU normalizer: ") + u_errorName(err));
  return out;
}

std::string lowercase(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<uint8_t>(s[i]);
    if (b < 0x80) {
      out += static_cast<char>(b >= 'A' && b <= 'Z' ? b + 32 : b);
      ++i;
      continue;
    }
    int len = 0;
    const char32_t c = decodeAt(s, i, &len);
    i += static_cast<size_t>(len);
    UChar src[2];
    int32_t srcLen = 0;
    U16_APPEND_UNSAFE(src, srcLen, static_cast<UChar32>(c));
    UChar dst[8];
    UErrorCode err = U_ZERO_ERROR;
    const int32_t n = u_strToLower(dst, 8, src, srcLen, "", &err);
    if (U_FAILURE(err)) {
      appendUtf8(out, c);
      continue;
    }
    for (int32_t k = 0; k < n;) {
      UChar32 lc;
      U16_NEXT_UNSAFE(dst, k, lc);
      appendUtf8(out, static_cast<char32_t>(lc));
    }
  }
  return out;
}

namespace {

// Oniguruma's Unicode \s and \w (its RE document), spelled for PCRE2.
constexpr const char* kSpaceClass = "\\t\\n\\x0B\\f\\r\\x{20}\\x{85}\\p{Z}";
constexpr const char* kWordClass = "\\p{L}\\p{M}\\p{N}\\p{Pc}";

std::string rewritePattern(const std::string& p) {
  std::string out;
  bool inClass = false;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      const char e = p[i + 1];
      ++i;
      const char* cls = (e == 's' || e == 'S')   ? kSpaceClass
                        : (e == 'w' || e == 'W') ? kWordClass
                                                 : nullptr;
      const bool negated = e == 'S' || e == 'W';
      if (cls && !inClass) {
        out += negated ? "[^" : "[";
        out += cls;
        out += "]";
      } else if (cls && !negated) {
        out += cls;
      } else {
        out += c;
        out += e;
      }
      continue;
    }
    if (!inClass && c == '[') {
      inClass = true;
      out += c;
      if (i + 1 < p.size() && p[i + 1] == '^') out += p[++i];
      if (i + 1 < p.size() && p[i + 1] == ']') out += p[++i];  // a literal ] first
      continue;
    }
    if (inClass && c == ']') inClass = false;
    out += c;
  }
  return out;
}

}  // namespace

struct Regex::Impl {
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Impl() {
    if (code) pcre2_code_free(code);
  }
};

Regex::Regex(const std::string& pattern) : m_impl(std::make_unique<Impl>()) {
  const std::string rewritten = rewritePattern(pattern);
  int err = 0;
  PCRE2_SIZE offset = 0;
  m_impl->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(rewritten.data()), rewritten.size(),
                               PCRE2_UTF | PCRE2_UCP | PCRE2_MULTILINE, &err, &offset, nullptr);
  if (!m_impl->code) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    throw std::invalid_argument(std::string(reinterpret_cast<const char*>(msg)) + " at offset " +
                                std::to_string(offset));
  }
  m_impl->jit = pcre2_jit_compile(m_impl->code, PCRE2_JIT_COMPLETE) == 0;
}

Regex::~Regex() = default;

std::vector<std::pair<size_t, size_t>> Regex::findAll(std::string_view s) const {
  std::vector<std::pair<size_t, size_t>> out;
  thread_local struct Data {
    pcre2_match_data* md = pcre2_match_data_create(4, nullptr);
    ~Data() { pcre2_match_data_free(md); }
  } data;
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(s.data());
  size_t pos = 0;
  bool havePrevious = false;
  size_t previousEnd = 0;
  while (pos <= s.size()) {
    const int rc = m_impl->jit ? pcre2_jit_match(m_impl->code, subject, s.size(), pos,
                                                 PCRE2_NO_UTF_CHECK, data.md, nullptr)
                               : pcre2_match(m_impl->code, subject, s.size(), pos,
                                             PCRE2_NO_UTF_CHECK, data.md, nullptr);
    if (rc < 0) break;
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(data.md);
    const size_t start = ov[0], end = ov[1];
    if (start == end && havePrevious && previousEnd == end) {
      // onig's find_iter: no empty match right after the previous one; step one character.
      if (end >= s.size()) break;
      int len = 0;
      decodeAt(s, end, &len);
      pos = end + static_cast<size_t>(len);
      continue;
    }
    out.emplace_back(start, end);
    pos = end;
    havePrevious = true;
    previousEnd = end;
  }
  return out;
}

namespace {

struct ByteTables {
  std::array<std::string, 256> chars;
  std::array<char32_t, 256> codes{};
  ByteTables() {
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
      codes[b] = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + n++);
      appendUtf8(chars[b], codes[b]);
    }
  }
};

const ByteTables& byteTables() {
  static const ByteTables t;
  return t;
}

}  // namespace

const std::string& byteLevelChar(uint8_t b) { return byteTables().chars[b]; }

int byteLevelByte(char32_t c) {
  if (c < 256) {
    const bool printable = (c >= 33 && c <= 126) || (c >= 161 && c <= 172) || (c >= 174);
    return printable ? static_cast<int>(c) : -1;
  }
  const auto& t = byteTables();
  if (c >= 256 + 68) return -1;  // 68 bytes are remapped, to U+0100..U+0143
  for (int b = 0; b < 256; ++b) {
    if (t.codes[b] == c) return b;
  }
  return -1;
}

}  // namespace rope::hf
