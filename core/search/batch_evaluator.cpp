#include "search/batch_evaluator.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <sstream>
#include <thread>

#include "util/error.h"

namespace rope {
namespace {

// Activation memory a forward pass may take per device, for the automatic batch size.
constexpr double kCudaBatchBytes = 8.0 * (1 << 30);
constexpr int kMaxAutoBatch = 32;
// On a CPU batching does not pay reliably: on the 2-core test machine the demo model's
// search at 512 tokens took 273 s with batch 8 and 230 s with batch 1 (same 96 evaluations,
// same result); at 1024 tokens batch 4 once took 15% less. The default there is one
// candidate per pass; --batch overrides.
constexpr int kCpuAutoBatch = 1;

std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// Rough bytes one candidate's forward pass keeps alive at length T: a few hidden-size and
// MLP-size activations per token, plus one head's attention scores when attention is not fused.
double bytesPerCandidate(const ModelConfig& m, int length, int elementBytes) {
  const double t = length;
  const double perToken = 8.0 * m.hiddenSize + 3.0 * m.intermediateSize +
                          2.0 * (m.numHeads + 2.0 * m.numKvHeads) * m.headDim;
  return elementBytes * (t * perToken + 2.0 * m.numHeads * t * t);
}

}  // namespace

std::vector<std::string> BatchEvaluator::resolveDevices(const std::string& devices) {
  const int gpus = cudaDeviceCount();
  auto allCuda = [&] {
    std::vector<std::string> out;
    for (int i = 0; i < gpus; ++i) out.push_back("cuda:" + std::to_string(i));
    return out;
  };
  if (devices.empty() || devices == "auto") {
    return gpus > 0 ? allCuda() : std::vector<std::string>{"cpu"};
  }
  if (devices == "cuda") {
    if (gpus == 0) {
      throw InputError("no CUDA device is visible (or this build has no CUDA); use --device cpu");
    }
    return allCuda();
  }
  std::vector<std::string> out = splitList(devices);
  if (out.empty()) throw InputError("no device given");
  for (const auto& d : out) {
    if (d != "cpu" && d.rfind("cuda", 0) != 0) {
      throw InputError("unknown device '" + d + "' (auto, cpu, cuda, cuda:N, or a list)");
    }
  }
  return out;
}

BatchEvaluator::BatchEvaluator(const std::string& modelDir, const Transformer::Options& engine,
                               const std::string& devices, int batch, int longestLength) {
  for (const auto& d : resolveDevices(devices)) {
    Transformer::Options o = engine;
    o.device = d;
    m_models.push_back(std::make_unique<Transformer>(modelDir, o));
  }
  if (batch < 0) throw InputError("the batch size must not be negative");
  if (batch > 0) {
    m_batch = batch;
  } else {
    const bool cuda = m_models.front()->options().device != "cpu";
    const int elementBytes = engine.dtype == ComputeDType::Float32 ? 4 : 2;
    const double per = bytesPerCandidate(config(), std::max(1, longestLength), elementBytes);
    const int b = cuda ? static_cast<int>(kCudaBatchBytes / per) : kCpuAutoBatch;
    m_batch = std::clamp(b, 1, kMaxAutoBatch);
  }
}

BatchEvaluator::~BatchEvaluator() = default;

const ModelConfig& BatchEvaluator::config() const { return m_models.front()->config(); }

std::vector<std::string> BatchEvaluator::devices() const {
  std::vector<std::string> out;
  for (const auto& m : m_models) out.push_back(m->options().device);
  return out;
}

int BatchEvaluator::preferredCallSize() const {
  return static_cast<int>(m_models.size()) * m_batch;
}

std::vector<double> BatchEvaluator::perplexities(const std::vector<RopeParams>& ropes,
                                                 const std::vector<std::vector<int64_t>>& documents,
                                                 const std::vector<int>& firstScored) {
  if (documents.empty()) throw InputError("no documents to evaluate on");
  if (!firstScored.empty() && firstScored.size() != documents.size()) {
    throw InputError("firstScored has " + std::to_string(firstScored.size()) + " entries for " +
                     std::to_string(documents.size()) + " documents");
  }
  std::vector<double> sums(ropes.size(), 0), tokens(ropes.size(), 0);
  // Worker w scores ropes [begin, end) on its own replica, `m_batch` ropes per forward pass.
  auto work = [&](size_t w, size_t begin, size_t end) {
    Transformer& model = *m_models[w];
    for (size_t b = begin; b < end; b += m_batch) {
      const size_t e = std::min(end, b + m_batch);
      const std::vector<RopeParams> slice(ropes.begin() + b, ropes.begin() + e);
      for (size_t d = 0; d < documents.size(); ++d) {
        const auto nll =
            model.nllBatch(documents[d], slice, firstScored.empty() ? 1 : firstScored[d]);
        for (size_t i = 0; i < nll.size(); ++i) {
          sums[b + i] += nll[i].sum;
          tokens[b + i] += static_cast<double>(nll[i].tokens);
        }
      }
    }
  };
  const size_t workers = std::min(m_models.size(), std::max<size_t>(1, ropes.size()));
  const size_t per = (ropes.size() + workers - 1) / workers;
  if (workers == 1) {
    work(0, 0, ropes.size());
  } else {
    std::vector<std::thread> threads;
    std::vector<std::exception_ptr> errors(workers);
    for (size_t w = 0; w < workers; ++w) {
      const size_t begin = std::min(ropes.size(), w * per),
                   end = std::min(ropes.size(), begin + per);
      threads.emplace_back([&, w, begin, end] {
        try {
          work(w, begin, end);
        } catch (...) {
          errors[w] = std::current_exception();
        }
      });
    }
    for (auto& t : threads) t.join();
    for (const auto& e : errors) {
      if (e) std::rethrow_exception(e);
    }
  }
  std::vector<double> out(ropes.size());
  for (size_t i = 0; i < ropes.size(); ++i) out[i] = std::exp(sums[i] / tokens[i]);
  return out;
}

}  // namespace rope
