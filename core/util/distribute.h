#pragma once
// How an evaluation runs its independent pieces of work (the forward passes of a perplexity
// sweep, the trials of a passkey grid). The default runs them here, one after another; rope-cli
// under mpirun passes one that spreads them over the ranks of the job (cluster/cluster.h).
//
// Contract: every process of a job calls it with the same count and equivalent tasks, and gets
// every result, in index order, so that what follows runs the same everywhere. A result is the
// task's bytes (util/bytes.h); progress (may be empty) is told how many are done, on the
// process that reports.

#include <functional>
#include <string>
#include <vector>

namespace rope {

using TaskFn = std::function<std::string(int index)>;
using TaskProgress = std::function<void(int done)>;
using Distribute =
    std::function<std::vector<std::string>(int count, const TaskFn& task, const TaskProgress&)>;

// The default: task(0), task(1), ... here, in order.
inline std::vector<std::string> runHere(int count, const TaskFn& task,
                                        const TaskProgress& progress) {
  std::vector<std::string> out;
  out.reserve(count);
  for (int i = 0; i < count; ++i) {
    out.push_back(task(i));
    if (progress) progress(i + 1);
  }
  return out;
}

}  // namespace rope
