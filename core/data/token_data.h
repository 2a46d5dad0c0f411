#pragma once
// Evaluation data as documents of token ids, from:
//  - raw .bin: a flat little-endian uint16 or uint32 stream (binDType, else a sidecar
//    PATH.json {"dtype": "uint16"|"uint32"}); one document, or split at separatorToken;
//  - .npy: 1-D (one document) or 2-D (one document per row) integer arrays, C order;
//  - .safetensors: an integer tensor input_ids, [N] or [D, N] likewise;
//  - text (.txt, .md, .jsonl treated as text, or format Text): tokenized with the model's
//    tokenizer (tokenizer.json or SentencePiece tokenizer.model); each file is one document, or
//    documents are separated by lines equal to separatorLine. With addBos, each document gets
//    the special tokens the tokenizer adds to a sequence (Tokenizer::encodeWithSpecial: the
//    tokenizer.json's post-processor, SentencePiece's BOS), as transformers does.
// Several paths concatenate their documents in order. Every failure is an InputError that names
// the file. Pure functions; thread-safe.

#include <cstdint>
#include <string>
#include <vector>

namespace rope {

enum class TokenFormat { Auto, Bin, Npy, Safetensors, Text };
TokenFormat parseTokenFormat(const std::string& name);  // auto, bin, npy, safetensors, text

struct TokenSource {
  std::vector<std::string> paths;
  TokenFormat format = TokenFormat::Auto;     // Auto: from the extension
  std::string binDType;                       // "uint16" | "uint32"; empty: sidecar
  int64_t separatorToken = -1;                // >= 0: split token streams at this id (dropped)
  std::string separatorLine;                  // text: a line equal to this separates documents
  std::string tokenizerPath;                  // text: tokenizer.json or tokenizer.model
  bool addBos = true;                         // text: add the tokenizer's special tokens
};

struct TokenDataset {
  std::vector<std::vector<int64_t>> documents;
  // FNV-1a 64 over every document's length and ids, as 16 hex digits: equal data, equal print.
  std::string fingerprint;
  std::string description;  // "3 documents, 12345 tokens from a.bin"
  int64_t totalTokens() const;
  int64_t longestDocument() const;
};

TokenDataset loadTokens(const TokenSource& source);

// The int64 (or int32) tensor input_ids, shape [T] or [1, T], of a safetensors file: the
// input of rope-cli logits and attention. Throws InputError naming the file otherwise.
std::vector<int64_t> readInputIds(const std::string& path);

// The fingerprint of documents (as stored in TokenDataset::fingerprint).
std::string fingerprintOf(const std::vector<std::vector<int64_t>>& documents);

}  // namespace rope
