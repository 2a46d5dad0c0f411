#include "cluster/cluster_scorer.h"

#include <stdexcept>

#include "data/token_data.h"
#include "model/transformer.h"
#include "util/error.h"

namespace rope::cluster {
namespace {

template <typename T>
void putOptional(ByteWriter& out, const std::optional<T>& v) {
  out.template put<int8_t>(v ? 1 : 0);
  out.template put<T>(v.value_or(T{}));
}

template <typename T>
std::optional<T> getOptional(ByteReader& in) {
  const bool has = in.template get<int8_t>() != 0;
  const T v = in.template get<T>();
  return has ? std::optional<T>(v) : std::nullopt;
}

// The documents the candidates are scored on, as ClusterScorer shares them.
struct Documents {
  std::vector<std::vector<int64_t>> docs;
  std::vector<int> firstScored;
};

std::string putDocuments(const std::vector<std::vector<int64_t>>& docs,
                         const std::vector<int>& firstScored) {
  ByteWriter out;
  out.put<char>('D');
  out.put<int64_t>(static_cast<int64_t>(docs.size()));
  for (const auto& d : docs) out.put(d);
  out.put(firstScored);
  return out.take();
}

Documents getDocuments(ByteReader& in) {
  Documents d;
  const auto n = in.get<int64_t>();
  if (n < 0 || n > (1 << 20)) throw InputError("malformed documents message");
  for (int64_t i = 0; i < n; ++i) d.docs.push_back(in.getVector<int64_t>());
  d.firstScored = in.getVector<int>();
  return d;
}

std::string putRopes(const std::vector<RopeParams>& ropes, size_t begin, size_t end) {
  ByteWriter out;
  out.put<int64_t>(static_cast<int64_t>(end - begin));
  for (size_t i = begin; i < end; ++i) putRope(out, ropes[i]);
  return out.take();
}

std::vector<RopeParams> getRopes(const std::string& bytes) {
  ByteReader in(bytes);
  const auto n = in.get<int64_t>();
  if (n < 0 || n > (1 << 16)) throw InputError("malformed candidates message");
  std::vector<RopeParams> out;
  for (int64_t i = 0; i < n; ++i) out.push_back(getRope(in));
  return out;
}

// The handler every rank runs: candidates in, perplexities out.
std::string score(BatchEvaluator* local, const Documents& docs, const std::string& request) {
  if (!local) throw InputError("candidates arrived before their model");
  if (docs.docs.empty()) throw InputError("candidates arrived before their documents");
  return ByteWriter()
      .put(local->perplexities(getRopes(request), docs.docs, docs.firstScored))
      .take();
}

// What rank 0 shares: the model to load ('M') or the documents to score on ('D').
enum Shared : char { kModel = 'M', kDocuments = 'D' };

struct ModelRequest {
  std::string dir, print, devices;
  int32_t dtype = 0, batch = 0, longest = 0;
};

std::string putModel(const ModelRequest& m) {
  return ByteWriter()
      .put<char>(kModel)
      .put(m.dir)
      .put(m.print)
      .put(m.devices)
      .put(m.dtype)
      .put(m.batch)
      .put(m.longest)
      .take();
}

ModelRequest getModel(ByteReader& in) {
  ModelRequest m;
  m.dir = in.getString();
  m.print = in.getString();
  m.devices = in.getString();
  m.dtype = in.get<int32_t>();
  m.batch = in.get<int32_t>();
  m.longest = in.get<int32_t>();
  return m;
}

std::string describe(const Session& session, const BatchEvaluator& local) {
  std::string d = "rank " + std::to_string(session.rank()) + " (" + session.processor() + "):";
  for (const auto& dev : local.devices()) d += " " + dev;
  return d;
}

}  // namespace

void putRope(ByteWriter& out, const RopeParams& r) {
  out.put<int32_t>(static_cast<int32_t>(r.method))
      .put<int32_t>(r.headDim)
      .put(r.partialRotaryFactor)
      .put(r.base)
      .put<int32_t>(r.maxPosition)
      .put<int32_t>(r.originalMaxPosition);
  putOptional(out, r.factor);
  out.put(r.alpha).put(r.betaFast).put(r.betaSlow).put<int8_t>(r.truncate ? 1 : 0);
  putOptional(out, r.mscale);
  putOptional(out, r.mscaleAllDim);
  out.put(r.lowFreqFactor).put(r.highFreqFactor).put(r.shortFactor).put(r.longFactor);
  out.put<int64_t>(static_cast<int64_t>(r.layerFactors.size()));
  for (const auto& layer : r.layerFactors) out.put(layer);
  out.put<int32_t>(static_cast<int32_t>(r.switchRule))
      .put<int32_t>(r.contextLength)
      .put<int32_t>(static_cast<int32_t>(r.attentionPolicy));
  putOptional(out, r.attentionFactor);
  out.put<int32_t>(r.nHat);
}

RopeParams getRope(ByteReader& in) {
  RopeParams r;
  const auto method = in.get<int32_t>();
  if (method < 0 || method > static_cast<int32_t>(RopeMethod::LongRope)) {
    throw InputError("malformed RoPE: method " + std::to_string(method));
  }
  r.method = static_cast<RopeMethod>(method);
  r.headDim = in.get<int32_t>();
  r.partialRotaryFactor = in.get<double>();
  r.base = in.get<double>();
  r.maxPosition = in.get<int32_t>();
  r.originalMaxPosition = in.get<int32_t>();
  r.factor = getOptional<double>(in);
  r.alpha = in.get<double>();
  r.betaFast = in.get<double>();
  r.betaSlow = in.get<double>();
  r.truncate = in.get<int8_t>() != 0;
  r.mscale = getOptional<double>(in);
  r.mscaleAllDim = getOptional<double>(in);
  r.lowFreqFactor = in.get<double>();
  r.highFreqFactor = in.get<double>();
  r.shortFactor = in.getVector<double>();
  r.longFactor = in.getVector<double>();
  const auto layers = in.get<int64_t>();
  if (layers < 0 || layers > 4096)
    throw InputError("malformed RoPE: " + std::to_string(layers) + " layers");
  for (int64_t i = 0; i < layers; ++i) r.layerFactors.push_back(in.getVector<double>());
  const auto rule = in.get<int32_t>();
  if (rule < 0 || rule > static_cast<int32_t>(LongRopeSwitch::AlwaysShort)) {
    throw InputError("malformed RoPE: switch rule " + std::to_string(rule));
  }
  r.switchRule = static_cast<LongRopeSwitch>(rule);
  r.contextLength = in.get<int32_t>();
  const auto policy = in.get<int32_t>();
  if (policy < 0 || policy > static_cast<int32_t>(LongRopeAttention::Yarn)) {
    throw InputError("malformed RoPE: attention policy " + std::to_string(policy));
  }
  r.attentionPolicy = static_cast<LongRopeAttention>(policy);
  r.attentionFactor = getOptional<double>(in);
  r.nHat = in.get<int32_t>();
  return r;
}

ClusterScorer::ClusterScorer(Farm& farm, std::unique_ptr<BatchEvaluator> local,
                             std::vector<std::string> rankDevices)
    : m_farm(farm), m_local(std::move(local)), m_rankDevices(std::move(rankDevices)) {}

int ClusterScorer::preferredCallSize() const {
  return 2 * static_cast<int>(m_rankDevices.size()) * m_local->preferredCallSize();
}

std::vector<double> ClusterScorer::perplexities(const std::vector<RopeParams>& ropes,
                                                const std::vector<std::vector<int64_t>>& documents,
                                                const std::vector<int>& firstScored) {
  const Documents docs{documents, firstScored};
  const std::string key =
      fingerprintOf(documents) + ":" +
      fingerprintOf({std::vector<int64_t>(firstScored.begin(), firstScored.end())});
  if (key != m_sharedKey) {
    m_farm.share(putDocuments(documents, firstScored));
    m_sharedKey = key;
  }
  // One request per device batch: the grouping a single process uses on one device.
  const size_t per = static_cast<size_t>(m_local->preferredCallSize());
  std::vector<std::string> requests;
  for (size_t b = 0; b < ropes.size(); b += per) {
    requests.push_back(putRopes(ropes, b, std::min(ropes.size(), b + per)));
  }
  const auto answers =
      m_farm.map(requests, [&](const std::string& r) { return score(m_local.get(), docs, r); });
  std::vector<double> out;
  for (const auto& a : answers) {
    ByteReader in(a);
    for (double v : in.getVector<double>()) out.push_back(v);
  }
  if (out.size() != ropes.size()) {
    throw InputError("the ranks returned " + std::to_string(out.size()) + " perplexities for " +
                     std::to_string(ropes.size()) + " candidates");
  }
  return out;
}

std::unique_ptr<ClusterScorer> makeClusterScorer(Session& session, Farm& farm,
                                                 const std::string& modelDir,
                                                 const Transformer::Options& engine,
                                                 const std::string& devices, int batch,
                                                 int longestLength) {
  ModelRequest m{modelDir, modelPrint(modelDir), devices, static_cast<int32_t>(engine.dtype),
                 batch,    longestLength};
  farm.share(putModel(m));
  auto local = std::make_unique<BatchEvaluator>(modelDir, engine, devicesForRank(session, devices),
                                                batch, longestLength);
  // Every rank answers with its devices, or with why it cannot take part.
  std::vector<std::string> ranks = session.gather(describe(session, *local));
  for (size_t r = 1; r < ranks.size(); ++r) {
    if (ranks[r].rfind("error: ", 0) == 0) {
      throw InputError("rank " + std::to_string(r) + ": " + ranks[r].substr(7));
    }
  }
  return std::make_unique<ClusterScorer>(farm, std::move(local), std::move(ranks));
}

void serveCandidates(Session& session, Farm& farm, const Transformer::Options& engine) {
  std::unique_ptr<BatchEvaluator> local;
  Documents docs;
  farm.serve([&](const std::string& request) { return score(local.get(), docs, request); },
             [&](const std::string& bytes) {
               ByteReader in(bytes);
               const char kind = in.get<char>();
               if (kind == kDocuments) {
                 docs = getDocuments(in);
                 return;
               }
               if (kind != kModel) throw InputError("malformed message from rank 0");
               const ModelRequest m = getModel(in);
               std::string answer;
               try {
                 local.reset();  // one replica at a time
                 docs = {};
                 const std::string print = modelPrint(m.dir);
                 if (print != m.print) {
                   throw InputError("its " + m.dir + " is another model (" + print +
                                    ", rank 0: " + m.print + ")");
                 }
                 Transformer::Options options = engine;
                 options.dtype = static_cast<ComputeDType>(m.dtype);
                 local = std::make_unique<BatchEvaluator>(
                     m.dir, options, devicesForRank(session, m.devices), m.batch, m.longest);
                 answer = describe(session, *local);
               } catch (const std::exception& e) {
                 local.reset();
                 answer = std::string("error: ") + e.what();
               }
               session.gather(answer);
             });
}

std::string devicesForRank(const Session& session, const std::string& devices) {
  if (session.localSize() <= 1 || !(devices.empty() || devices == "auto")) return devices;
  const int gpus = cudaDeviceCount();
  if (gpus == 0) return "cpu";
  return "cuda:" + std::to_string(session.localRank() % gpus);
}

}  // namespace rope::cluster
