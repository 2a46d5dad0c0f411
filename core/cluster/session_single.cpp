// Session and Farm of a build without MPI (ROPE_WITH_MPI off): a job of one rank, every task
// run here, in order.
#include <stdexcept>

#include "cluster/cluster.h"

namespace rope::cluster {
namespace {
Session* g_session = nullptr;
}  // namespace

bool builtWithMpi() { return false; }

Session& Session::start(int*, char***) {
  static Session session;
  g_session = &session;
  return session;
}

Session& Session::current() {
  static Session single;
  return g_session ? *g_session : single;
}

int Session::end(int code) { return code; }

std::string Session::broadcast(const std::string& bytes) { return bytes; }

std::vector<std::string> Session::gather(const std::string& bytes) { return {bytes}; }

void Session::requireSame(const std::string&, const std::string&) {}

Farm::Farm(Session& session, std::chrono::duration<double> timeout)
    : m_session(session), m_timeout(timeout) {
  m_remote.push_back({0, 0, 0});
}

Farm::~Farm() = default;

std::vector<RankStats> Farm::stats() { return {m_local}; }

void Farm::share(const std::string&) {}

void Farm::release() { m_released = true; }

void Farm::sendToAll(int, const std::string&) {}

std::vector<std::string> Farm::map(const std::vector<std::string>& requests,
                                   const Handler& handler, const TaskProgress& progress) {
  return mapHere(requests, handler, progress);
}

void Farm::serve(const Handler&, const std::function<void(const std::string&)>&) {
  throw std::logic_error("Farm::serve: a build without MPI has no rank but 0");
}

}  // namespace rope::cluster
