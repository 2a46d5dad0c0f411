// rope-cli entry point; all logic lives in cli.cpp and the command files.
#include <iostream>
#include <string>
#include <vector>

#include "cli/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return rope::cli::runCli(args, std::cout, std::cerr);
}
