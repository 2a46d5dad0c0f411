// rope-cli entry point; all logic lives in cli.cpp and the command files. Under mpirun or srun
// every rank runs the command: rank 0 prints; another rank's output is dropped, and its
// errors are printed with its rank when it fails.
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cluster/cluster.h"

int main(int argc, char** argv) {
  rope::cluster::Session& session = rope::cluster::Session::start(&argc, &argv);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (session.leader()) {
    const int code = rope::cli::runCli(args, std::cout, std::cerr);
    std::cout.flush();
    return rope::cluster::Session::end(code);
  }
  std::ostringstream out, err;
  const int code = rope::cli::runCli(args, out, err);
  if (code != 0) {
    std::istringstream lines(err.str());
    for (std::string line; std::getline(lines, line);) {
      std::cerr << "rank " << session.rank() << ": " << line << "\n";
    }
    std::cerr.flush();
  }
  return rope::cluster::Session::end(code);
}
