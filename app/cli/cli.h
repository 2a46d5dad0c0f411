#pragma once
// rope-cli: the headless front on core. Exit codes: 0 success, 2 usage error, 1 any other
// error, reported as one line "error: ..." on err.

#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace rope::cli {

struct Command {
  std::string name;
  std::string summary;  // one line for the tool's --help
  std::string usage;    // the command's --help text
  std::function<int(const std::vector<std::string>& args, std::ostream& out, std::ostream& err)> run;
  // Runs as an MPI job of several ranks (search, ppl, passkey); the others refuse to.
  bool distributed = false;
};

// Every command, in the order --help lists them.
const std::vector<Command>& commands();

// argv without the program name. Under mpirun every rank calls it; ranks other than 0 pass
// streams nobody reads (main.cpp).
int runCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// Commands, one per file.
Command ropeCommand();
Command convertCommand();
Command logitsCommand();
Command pplCommand();
Command corpusCommand();
Command trainCommand();
Command extendCommand();
Command passkeyCommand();
Command attentionCommand();
Command searchCommand();
Command pathsCommand();
Command tokenizeCommand();

}  // namespace rope::cli
