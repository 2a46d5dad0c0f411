#include "cluster/cluster.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "util/bytes.h"
#include "util/digest.h"
#include "util/error.h"

namespace rope::cluster {
namespace {

// Adds up to `limit` bytes of a file (all of it by default) to the digest.
void addFile(Digest& d, const std::filesystem::path& path, uint64_t limit = UINT64_MAX) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read " + path.string());
  std::string buf(1 << 16, '\0');
  while (limit > 0 && in) {
    in.read(buf.data(), static_cast<std::streamsize>(std::min<uint64_t>(buf.size(), limit)));
    const auto got = static_cast<size_t>(in.gcount());
    d.add(buf.data(), got);
    limit -= got;
    if (got == 0) break;
  }
}

}  // namespace

std::string buildPrint() {
  Digest d;
  addFile(d, "/proc/self/exe");
  return "build " + d.hex();
}

std::string modelPrint(const std::string& modelDir) {
  namespace fs = std::filesystem;
  Digest d;
  addFile(d, fs::path(modelDir) / "config.json");
  std::vector<fs::path> weights;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(modelDir, ec)) {
    if (e.path().extension() == ".safetensors") weights.push_back(e.path());
  }
  std::sort(weights.begin(), weights.end());
  for (const auto& w : weights) {
    // The 8-byte header length and the JSON header (names, dtypes, shapes, offsets), capped.
    d.add(w.filename().string());
    d.add(std::to_string(fs::file_size(w, ec)));
    std::ifstream in(w, std::ios::binary);
    uint64_t headerBytes = 0;
    in.read(reinterpret_cast<char*>(&headerBytes), sizeof headerBytes);
    addFile(d, w, 8 + std::min<uint64_t>(headerBytes, 64ull << 20));
  }
  for (const char* name : {"tokenizer.json", "tokenizer.model"}) {
    const fs::path t = fs::path(modelDir) / name;
    if (fs::is_regular_file(t, ec)) {
      d.add(name);
      addFile(d, t);
    }
  }
  return "model " + d.hex() + " (" + std::to_string(weights.size()) + " safetensors files)";
}

std::vector<std::string> Farm::mapHere(const std::vector<std::string>& requests,
                                       const Handler& handler, const TaskProgress& progress) {
  std::vector<std::string> out;
  out.reserve(requests.size());
  for (const auto& r : requests) {
    const auto t0 = std::chrono::steady_clock::now();
    out.push_back(handler(r));
    ++m_local.tasks;
    m_local.busySeconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (progress) progress(static_cast<int>(out.size()));
  }
  return out;
}

Distribute distributeOver(Session& session, std::chrono::duration<double> timeout,
                          std::vector<RankStats>* stats) {
  return [&session, timeout, stats](int count, const TaskFn& task, const TaskProgress& progress) {
    if (!session.distributed()) return runHere(count, task, progress);
    const Farm::Handler handler = [&](const std::string& request) {
      return task(ByteReader(request).get<int32_t>());
    };
    Farm farm(session, timeout);
    ByteWriter all;
    if (session.leader()) {
      std::vector<std::string> requests;
      for (int i = 0; i < count; ++i) requests.push_back(ByteWriter().put<int32_t>(i).take());
      const std::vector<std::string> results = farm.map(requests, handler, progress);
      farm.release();
      if (stats) {
        const auto now = farm.stats();
        if (stats->size() != now.size()) *stats = std::vector<RankStats>(now.size());
        for (size_t r = 0; r < now.size(); ++r) {
          (*stats)[r].rank = now[r].rank;
          (*stats)[r].tasks += now[r].tasks;
          (*stats)[r].busySeconds += now[r].busySeconds;
        }
      }
      for (const auto& r : results) all.put(r);
    } else {
      farm.serve(handler);
    }
    // Every rank goes on with rank 0's results.
    const std::string bytes = session.broadcast(all.bytes());
    ByteReader in(bytes);
    std::vector<std::string> out;
    for (int i = 0; i < count; ++i) out.push_back(in.getString());
    return out;
  };
}

}  // namespace rope::cluster
