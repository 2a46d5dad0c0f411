#pragma once
// rope-cli's processes in an MPI job (mpirun, srun): who this process is, and a work queue
// that spreads independent tasks over the ranks. Rank 0 leads: it hands out tasks, gathers
// the results and alone prints and writes files; every other rank answers tasks.
//
// No MPI type appears here. A build without MPI (ROPE_WITH_MPI off), or a process not started
// by an MPI launcher, is a job of one rank: everything runs in this process.
//
// Only the thread that called Session::start() talks MPI (MPI_THREAD_FUNNELED); rank 0 runs
// its own share of the tasks on a second thread meanwhile.

#include <chrono>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "util/distribute.h"

namespace rope::cluster {

// A rank that died, sent something unreadable or did not answer within the timeout. The job
// cannot go on (MPI has no way to take a rank out of a running job): the caller reports it
// and the process ends with Session::end(), which aborts the job.
class RankLost : public std::runtime_error {
 public:
  RankLost(int rank, const std::string& what) : std::runtime_error(what), m_rank(rank) {}
  int rank() const { return m_rank; }

 private:
  int m_rank;
};

// Per rank: what it did in the last Farm's life, for --json.
struct RankStats {
  int rank = 0;
  int tasks = 0;           // tasks answered
  double busySeconds = 0;  // time inside the tasks
};

class Session {
 public:
  // Initialises MPI when the build has it and an MPI launcher started the process (Open MPI,
  // MPICH/Hydra, SLURM's PMI variables); otherwise a one-rank session. Call once, from main.
  static Session& start(int* argc, char*** argv);
  // The session start() made, else a one-rank session (tests call commands in-process).
  static Session& current();
  // Finalises MPI, or aborts the whole job (MPI_Abort with code) when a rank was lost or
  // code is non-zero on a job of several ranks, so that no rank is left waiting.
  static int end(int code);

  int rank() const { return m_rank; }
  int size() const { return m_size; }
  bool leader() const { return m_rank == 0; }
  bool distributed() const { return m_size > 1; }
  // Ranks on this node and this rank's place among them (the GPU it takes, its CPU share).
  int localRank() const { return m_localRank; }
  int localSize() const { return m_localSize; }
  std::string processor() const { return m_processor; }

  // Every rank passes its description of what it is about to compute (build, model, engine);
  // throws InputError, on every rank, naming the first rank whose print differs from rank 0's.
  void requireSame(const std::string& what, const std::string& print);
  // Rank 0's bytes on every rank.
  std::string broadcast(const std::string& bytes);
  // Every rank's bytes, in rank order, on rank 0 (empty elsewhere).
  std::vector<std::string> gather(const std::string& bytes);
  // Marks the job as broken (a lost rank): end() aborts it instead of finalising.
  void markBroken() { m_broken = true; }
  bool broken() const { return m_broken; }

 private:
  Session() = default;
  int m_rank = 0, m_size = 1, m_localRank = 0, m_localSize = 1;
  std::string m_processor = "localhost";
  bool m_mpi = false;
  bool m_broken = false;
};

// Whether this build can run as several ranks.
bool builtWithMpi();

// A dynamic work queue over the ranks of a session. Rank 0 calls map() any number of times,
// then release(); every other rank calls serve() once, which returns after release().
class Farm {
 public:
  using Handler = std::function<std::string(const std::string& request)>;
  // timeout: how long rank 0 waits for one task's answer before it gives the rank up
  // (RankLost); zero or less: forever.
  Farm(Session& session, std::chrono::duration<double> timeout);
  ~Farm();
  Farm(const Farm&) = delete;
  Farm& operator=(const Farm&) = delete;

  // Rank 0: every request answered by handler on some rank (this one too, on a thread), the
  // answers in request order. An idle rank gets the next request as soon as it answers, so a
  // slow rank does not hold the others. A handler's exception on rank 0 propagates; one on
  // another rank comes back as InputError naming the rank; a lost rank throws RankLost.
  std::vector<std::string> map(const std::vector<std::string>& requests, const Handler& handler,
                               const TaskProgress& progress = {});
  // Rank 0: bytes every other rank's serve() passes to its onShare before the next request
  // (the documents the next candidates are scored on, say).
  void share(const std::string& bytes);
  // Rank 0: ends serve() on every other rank. Idempotent; the destructor calls it.
  void release();
  // The other ranks: answers requests with handler, takes shared bytes with onShare, until
  // rank 0 calls release().
  void serve(const Handler& handler, const std::function<void(const std::string&)>& onShare = {});

  // Rank 0: tasks and busy time of every rank so far (rank 0's own included).
  std::vector<RankStats> stats();

 private:
  void sendToAll(int tag, const std::string& bytes);
  // Every request here, in order (a job of one rank).
  std::vector<std::string> mapHere(const std::vector<std::string>& requests,
                                   const Handler& handler, const TaskProgress& progress);

  Session& m_session;
  std::chrono::duration<double> m_timeout;
  bool m_released = false;
  RankStats m_local;
  std::vector<RankStats> m_remote;
};

// Distribute (util/distribute.h) over a session: rank 0 hands the task indices out through a
// Farm, every rank computes the tasks it gets and every rank returns every result (rank 0
// broadcasts them). On a one-rank session, runHere. stats (may be null; rank 0's must outlive
// the calls): every rank's tasks and busy time, added up over the calls.
Distribute distributeOver(Session& session, std::chrono::duration<double> timeout,
                          std::vector<RankStats>* stats = nullptr);

// What ranks compare before working together (Session::requireSame): a digest of this
// executable's bytes (the build), and of a model folder (config.json, every safetensors
// header and file size, the tokenizer files; not the weights themselves, which would take as
// long to read as to load).
std::string buildPrint();
std::string modelPrint(const std::string& modelDir);

}  // namespace rope::cluster
