// rope-cli paths: where this copy of the tool finds its files (installed, environment or
// source tree), so that an installation can be checked.
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/cli_args.h"
#include "data/tokenizer.h"
#include "train/demo_assets.h"
#include "util/blas_kernels.h"
#include "util/error.h"
#include "util/install_paths.h"

namespace rope::cli {
namespace {

const char* kUsage = R"(usage: rope-cli paths [--json]

Prints where this copy of rope-cli finds its files:
  executable     the folder of the running program
  demo model     the folder "--model demo" means, and how it was found: $ROPE_DEMO_MODEL when
                 set, else the installed copy (<executable>/../share/rope-workbench/demo-model),
                 else the source tree the build came from
  demo factors   the demo model's searched factor sets (beside the demo model)
  sentencepiece  the SentencePiece module that reads text data: $ROPE_SENTENCEPIECE_SHIM, else
                 the installed copy (<executable>/../lib/rope-workbench), else the build's own
  corpus         the cache of the demo corpus: $ROPE_CORPUS_DIR, else
                 ($XDG_CACHE_HOME or ~/.cache)/rope-workbench/kjv
  blas kernels   the kernels OpenBLAS runs the matrix products with ("SkylakeX", ...; rope-cli
                 starts again with OPENBLAS_CORETYPE set where OpenBLAS does not know the CPU
                 and would run SSE3 ones); "none" when the BLAS is not OpenBLAS
Exit code 1 when there is no demo model.
)";

int run(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  const Args a(argv, {"json"}, {});
  if (!a.positional().empty()) throw UsageError("unexpected argument '" + a.positional()[0] + "'");
  const DemoModelLocation demo = locateDemoModel();
  std::string factors;
  if (!demo.dir.empty()) {
    try {
      factors = demoFactorsDir();
    } catch (const InputError&) {
      // Reported as an empty entry: a demo model of one's own need not come with factor sets.
    }
  }
  const std::string module = Tokenizer::modulePath();
  if (a.has("json")) {
    nlohmann::ordered_json j;
    j["executable_dir"] = executableDir();
    j["demo_model"] = {{"dir", demo.dir}, {"origin", demo.origin}, {"tried", demo.tried}};
    j["demo_factors"] = factors;
    j["sentencepiece_module"] = module;
    j["corpus_dir"] = defaultCorpusDir();
    j["blas_kernels"] = blasCoreName();
    out << j.dump(2) << "\n";
  } else {
    auto orNone = [](const std::string& s) { return s.empty() ? std::string("none") : s; };
    out << "executable     " << orNone(executableDir()) << "\n";
    out << "demo model     " << (demo.dir.empty() ? "none" : demo.dir + " (" + demo.origin + ")")
        << "\n";
    out << "demo factors   " << orNone(factors) << "\n";
    out << "sentencepiece  " << orNone(module) << "\n";
    out << "corpus         " << defaultCorpusDir() << "\n";
    out << "blas kernels   " << orNone(blasCoreName()) << "\n";
  }
  if (demo.dir.empty()) {
    std::string tried;
    for (const auto& dir : demo.tried) tried += (tried.empty() ? "" : ", ") + dir;
    err << "error: no demo model (looked at " << tried << ")\n";
    return 1;
  }
  return 0;
}

}  // namespace

Command pathsCommand() {
  return {"paths", "where this copy finds the demo model, its factor sets and modules", kUsage,
          run};
}

}  // namespace rope::cli
