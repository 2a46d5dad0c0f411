#!/usr/bin/env bash
# The LongRoPE search on the demo model, as docs/search.md reports it:
#  1. the searched factor sets at 4x and 8x the training window (resources/demo-factors/),
#  2. the plain paper schedule against the workbench's schedule (batching, cheap-first screening,
#     early stop), both scaled down, with evaluations and wall time to reach the plain
#     schedule's final perplexity (BENCH=0 skips this part).
# Searches use the validation split; scripts/demo-table.sh compares methods on the test split.
# Usage: scripts/search-demo.sh [BUILD_DIR]   (default build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
cli=$build/bin/rope-cli
model=${ROPE_DEMO_MODEL:-resources/demo-model}
window=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["max_position_embeddings"])' "$model/config.json")
out=${OUT_DIR:-/tmp/rope-search-demo}
mkdir -p "$out" resources/demo-factors
export OPENBLAS_NUM_THREADS=1

# The scaled-down schedule both runs share (the paper: 64 / 32 / 16 + 16 / 40).
schedule=(--population 16 --parents 8 --mutations 4 --crossovers 4 --generations 10 --samples 5
          --seed 0 --threads 1 --device cpu)
# The workbench's schedule on top: several candidates per forward pass, children screened on
# one document first (twice as many children, the better half evaluated fully), early stop.
fast=(--screen --screen-samples 1 --screen-keep 0.5 --early-stop 3 --early-stop-tol 0.01)

search() {  # search NAME TARGET ARGS... -> $out/NAME.json (the --json line), NAME.log
  local name=$1 target=$2; shift 2
  rm -f "$out/$name.factors.json"
  "$cli" search --model "$model" --target-length "$target" "${schedule[@]}" "$@" \
    --out "$out/$name.factors.json" --name "$name" --json > "$out/$name.log"
  tail -n 1 "$out/$name.log" > "$out/$name.json"
  echo "$name: $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("best %.4f, %d evaluations, %d screenings, %.0f s" % (d["best_ppl"], d["evaluations"], d["screenings"], d["seconds"]))' "$out/$name.json")"
}

for m in 4 8; do
  search "searched-${m}x" $((window * m)) "${fast[@]}"
  cp "$out/searched-${m}x.factors.json" "resources/demo-factors/searched-${m}x.json"
  if [ "${BENCH:-1}" = 1 ]; then
    search "plain-${m}x" $((window * m)) --batch 1
  fi
done
