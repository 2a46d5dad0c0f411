#!/usr/bin/env bash
# The CPU benchmarks of issue 18 in one go; prints a table and the ratios. Not a test: numbers
# depend on the machine and its load (uptime is printed before every measurement).
#
#   bench/cpu_bench.sh [BUILD_DIR]      (default build/; needs rope-bench and rope-cli)
#
# 1. Perplexity forward, float32, T = 1024 and 4096, on the 30M and 123M Llama shapes:
#    rope-bench (its matmul rate, measured in the same process with the same threads, and the
#    forward's FLOP rate) against bench/eager_forward.py run right after it (needs Debian's
#    python3-torch, the same LibTorch 1.13; skipped without it). Eager PyTorch runs as a user
#    would run it (torch's default pools) and under the engine's thread policy (torch 1 thread,
#    OpenBLAS all of them).
# 2. Long context: rope-cli ppl on the demo model at 4K, 16K and 32K tokens (YaRN x256 over its
#    128-token window), peak RSS and wall time from /usr/bin/time -v.
# 3. Fine-tuning step (forward, backward, AdamW): rope-bench --train (the trainer's own step)
#    against bench/eager_train.py (the same model and step in eager PyTorch, as a user runs it),
#    alternated twice each, on the demo shape and the 30M shape at T = 512 and 1024, batch 4.
# Environment: ROPE_BENCH_SHAPES, ROPE_BENCH_LENGTHS, ROPE_BENCH_LONG, ROPE_BENCH_TRAIN (shapes)
# and ROPE_BENCH_TRAIN_LENGTHS override the lists; ROPE_BENCH_PARTS (default "1 2 3") picks
# the parts.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
bench=$build/bin/rope-bench
cli=$build/bin/rope-cli
shapes=${ROPE_BENCH_SHAPES:-"30M:512,8,8,4,1376,8192 123M:1024,8,16,4,2816,32000"}
lengths=${ROPE_BENCH_LENGTHS:-"1024 4096"}
long=${ROPE_BENCH_LONG:-"4096 16384 32768"}
train=${ROPE_BENCH_TRAIN:-"demo:256,4,4,4,688,2048 30M:512,8,8,4,1376,8192"}
train_lengths=${ROPE_BENCH_TRAIN_LENGTHS:-"512 1024"}
parts=${ROPE_BENCH_PARTS:-"1 2 3"}
part() { [[ " $parts " == *" $1 "* ]]; }
cores=$(nproc)
load() { uptime | sed 's/.*load average: /load /'; }
have_eager=0
/usr/bin/python3 -c 'import torch' 2>/dev/null && have_eager=1

if part 1; then
echo "# forward, float32 ($cores hardware threads)"
printf '%-5s %6s | %8s %8s %6s | %8s %10s %9s | %7s %7s | %s\n' shape T "matmul" "forward" "share" \
  "engine" "eager/user" "eager/pol" "vs user" "vs pol" "load before"
for entry in $shapes; do
  name=${entry%%:*}
  shape=${entry#*:}
  for T in $lengths; do
    before=$(load)
    out=$("$bench" --synthetic "$shape" --lengths "$T" --repeats 2 2>&1)
    mm=$(sed -n 's/^matmul 1024^3: \([0-9.]*\) GFLOP\/s, 2048^3: \([0-9.]*\).*/\1 \2/p' <<<"$out" |
         awk '{print ($1 > $2 ? $1 : $2)}')
    row=$(awk -v t="$T" '$1 == t {print $3, $4}' <<<"$out")
    tps=${row% *}
    gf=${row#* }
    eu=- ep=- ru=- rp=-
    if [ $have_eager = 1 ]; then
      eu=$(/usr/bin/python3 bench/eager_forward.py "$shape" "$T" "$cores" | sed -n 's/.*, \([0-9.]*\) tokens\/s/\1/p')
      ep=$(OPENBLAS_NUM_THREADS=$cores /usr/bin/python3 bench/eager_forward.py "$shape" "$T" 1 |
           sed -n 's/.*, \([0-9.]*\) tokens\/s/\1/p')
      ru=$(awk -v a="$tps" -v b="$eu" 'BEGIN {printf "x%.2f", a / b}')
      rp=$(awk -v a="$tps" -v b="$ep" 'BEGIN {printf "x%.2f", a / b}')
    fi
    share=$(awk -v a="$gf" -v b="$mm" 'BEGIN {printf "%.0f%%", 100 * a / b}')
    printf '%-5s %6s | %8s %8s %6s | %8s %10s %9s | %7s %7s | %s\n' "$name" "$T" "$mm" "$gf" \
      "$share" "$tps" "$eu" "$ep" "$ru" "$rp" "$before"
  done
done
echo "(matmul, forward: GFLOP/s; engine, eager: tokens/s; eager/user: torch's default pools,"
echo " eager/pol: torch 1 thread and OpenBLAS all of them, the engine's policy)"
fi

if part 2; then
echo
echo "# long context: demo model, rope-cli ppl --method yarn --factor 256, one sample"
printf '%6s | %10s %9s %9s | %s\n' T "peak RSS" "wall s" "CPU s" "load before"
"$cli" corpus >/dev/null
for T in $long; do
  before=$(load)
  log=$(mktemp)
  /usr/bin/time -v "$cli" ppl --model demo --lengths "$T" --samples 1 --method yarn --factor 256 \
    >/dev/null 2>"$log"
  rss=$(awk -F': ' '/Maximum resident/ {printf "%.0f MiB", $2 / 1024}' "$log")
  wall=$(awk -F': ' '/Elapsed/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; ++i) s = s * 60 + p[i]; print s}' "$log")
  cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.1f", s}' "$log")
  printf '%6s | %10s %9s %9s | %s\n' "$T" "$rss" "$wall" "$cpu" "$before"
  rm -f "$log"
done
fi

if part 3; then
echo
echo "# fine-tuning step, batch 4: trainer (rope-bench --train) against eager PyTorch, alternated"
printf '%-5s %5s | %-17s | %-17s | %s\n' shape T "trainer tokens/s" "eager tokens/s" "ratio (load before)"
for entry in $train; do
  name=${entry%%:*}
  shape=${entry#*:}
  for T in $train_lengths; do
    before=$(load)
    tr=() ea=()
    for _ in 1 2; do
      tr+=("$("$bench" --train "$shape" --context "$T" --batch 4 --steps 3 2>&1 |
              sed -n 's/.*, \([0-9.]*\) tokens\/s$/\1/p')")
      [ $have_eager = 1 ] &&
        ea+=("$(/usr/bin/python3 bench/eager_train.py "$shape" "$T" 4 3 | sed -n 's/.*, \([0-9.]*\) tokens\/s$/\1/p')")
    done
    ratio=-
    [ $have_eager = 1 ] && ratio=$(awk -v a="${tr[0]}" -v b="${tr[1]}" -v c="${ea[0]}" -v d="${ea[1]}" \
      'BEGIN {printf "x%.2f", (a + b) / (c + d)}')
    printf '%-5s %5s | %-17s | %-17s | %s (%s)\n' "$name" "$T" "${tr[*]}" "${ea[*]:--}" "$ratio" "$before"
  done
done
fi
