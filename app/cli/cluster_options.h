#pragma once
// What search, ppl and passkey share when rope-cli runs as an MPI job (mpirun -np N rope-cli
// ...; cluster/cluster.h): --rank-timeout, the CPU threads of a rank, the start-up check that
// every rank runs the same build on the same model, and per-rank figures for --json.

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/cli_args.h"
#include "cluster/cluster.h"
#include "model/transformer.h"

namespace rope::cli {

// The usage text of --rank-timeout, for the commands' --help.
extern const char* kClusterUsage;

// --rank-timeout S: how long rank 0 waits for one answer from another rank before it ends the
// job naming that rank (default 1800 s; 0: forever). UsageError when negative.
std::chrono::duration<double> rankTimeout(const Args& args);

// Prepares engine for this rank of a job of several ranks: threads 0 (one per hardware
// thread) becomes this node's hardware threads shared by its ranks. Then checks, on every rank
// and before any evaluation, that all ranks run the same build on the same model (and
// tokenizer) with the same dtype; InputError naming the first rank that differs.
void joinJob(cluster::Session& session, const std::string& modelDir, Transformer::Options& engine);

// Per rank: tasks answered, seconds inside them, tasks per second of that time.
nlohmann::ordered_json rankStatsJson(const std::vector<cluster::RankStats>& stats,
                                     const std::vector<std::string>& devices = {});

}  // namespace rope::cli
