// rope-cli entry point; all logic lives in cli.cpp and the command files. Under mpirun or srun
// every rank runs the command: rank 0 prints; another rank's output is dropped, and its
// errors are printed with its rank when it fails.
#include <unistd.h>

#include <iostream>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cluster/cluster.h"
#include "util/blas_kernels.h"

namespace {

// An error stream that writes whole lines, one write() each: the MPI launcher forwards every
// rank's stderr as it comes, and lines written piecewise by two ranks would interleave.
class LineWriter : public std::streambuf {
 public:
  explicit LineWriter(int fd) : m_fd(fd) {}
  ~LineWriter() override { flushLine(); }

 protected:
  int overflow(int c) override {
    if (c == traits_type::eof()) return 0;
    m_line.push_back(static_cast<char>(c));
    if (c == '\n') flushLine();
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    for (std::streamsize i = 0; i < n; ++i) overflow(static_cast<unsigned char>(s[i]));
    return n;
  }
  int sync() override {
    flushLine();
    return 0;
  }

 private:
  void flushLine() {
    for (size_t done = 0; done < m_line.size();) {
      const ssize_t n = ::write(m_fd, m_line.data() + done, m_line.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    m_line.clear();
  }
  int m_fd;
  std::string m_line;
};

}  // namespace

int main(int argc, char** argv) {
  rope::reexecWithBetterBlas(argv);  // before anything else: it may start the program again
  rope::cluster::Session& session = rope::cluster::Session::start(&argc, &argv);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!session.distributed()) {
    return rope::cluster::Session::end(rope::cli::runCli(args, std::cout, std::cerr));
  }
  LineWriter lines(STDERR_FILENO);
  std::ostream err(&lines);
  if (session.leader()) {
    const int code = rope::cli::runCli(args, std::cout, err);
    std::cout.flush();
    err.flush();
    return rope::cluster::Session::end(code);
  }
  std::ostringstream out, errors;
  const int code = rope::cli::runCli(args, out, errors);
  if (code != 0) {
    std::istringstream in(errors.str());
    for (std::string line; std::getline(in, line);) {
      err << "rank " << session.rank() << ": " << line << "\n";
    }
    err.flush();
  }
  return rope::cluster::Session::end(code);
}
