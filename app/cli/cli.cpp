#include "cli/cli.h"

#include <exception>

#include "cli/cli_args.h"
#include "cluster/cluster.h"
#include "util/error.h"
#include "util/warnings.h"

namespace rope::cli {
namespace {

void printToolHelp(std::ostream& out) {
  out << "rope-cli: RoPE Workbench on the command line\n\n"
         "usage: rope-cli COMMAND [options]\n\ncommands:\n";
  for (const auto& c : commands()) {
    out << "  " << c.name << std::string(c.name.size() < 10 ? 10 - c.name.size() : 1, ' ')
        << c.summary << "\n";
  }
  out << "\nrope-cli COMMAND --help shows a command's options; rope-cli --version the version.\n"
         "Exit codes: 0 success, 2 usage error, 1 any other error.\n";
}

bool wantsHelp(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") return true;
  }
  return false;
}

}  // namespace

const std::vector<Command>& commands() {
  static const std::vector<Command> all = {
      ropeCommand(),  convertCommand(), logitsCommand(),    pplCommand(),    corpusCommand(),
      trainCommand(), passkeyCommand(), attentionCommand(), searchCommand(), tokenizeCommand(),
      extendCommand(), pathsCommand()};
  return all;
}

int runCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    printToolHelp(err);
    return 2;
  }
  const std::string& name = args.front();
  if (name == "--version") {
    out << "rope-cli " << ROPE_VERSION << "\n";
    return 0;
  }
  if (name == "--help" || name == "-h" || name == "help") {
    if (args.size() > 1) {
      for (const auto& c : commands()) {
        if (c.name == args[1]) {
          out << c.usage;
          return 0;
        }
      }
    }
    printToolHelp(out);
    return 0;
  }
  const Command* cmd = nullptr;
  for (const auto& c : commands()) {
    if (c.name == name) cmd = &c;
  }
  if (!cmd) {
    err << "error: unknown command '" << name << "' (rope-cli --help lists them)\n";
    return 2;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (wantsHelp(rest)) {
    out << cmd->usage;
    return 0;
  }
  const cluster::Session& session = cluster::Session::current();
  if (session.distributed() && !cmd->distributed) {
    err << "error: rope-cli " << name << " runs as one process, not as " << session.size()
        << " MPI ranks: start it without mpirun (search, ppl and passkey spread over ranks)\n";
    return 2;
  }
  // Warnings about the user's files go to this command's error stream, each once.
  const ScopedWarningSink warnings(
      [&err](const std::string& m) { err << "warning: " << m << "\n"; });
  try {
    return cmd->run(rest, out, err);
  } catch (const UsageError& e) {
    err << "error: " << e.what() << " (rope-cli " << name << " --help)\n";
    return 2;
  } catch (const CancelledError&) {
    err << "error: cancelled\n";
    return 1;
  } catch (const std::exception& e) {
    err << "error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace rope::cli
