// Session and Farm on MPI (ROPE_WITH_MPI). Only the thread that called Session::start() calls
// MPI; Farm::map() runs rank 0's share of the tasks on a thread of its own.
#include <mpi.h>

#include <atomic>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include "cluster/cluster.h"
#include "util/bytes.h"
#include "util/error.h"

namespace rope::cluster {
namespace {

using Clock = std::chrono::steady_clock;

enum Tag : int { kWork = 11, kResult = 12, kError = 13, kShare = 14, kRelease = 15, kPrint = 16 };

// An MPI launcher started this process (Open MPI, MPICH/Hydra and SLURM's PMI/PMIx set these).
bool launchedByMpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK"}) {
    if (std::getenv(v)) return true;
  }
  return false;
}

Session* g_session = nullptr;

void send(int rank, int tag, const std::string& bytes) {
  MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, rank, tag, MPI_COMM_WORLD);
}

std::string receive(const MPI_Status& probed) {
  int count = 0;
  MPI_Get_count(&probed, MPI_BYTE, &count);
  std::string bytes(static_cast<size_t>(count), '\0');
  MPI_Recv(bytes.data(), count, MPI_BYTE, probed.MPI_SOURCE, probed.MPI_TAG, MPI_COMM_WORLD,
           MPI_STATUS_IGNORE);
  return bytes;
}

// Waiting without spinning: MPI's blocking calls poll at full speed, which takes a core from
// the ranks computing beside this one. Sleeps grow from 50 us to 2 ms while nothing arrives.
class Backoff {
 public:
  void reset() { m_sleep = std::chrono::microseconds(50); }
  void wait() {
    std::this_thread::sleep_for(m_sleep);
    m_sleep = std::min(m_sleep * 2, std::chrono::microseconds(2000));
  }

 private:
  std::chrono::microseconds m_sleep{50};
};

// Probes for a message (any tag) from `source` without blocking.
bool probe(int source, MPI_Status& status) {
  int flag = 0;
  MPI_Iprobe(source, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &status);
  return flag != 0;
}

}  // namespace

bool builtWithMpi() { return true; }

Session& Session::start(int* argc, char*** argv) {
  static Session session;
  g_session = &session;
  if (!launchedByMpi()) return session;
  int provided = 0;
  MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
  session.m_mpi = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &session.m_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &session.m_size);
  MPI_Comm local;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local);
  MPI_Comm_rank(local, &session.m_localRank);
  MPI_Comm_size(local, &session.m_localSize);
  MPI_Comm_free(&local);
  char name[MPI_MAX_PROCESSOR_NAME];
  int length = 0;
  MPI_Get_processor_name(name, &length);
  session.m_processor.assign(name, static_cast<size_t>(length));
  return session;
}

Session& Session::current() {
  static Session single;
  return g_session ? *g_session : single;
}

int Session::end(int code) {
  if (!g_session || !g_session->m_mpi) return code;
  if (g_session->m_broken || (code != 0 && g_session->m_size > 1)) {
    // Another rank may be waiting for this one: end the whole job rather than leave it hung.
    MPI_Abort(MPI_COMM_WORLD, code != 0 ? code : 1);
  }
  MPI_Finalize();
  return code;
}

std::string Session::broadcast(const std::string& bytes) {
  if (!m_mpi || m_size == 1) return bytes;
  int64_t size = static_cast<int64_t>(bytes.size());
  MPI_Bcast(&size, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
  std::string out = leader() ? bytes : std::string(static_cast<size_t>(size), '\0');
  MPI_Bcast(out.data(), static_cast<int>(size), MPI_BYTE, 0, MPI_COMM_WORLD);
  return out;
}

std::vector<std::string> Session::gather(const std::string& bytes) {
  if (!m_mpi || m_size == 1) return {bytes};
  const int size = static_cast<int>(bytes.size());
  std::vector<int> sizes(leader() ? m_size : 0), offsets(leader() ? m_size : 0);
  MPI_Gather(&size, 1, MPI_INT, sizes.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::string all;
  if (leader()) {
    int total = 0;
    for (int r = 0; r < m_size; ++r) {
      offsets[r] = total;
      total += sizes[r];
    }
    all.resize(static_cast<size_t>(total));
  }
  MPI_Gatherv(bytes.data(), size, MPI_BYTE, all.data(), sizes.data(), offsets.data(), MPI_BYTE, 0,
              MPI_COMM_WORLD);
  std::vector<std::string> out;
  for (int r = 0; leader() && r < m_size; ++r) out.push_back(all.substr(offsets[r], sizes[r]));
  return out;
}

void Session::requireSame(const std::string& what, const std::string& print) {
  if (!m_mpi || m_size == 1) return;
  const std::string leaderPrint = broadcast(print);
  // The first rank whose print differs (m_size: none), known to every rank.
  const int mine = print == leaderPrint ? m_size : m_rank;
  int first = m_size;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (first == m_size) return;
  std::string theirs = print;
  if (m_rank == first) send(0, kPrint, print);
  if (leader()) {
    MPI_Status status;
    MPI_Probe(first, kPrint, MPI_COMM_WORLD, &status);
    theirs = receive(status);
  }
  throw InputError("rank " + std::to_string(first) + " differs from rank 0 in its " + what +
                   " (rank 0: " + leaderPrint + "; rank " + std::to_string(first) + ": " + theirs +
                   "): every rank must run the same build on the same model");
}

Farm::Farm(Session& session, std::chrono::duration<double> timeout)
    : m_session(session), m_timeout(timeout) {
  m_local.rank = session.rank();
  for (int r = 0; r < session.size(); ++r) m_remote.push_back({r, 0, 0});
}

Farm::~Farm() {
  try {
    release();
  } catch (...) {
  }
}

std::vector<RankStats> Farm::stats() {
  std::vector<RankStats> out = m_remote;
  out[0] = m_local;
  return out;
}

void Farm::share(const std::string& bytes) {
  if (!m_session.leader()) throw std::logic_error("Farm::share is rank 0's");
  sendToAll(kShare, bytes);
}

void Farm::release() {
  if (!m_session.leader() || m_released || m_session.broken()) return;
  m_released = true;
  sendToAll(kRelease, {});
}

// Non-blocking sends, waited for with the farm's timeout: a blocking send to a rank that
// stopped can hang for ever, even for a short message.
void Farm::sendToAll(int tag, const std::string& bytes) {
  const int size = m_session.size();
  if (size <= 1) return;
  std::vector<MPI_Request> requests(size - 1);
  for (int r = 1; r < size; ++r) {
    MPI_Isend(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, r, tag, MPI_COMM_WORLD,
              &requests[r - 1]);
  }
  const auto t0 = Clock::now();
  Backoff backoff;
  for (;;) {
    int done = 0;
    MPI_Testall(size - 1, requests.data(), &done, MPI_STATUSES_IGNORE);
    if (done) return;
    if (m_timeout.count() > 0 && Clock::now() - t0 > m_timeout) {
      for (int r = 1; r < size; ++r) {
        int flag = 0;
        MPI_Test(&requests[r - 1], &flag, MPI_STATUS_IGNORE);
        if (!flag) {
          m_session.markBroken();
          throw RankLost(r, "rank " + std::to_string(r) + " did not take a message within " +
                                std::to_string(static_cast<long long>(m_timeout.count())) +
                                " s (--rank-timeout)");
        }
      }
    }
    backoff.wait();
  }
}

std::vector<std::string> Farm::map(const std::vector<std::string>& requests, const Handler& handler,
                                   const TaskProgress& progress) {
  if (!m_session.leader()) throw std::logic_error("Farm::map is rank 0's");
  const int n = static_cast<int>(requests.size());
  std::vector<std::string> results(n);
  if (m_session.size() == 1) return mapHere(requests, handler, progress);
  std::mutex mutex;  // guards next, doneLocal, stop, results written by the local thread
  int next = 0, doneLocal = 0;
  bool stop = false;
  std::exception_ptr localError;
  const auto takeNext = [&] {
    std::lock_guard lock(mutex);
    return stop || next >= n ? -1 : next++;
  };
  std::thread local([&] {
    for (int i; (i = takeNext()) >= 0;) {
      const auto t0 = Clock::now();
      try {
        std::string r = handler(requests[i]);
        std::lock_guard lock(mutex);
        results[i] = std::move(r);
        ++doneLocal;
        ++m_local.tasks;
        m_local.busySeconds += std::chrono::duration<double>(Clock::now() - t0).count();
      } catch (...) {
        std::lock_guard lock(mutex);
        localError = std::current_exception();
        stop = true;
      }
    }
  });

  // Hands out requests to idle ranks and gathers their answers until all are in (after a
  // failure: until every outstanding answer is in, so that the next map starts clean).
  const int size = m_session.size();
  std::vector<int> pending(size, -1);
  std::vector<Clock::time_point> sentAt(size);
  // What each rank's send in flight holds; left allocated if a rank is lost, since MPI may
  // still read it until the job ends.
  auto sentOwner = std::make_unique<std::vector<std::string>>(size);
  std::vector<std::string>& sent = *sentOwner;
  std::vector<MPI_Request> sending(size, MPI_REQUEST_NULL);
  int doneRemote = 0, reported = 0, outstanding = 0;
  std::string remoteError, lostWhy;
  int lost = -1;
  Backoff backoff;
  const auto lose = [&](int r, const std::string& why) {
    lost = r;
    lostWhy = "rank " + std::to_string(r) + " " + why;
  };
  while (lost < 0) {
    for (int r = 1; r < size; ++r) {
      if (pending[r] >= 0) continue;
      const int i = takeNext();
      if (i < 0) break;
      sent[r] = ByteWriter().put<int64_t>(i).put(requests[i]).take();
      MPI_Isend(sent[r].data(), static_cast<int>(sent[r].size()), MPI_BYTE, r, kWork,
                MPI_COMM_WORLD, &sending[r]);
      pending[r] = i;
      sentAt[r] = Clock::now();
      ++outstanding;
    }
    MPI_Status status;
    if (outstanding > 0 && probe(MPI_ANY_SOURCE, status)) {
      backoff.reset();
      const int r = status.MPI_SOURCE;
      const std::string bytes = receive(status);
      if (pending[r] < 0 || (status.MPI_TAG != kResult && status.MPI_TAG != kError)) {
        lose(r, "sent a message nobody asked for");
        break;
      }
      try {
        ByteReader in(bytes);
        const auto i = in.get<int64_t>();
        const double busy = in.get<double>();
        std::string answer = in.getString();
        if (i != pending[r]) throw InputError("the answer to another task");
        if (status.MPI_TAG == kError) {
          if (remoteError.empty()) remoteError = "rank " + std::to_string(r) + ": " + answer;
          std::lock_guard lock(mutex);
          stop = true;
        } else {
          results[i] = std::move(answer);
        }
        ++m_remote[r].tasks;
        m_remote[r].busySeconds += busy;
      } catch (const InputError& e) {
        lose(r, std::string("sent an unreadable answer (") + e.what() + ")");
        break;
      }
      MPI_Wait(&sending[r], MPI_STATUS_IGNORE);  // answered, so long delivered
      pending[r] = -1;
      --outstanding;
      ++doneRemote;
    } else {
      const auto now = Clock::now();
      for (int r = 1; r < size; ++r) {
        int delivered = 0;  // lets MPI progress the sends in flight
        if (sending[r] != MPI_REQUEST_NULL) MPI_Test(&sending[r], &delivered, MPI_STATUS_IGNORE);
      }
      for (int r = 1; r < size && m_timeout.count() > 0; ++r) {
        if (pending[r] >= 0 && now - sentAt[r] > m_timeout) {
          lose(r, "did not answer within " +
                      std::to_string(static_cast<long long>(m_timeout.count())) +
                      " s (--rank-timeout)");
          break;
        }
      }
      if (lost >= 0) break;
      bool finished;
      {
        std::lock_guard lock(mutex);
        finished = outstanding == 0 && (stop || doneLocal + doneRemote >= n);
      }
      if (finished) break;
      backoff.wait();
    }
    int doneNow;
    bool stopped;
    {
      std::lock_guard lock(mutex);
      doneNow = doneLocal + doneRemote;
      stopped = stop;
    }
    if (progress && !stopped && doneNow > reported) progress(reported = doneNow);
  }
  {
    std::lock_guard lock(mutex);
    stop = stop || lost >= 0;
  }
  local.join();
  if (lost >= 0) {
    (void)sentOwner.release();
    m_session.markBroken();
    throw RankLost(lost, lostWhy);
  }
  if (localError) std::rethrow_exception(localError);
  if (!remoteError.empty()) throw InputError(remoteError);
  if (progress && n > reported) progress(n);
  return results;
}

void Farm::serve(const Handler& handler, const std::function<void(const std::string&)>& onShare) {
  if (m_session.leader()) throw std::logic_error("Farm::serve is for ranks other than 0");
  std::string shareError;
  Backoff backoff;
  for (;;) {
    MPI_Status status;
    if (!probe(0, status)) {
      backoff.wait();
      continue;
    }
    backoff.reset();
    const std::string bytes = receive(status);
    if (status.MPI_TAG == kRelease) return;
    if (status.MPI_TAG == kShare) {
      try {
        if (onShare) onShare(bytes);
        shareError.clear();
      } catch (const std::exception& e) {
        shareError = e.what();
      }
      continue;
    }
    if (status.MPI_TAG != kWork) continue;
    int64_t index = -1;
    const auto t0 = Clock::now();
    int tag = kResult;
    std::string answer;
    try {
      ByteReader in(bytes);
      index = in.get<int64_t>();
      if (!shareError.empty()) throw InputError(shareError);
      answer = handler(in.getString());
    } catch (const std::exception& e) {
      tag = kError;
      answer = e.what();
    }
    const double busy = std::chrono::duration<double>(Clock::now() - t0).count();
    ++m_local.tasks;
    m_local.busySeconds += busy;
    send(0, tag, ByteWriter().put(index).put(busy).put(answer).take());
  }
}

}  // namespace rope::cluster
