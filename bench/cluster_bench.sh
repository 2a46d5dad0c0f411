#!/usr/bin/env bash
# The LongRoPE search as an MPI job on this machine (issue 17): evaluations per second of the
# demo model's search under mpirun -np 1 and -np 2 (one thread per rank) against one process
# with all hardware threads, and the parallel efficiency. Not a test: numbers depend on the
# machine and its load (uptime is printed before every run).
#
#   bench/cluster_bench.sh [BUILD_DIR]     (default build/; needs rope-cli built with MPI)
#
# Environment: ROPE_BENCH_TARGET (default 1024 tokens), ROPE_BENCH_GENERATIONS (3),
# ROPE_BENCH_POPULATION (16), ROPE_BENCH_SAMPLES (2). Each run is timed from rope-cli's own
# --json: its evaluations over the seconds its search stages took (model loading and data
# preparation excluded).
set -uo pipefail
cd "$(dirname "$0")/.."
cli=${1:-build}/bin/rope-cli
target=${ROPE_BENCH_TARGET:-1024}
generations=${ROPE_BENCH_GENERATIONS:-3}
population=${ROPE_BENCH_POPULATION:-16}
samples=${ROPE_BENCH_SAMPLES:-2}
cores=$(nproc)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mpi=(mpirun --oversubscribe)
[ "$(id -u)" = 0 ] && mpi+=(--allow-run-as-root)
search=(search --target-length "$target" --population "$population" --generations "$generations"
        --samples "$samples" --seed 11 --device cpu --json)
load() { uptime | sed 's/.*load average: /load /'; }

# rate NAME COMMAND...: runs it, prints evaluations, seconds, evaluations/s; sets $rate.
run() {
  local name=$1
  shift
  local before
  before=$(load)
  local json
  json=$("$@" --out "$work/$name.json" 2>"$work/$name.err" | tail -1)
  local evals secs
  read -r evals secs < <(/usr/bin/python3 -c '
import json, sys
j = json.loads(sys.argv[1])
print(j["evaluations"], sum(s["seconds"] for s in j["stages"]))' "$json" 2>/dev/null)
  if [ -z "$evals" ] || [ -z "$secs" ]; then
    echo "$name: failed"; cat "$work/$name.err"; exit 1
  fi
  rate=$(awk -v e="$evals" -v s="$secs" 'BEGIN {printf "%.3f", e / s}')
  printf '%-28s %6d evaluations %8.1f s %8.3f evaluations/s   (%s)\n' "$name" "$evals" "$secs" \
    "$rate" "$before"
}

echo "# demo model, search at $target tokens, population $population, $generations generations," \
     "$samples samples; $cores hardware threads"
run "one process, $cores threads" "$cli" "${search[@]}" --threads "$cores"
single=$rate
run "mpirun -np 1, 1 thread" "${mpi[@]}" -np 1 "$cli" "${search[@]}" --threads 1
np1=$rate
run "mpirun -np 2, 1 thread each" "${mpi[@]}" -np 2 "$cli" "${search[@]}" --threads 1
np2=$rate
same=no
cmp -s "$work/mpirun -np 1, 1 thread.json" "$work/mpirun -np 2, 1 thread each.json" && same=yes
awk -v a="$np1" -v b="$np2" -v s="$single" -v same="$same" 'BEGIN {
  printf "speed-up -np 2 over -np 1: %.2fx, parallel efficiency %.0f%%\n", b / a, 100 * b / (2 * a)
  printf "-np 2 over one process with all threads: %.2fx\n", b / s
  printf "factors of -np 1 and -np 2 identical: %s\n", same
}'
