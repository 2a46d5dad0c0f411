// rope-cli convert: factor files between formats.
#include <filesystem>

#include "cli/cli.h"
#include "cli/cli_args.h"
#include "io/factor_files.h"

namespace rope::cli {
namespace {

const char* kUsage = R"(usage: rope-cli convert IN OUT [--to FORMAT] [--name NAME] [--modernise]

Converts a factor file. IN: a project JSON, a LongRoPE CSV (one factor per line or a
layers x pairs matrix), a Hugging Face config.json or a model folder. Without --to, the
format follows OUT's extension (.csv: longrope-csv; .json: project, or hf-config when OUT is
an existing config.json or a folder). Writing an HF config into an existing config.json
changes only its RoPE keys. The output is written atomically. What the output format cannot
hold (n_hat, per-layer factors, ...) is reported on stderr as a warning.

  --to FORMAT   hf-config, longrope-csv, longrope-n-csv (LongRoPE's dim_mono_n layout: n_hat,
                then the factors) or project
  --name NAME   the factor set to take from a project holding several
  --modernise   write an April Phi-3 config's `su` RoPE type as `longrope`

Writing into a config.json rewrites every RoPE spelling it holds (rope_scaling and
rope_parameters) with the same RoPE; short factors the input lacks are kept from the config.
)";

FactorFormat outputFormat(const Args& a, const std::string& out) {
  if (auto to = a.value("to")) return parseFormat(*to);
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(out, ec)) return FactorFormat::HfConfig;
  const std::string ext = fs::path(out).extension().string();
  if (ext == ".csv" || ext == ".txt") return FactorFormat::LongRopeCsv;
  if (ext == ".json") {
    if (fs::exists(out, ec)) return detectFormat(out);
    return fs::path(out).filename() == "config.json" ? FactorFormat::HfConfig
                                                     : FactorFormat::Project;
  }
  throw UsageError("cannot tell the output format from '" + out + "'; give --to");
}

int run(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  const Args a(argv, {"modernise"}, {"to", "name"});
  if (a.positional().size() != 2) throw UsageError("convert needs IN and OUT");
  const std::string& in = a.positional()[0];
  const std::string& dst = a.positional()[1];
  const FactorFormat format = outputFormat(a, dst);
  const FactorSet set = readFactorFile(in, a.value("name").value_or(""));
  std::vector<std::string> warnings;
  writeFactorFile(dst, set, format, &warnings, a.has("modernise"));
  for (const auto& w : warnings) err << "warning: " << w << "\n";
  out << "wrote " << dst << " (" << formatName(format) << ", " << set.factors.size()
      << " factors)\n";
  return 0;
}

}  // namespace

Command convertCommand() {
  return {"convert", "convert factor files between formats", kUsage, run};
}

}  // namespace rope::cli
