#include "cli/cluster_options.h"

#include <algorithm>
#include <thread>

namespace rope::cli {

const char* kClusterUsage =
    R"(Under mpirun or srun (several ranks; docs/cluster.md): rank 0 hands the work out and alone
prints and writes; every rank loads the model (one GPU per rank with --device auto, else
its node's CPU threads shared by the node's ranks).
  --rank-timeout S   seconds rank 0 waits for one answer from another rank before it ends
                     the job naming that rank (default 1800; 0: forever)
)";

std::chrono::duration<double> rankTimeout(const Args& args) {
  const double s = args.doubleValue("rank-timeout").value_or(1800);
  if (!(s >= 0)) throw UsageError("--rank-timeout must not be negative");
  return std::chrono::duration<double>(s);
}

void joinJob(cluster::Session& session, const std::string& modelDir, Transformer::Options& engine) {
  if (!session.distributed()) return;
  if (engine.threads <= 0) {
    const int hardware = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    engine.threads = std::max(1, hardware / session.localSize());
  }
  session.requireSame("build (the rope-cli executable)", cluster::buildPrint());
  session.requireSame("model", cluster::modelPrint(modelDir));
  session.requireSame("dtype", computeDTypeName(engine.dtype));
}

nlohmann::ordered_json rankStatsJson(const std::vector<cluster::RankStats>& stats,
                                     const std::vector<std::string>& devices) {
  auto out = nlohmann::ordered_json::array();
  for (const auto& s : stats) {
    nlohmann::ordered_json j = {
        {"rank", s.rank},
        {"tasks", s.tasks},
        {"busy_seconds", s.busySeconds},
        {"tasks_per_second", s.busySeconds > 0 ? s.tasks / s.busySeconds : 0}};
    if (static_cast<size_t>(s.rank) < devices.size()) j["devices"] = devices[s.rank];
    out.push_back(j);
  }
  return out;
}

}  // namespace rope::cli
