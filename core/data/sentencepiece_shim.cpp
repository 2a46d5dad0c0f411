// A C interface to libsentencepiece, built as a module that tokenizer.cpp loads with dlopen.
// Debian's libsentencepiece embeds (and exports) its own protobuf-lite, which clashes with the
// libprotobuf that LibTorch links: linked into one executable, protobuf's static initialisers
// crash before main. Loaded later with RTLD_LOCAL | RTLD_DEEPBIND, each keeps its own copy.
#include <sentencepiece_processor.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {
void copyError(const std::string& msg, char* err, size_t errLen) {
  if (err && errLen > 0) {
    std::strncpy(err, msg.c_str(), errLen - 1);
    err[errLen - 1] = '\0';
  }
}
}  // namespace

extern "C" {

void* rope_spm_load(const char* path, char* err, size_t errLen) {
  auto* p = new sentencepiece::SentencePieceProcessor();
  const auto status = p->Load(path);
  if (!status.ok()) {
    copyError(status.ToString(), err, errLen);
    delete p;
    return nullptr;
  }
  return p;
}

// Writes malloc'ed ids to *ids (free with rope_spm_free); returns 0 on success.
int rope_spm_encode(void* h, const char* text, size_t len, int** ids, size_t* n, char* err,
                    size_t errLen) {
  std::vector<int> out;
  const auto status =
      static_cast<sentencepiece::SentencePieceProcessor*>(h)->Encode(std::string(text, len), &out);
  if (!status.ok()) {
    copyError(status.ToString(), err, errLen);
    return 1;
  }
  *n = out.size();
  *ids = static_cast<int*>(std::malloc(sizeof(int) * (out.empty() ? 1 : out.size())));
  if (!*ids) return 1;
  std::memcpy(*ids, out.data(), sizeof(int) * out.size());
  return 0;
}

void rope_spm_free(int* ids) { std::free(ids); }

// Writes the malloc'ed, NUL-terminated text of ids to *text (free with rope_spm_free_text);
// returns 0 on success. Ids outside the vocabulary are an error.
int rope_spm_decode(void* h, const int* ids, size_t n, char** text, size_t* len, char* err,
                    size_t errLen) {
  std::string out;
  const auto status = static_cast<sentencepiece::SentencePieceProcessor*>(h)->Decode(
      std::vector<int>(ids, ids + n), &out);
  if (!status.ok()) {
    copyError(status.ToString(), err, errLen);
    return 1;
  }
  *text = static_cast<char*>(std::malloc(out.size() + 1));
  if (!*text) return 1;
  std::memcpy(*text, out.c_str(), out.size() + 1);
  *len = out.size();
  return 0;
}

void rope_spm_free_text(char* text) { std::free(text); }
int rope_spm_bos(void* h) { return static_cast<sentencepiece::SentencePieceProcessor*>(h)->bos_id(); }
int rope_spm_eos(void* h) { return static_cast<sentencepiece::SentencePieceProcessor*>(h)->eos_id(); }
int rope_spm_vocab(void* h) {
  return static_cast<sentencepiece::SentencePieceProcessor*>(h)->GetPieceSize();
}
// The piece of an id ("▁the"), copied into out (NUL-terminated, truncated to outLen).
void rope_spm_piece(void* h, int id, char* out, size_t outLen) {
  copyError(static_cast<sentencepiece::SentencePieceProcessor*>(h)->IdToPiece(id), out, outLen);
}
void rope_spm_destroy(void* h) { delete static_cast<sentencepiece::SentencePieceProcessor*>(h); }

}  // extern "C"
