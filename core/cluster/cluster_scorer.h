#pragma once
// The LongRoPE search's candidates scored by every rank of an MPI job. Rank 0 runs the
// evolution; its ClusterScorer sends the documents to score on once (Farm::share) and then
// the candidates' RoPE parameters, a device batch per request, through the Farm's work queue;
// rank 0 scores its own share on its own replica meanwhile. Every other rank runs
// serveCandidates() with a replica of the same model (Session::requireSame checked that).
//
// Each candidate is scored by one BatchEvaluator call on one rank, exactly as a
// single-process search scores it, so on CPU float32 the fitness is the same to the last bit
// whichever rank computed it (with equal engine settings on every rank).

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "cluster/cluster.h"
#include "model/transformer.h"
#include "rope/rope_params.h"
#include "search/batch_evaluator.h"
#include "util/bytes.h"

namespace rope::cluster {

class ClusterScorer : public CandidateScorer {
 public:
  // Use makeClusterScorer().
  ClusterScorer(Farm& farm, std::unique_ptr<BatchEvaluator> local,
                std::vector<std::string> rankDevices);

  std::vector<std::string> devices() const override { return m_rankDevices; }
  int batch() const override { return m_local->batch(); }
  // Twice a request per rank and device, so that a fast rank can take more than its share.
  int preferredCallSize() const override;
  std::vector<double> perplexities(const std::vector<RopeParams>& ropes,
                                   const std::vector<std::vector<int64_t>>& documents,
                                   const std::vector<int>& firstScored = {}) override;

 private:
  Farm& m_farm;
  std::unique_ptr<BatchEvaluator> m_local;
  std::vector<std::string> m_rankDevices;
  std::string m_sharedKey;  // digest of the documents the other ranks hold
};

// Rank 0: every rank (this one too) loads modelDir for the search that follows: devices as
// BatchEvaluator takes them (each rank applies devicesForRank), batch and longestLength as
// there; engine: dtype from here, CPU threads each rank's own. Called again for another model
// (the recipe's fine-tuned one), the other ranks replace theirs. Throws InputError naming the
// rank that could not load the model or loaded another one (its modelPrint differs).
std::unique_ptr<ClusterScorer> makeClusterScorer(Session& session, Farm& farm,
                                                 const std::string& modelDir,
                                                 const Transformer::Options& engine,
                                                 const std::string& devices, int batch,
                                                 int longestLength);

// A rank other than 0: loads the models rank 0's makeClusterScorer() asks for (engine: this
// rank's CPU threads) and scores the candidates it sends, until rank 0 releases the farm.
void serveCandidates(Session& session, Farm& farm, const Transformer::Options& engine);

// With devices "auto" on a node with several ranks and CUDA devices, each rank takes the GPU
// of its local rank (modulo the count): one rank per GPU. Anything else is returned as is.
std::string devicesForRank(const Session& session, const std::string& devices);

// RoPE parameters on the wire (every field, exactly: doubles as their bits).
void putRope(ByteWriter& out, const RopeParams& rope);
RopeParams getRope(ByteReader& in);

}  // namespace rope::cluster
