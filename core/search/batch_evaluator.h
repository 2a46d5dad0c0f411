#pragma once
// Perplexity of many RoPE candidates on a fixed set of documents, as fast as the hardware
// allows: one model replica per device (every visible CUDA device, or the CPU), and on each
// device several candidates per forward pass (Transformer::nllBatch, each candidate with its
// own cos/sin tables). The fitness behind the LongRoPE search.
//
// Not thread-safe: one call at a time. A call runs one worker thread per device.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/transformer.h"
#include "rope/rope_params.h"

namespace rope {

// What the LongRoPE search needs from whoever scores its candidates: this process's devices
// (BatchEvaluator) or the ranks of an MPI job (cluster/cluster_scorer.h).
class CandidateScorer {
 public:
  virtual ~CandidateScorer() = default;
  virtual std::vector<std::string> devices() const = 0;
  virtual int batch() const = 0;
  // Candidates one call should receive to keep everything busy.
  virtual int preferredCallSize() const = 0;
  // As BatchEvaluator::perplexities.
  virtual std::vector<double> perplexities(const std::vector<RopeParams>& ropes,
                                           const std::vector<std::vector<int64_t>>& documents,
                                           const std::vector<int>& firstScored = {}) = 0;
};

class BatchEvaluator : public CandidateScorer {
 public:
  // devices: "auto" (every visible CUDA device, else the CPU), "cuda" (every CUDA device),
  // "cpu", "cuda:N", or a comma-separated list ("cuda:0,cuda:2"). batch: candidates per forward
  // pass on each device; 0 picks one from the model's size and the target length on CUDA,
  // and 1 on a CPU (where batching was measured not to pay).
  // Loads one Transformer per device; throws InputError as Transformer does.
  BatchEvaluator(const std::string& modelDir, const Transformer::Options& engine,
                 const std::string& devices, int batch, int longestLength);
  ~BatchEvaluator();
  BatchEvaluator(const BatchEvaluator&) = delete;
  BatchEvaluator& operator=(const BatchEvaluator&) = delete;

  const ModelConfig& config() const;
  std::vector<std::string> devices() const override;
  int batch() const override { return m_batch; }
  // Candidates one call should receive to keep every device busy: devices x batch.
  int preferredCallSize() const override;

  // exp(token-weighted mean NLL of tokens firstScored[d]..T-1 of every document d; tokens
  // 1..T-1 when firstScored is empty) for each RoPE. Work is split over the devices in
  // contiguous slices; the result does not depend on the split beyond float rounding. Throws
  // InputError for a RoPE that does not fit the model or a firstScored of the wrong size.
  std::vector<double> perplexities(const std::vector<RopeParams>& ropes,
                                   const std::vector<std::vector<int64_t>>& documents,
                                   const std::vector<int>& firstScored = {}) override;

  // The devices "auto"/"cuda"/lists name, in order. Throws InputError for an unknown name.
  static std::vector<std::string> resolveDevices(const std::string& devices);

 private:
  std::vector<std::unique_ptr<Transformer>> m_models;
  int m_batch = 1;
};

}  // namespace rope
