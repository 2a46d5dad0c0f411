#!/usr/bin/env bash
# Regenerates docs/passkey.md: the demo model's passkey retrieval accuracy against prompt length
# (LongRoPE's test) with no scaling, PI, NTK-aware, YaRN and, when present, the searched factor
# sets in resources/demo-factors/ (searched-Mx.json for M = length / window), each method set for
# the length it is tested at (s = length / window). Everything is measured by rope-cli passkey.
# Usage: scripts/passkey-table.sh [OUT.md]   (notes below the marker line of OUT.md are kept)
# Environment: ROPE_DEMO_MODEL (default resources/demo-model), ROPE_CLI (build/bin/rope-cli),
# LENGTHS (128,256,512,1024), DEPTHS (0,0.25,0.5,0.75,1), TRIALS (10), SEED (1), JOBS (1:
# rope-cli processes at once, each on one thread).
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${ROPE_CLI:-build/bin/rope-cli}
out=${1:-docs/passkey.md}
model=${ROPE_DEMO_MODEL:-resources/demo-model}
lengths=${LENGTHS:-128,256,512,1024}
depths=${DEPTHS:-0,0.25,0.5,0.75,1}
trials=${TRIALS:-10}
seed=${SEED:-1}
jobs=${JOBS:-1}
export OPENBLAS_NUM_THREADS=1
[ -f "$model/config.json" ] || { echo "error: no model in $model (set ROPE_DEMO_MODEL)" >&2; exit 1; }
window=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(c.get("original_max_position_embeddings") or c["max_position_embeddings"])' "$model/config.json")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The rope-cli options of a method at scale s (empty: the config's RoPE); "skip" when the
# method has nothing for that scale.
method_args() {  # method_args METHOD S
  local m=$1 s=$2
  case $m in
    none) ;;
    pi) echo --method linear --factor "$s" ;;
    ntk) echo --method ntk --alpha "$s" ;;
    dynamic) echo --method dynamic --factor "$s" ;;
    yarn) echo --method yarn --factor "$s" --original-max "$window" ;;
    searched)
      if [ -f "resources/demo-factors/searched-${s}x.json" ]; then
        echo --rope "resources/demo-factors/searched-${s}x.json"; else echo skip; fi ;;
    needle)
      if [ -f "resources/demo-factors/needle-${s}x.json" ]; then
        echo --rope "resources/demo-factors/needle-${s}x.json"; else echo skip; fi ;;
  esac
}

methods=(none pi ntk dynamic yarn)
ls resources/demo-factors/searched-*x.json > /dev/null 2>&1 && methods+=(searched)
ls resources/demo-factors/needle-*x.json > /dev/null 2>&1 && methods+=(needle)
IFS=, read -r -a lens <<< "$lengths"
commands=()
for m in "${methods[@]}"; do
  for len in "${lens[@]}"; do
    # Within the window every method is the model's own RoPE: measured once, as "none".
    [ "$m" != none ] && [ "$len" -le "$window" ] && continue
    s=$(python3 -c 'import sys; r=int(sys.argv[1])/int(sys.argv[2]); print(int(r) if r==int(r) else r)' "$len" "$window")
    args=$(method_args "$m" "$s")
    [ "$args" = skip ] && continue
    commands+=("$m $len|$cli passkey --model $model --lengths $len --depths $depths --trials $trials --seed $seed --threads 1 $args --json")
  done
done

running=0
for c in "${commands[@]}"; do
  key=${c%%|*}; cmd=${c#*|}
  ( $cmd > "$work/${key// /-}.json" 2> "$work/${key// /-}.err" || { echo "failed: $cmd" >&2; cat "$work/${key// /-}.err" >&2; exit 1; } ) &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
done
wait

printf '%s\n' "${commands[@]}" > "$work/commands.txt"
python3 - "$work" "$model" "$window" "$lengths" "$depths" "$trials" "$seed" "$(nproc)" > "$out.tmp" <<'EOF'
import json, os, sys, datetime
work, model, window, lengths, depths, trials, seed, cores = sys.argv[1:9]
window = int(window); lengths = [int(x) for x in lengths.split(",")]
names = {"none": "none (extrapolation)", "pi": "PI (linear, s)", "ntk": "NTK-aware (alpha = s)",
         "dynamic": "dynamic NTK (s)", "yarn": "YaRN (s)",
         "searched": "LongRoPE search, perplexity fitness (searched-Mx.json)",
         "needle": "LongRoPE search, needle fitness (needle-Mx.json)"}
lines = [l.rstrip("\n").split("|", 1) for l in open(os.path.join(work, "commands.txt"))]
res = {}
for key, _ in lines:
    m, l = key.split()
    res[(m, int(l))] = json.load(open(os.path.join(work, key.replace(" ", "-") + ".json")))
methods = [m for m in names if any(k[0] == m for k in res)]
for m in methods:  # within the window every method is the model's own RoPE
    for l in lengths:
        if l <= window and ("none", l) in res: res.setdefault((m, l), res[("none", l)])
elapsed = sum(r["elapsed_s"] for r in res.values())
cfg = json.load(open(os.path.join(model, "config.json")))
try:
    share = json.load(open(os.path.join(model, "training.json")))["params"]["passkey_share"]
    share = f"{100 * float(share):.0f}%"
except (OSError, KeyError, ValueError):
    share = "a share"
p = print
p("# Passkey retrieval on the demo model")
p()
p(f"Measured by `scripts/passkey-table.sh` ({datetime.date.today()}, {cores} CPU cores shared with "
  f"other work, one torch thread per rope-cli process, float32; {elapsed:.0f} s of rope-cli time).")
p(f"Model: `{model}` ({cfg['num_hidden_layers']} layers, hidden {cfg['hidden_size']}, "
  f"{cfg['num_attention_heads']} heads, head_dim {cfg.get('head_dim')}, vocab {cfg['vocab_size']}, "
  f"trained on {window}-token windows, {share} of them passkey snippets).")
p()
p("The test is LongRoPE's (arXiv 2402.13753, after Mohtashami & Jaggi 2023): a prompt of exactly "
  "L tokens (BOS included) holds the instruction, filler (\"The grass is green. ...\") repeated and "
  "cut to length, \"The pass key is K. Remember it. K is the pass key.\" at a depth "
  "(0: right after the instruction, 1: right before the question), and ends with \"What is the "
  "pass key? The pass key is\". Greedy decoding of up to 10 tokens, run as transformers' "
  "`generate()` runs it with a key/value cache (one pass over the prompt, one per new token, the "
  "RoPE decided per pass); a trial is correct when the "
  "first integer of the output is K. Keys are random in 1..50000 from the seed "
  f"(seed {seed}: the same {trials} keys in every cell and for every method). "
  f"Depths {depths}, {trials} trials per (length, depth) cell, so each accuracy below is over "
  f"{len(depths.split(','))*int(trials)} prompts.")
p()
p(f"Each method is set for the length it is tested at: s = L / {window}. At L = {window} (s = 1) "
  "every method is the model's own RoPE. The searched sets are LongRoPE searches of this model "
  "for 4x and 8x on the validation split (resources/demo-factors/): searched-Mx.json by "
  "perplexity (the paper's fitness), needle-Mx.json by LongRoPE2's needle-driven perplexity "
  "(`rope-cli search --fitness needle`: the key tokens of pass keys hidden in real text).")
p()
def acc(r):
    c = sum(x["correct"] for x in r["cells"]); t = sum(x["trials"] for x in r["cells"])
    return c, t
def logp(r):
    return sum(x["mean_logprob"] for x in r["cells"]) / len(r["cells"])
p("## Accuracy")
p()
p("| method | " + " | ".join(f"{l} ({l/window:g}x)" for l in lengths) + " |")
p("| --- |" + " --- |" * len(lengths))
for m in methods:
    row = []
    for l in lengths:
        r = res.get((m, l))
        if r is None: row.append("—"); continue
        c, t = acc(r); row.append(f"{100*c/t:.0f}% ({c}/{t})")
    p(f"| {names[m]} | " + " | ".join(row) + " |")
p()
p("## Mean log-probability of the key's tokens (nats per token, teacher-forced)")
p()
p("A finer signal than accuracy: 0 is certainty, the uniform guess over the vocabulary is "
  f"-{__import__('math').log(cfg['vocab_size']):.2f}.")
p()
p("| method | " + " | ".join(str(l) for l in lengths) + " |")
p("| --- |" + " --- |" * len(lengths))
for m in methods:
    p(f"| {names[m]} | " + " | ".join(f"{logp(res[(m, l)]):.3f}" if (m, l) in res else "—" for l in lengths) + " |")
p()
p("## Accuracy by depth")
p()
p("Correct of " + trials + " per cell; rows: depth of the key.")
for m in methods:
    p()
    p(f"**{names[m]}**")
    p()
    p("| depth | " + " | ".join(str(l) for l in lengths) + " |")
    p("| --- |" + " --- |" * len(lengths))
    for i, d in enumerate(depths.split(",")):
        p(f"| {d} | " + " | ".join(str(res[(m, l)]["cells"][i]["correct"]) if (m, l) in res else "—" for l in lengths) + " |")
p()
p("## Commands")
p()
p("Each number above comes from one of these (`rope-cli passkey --help`):")
p()
p("```sh")
p("export OPENBLAS_NUM_THREADS=1")
for _, cmd in lines: p(" ".join(["rope-cli"] + cmd.split()[1:]))
p("```")
EOF
# Hand-written notes below the marker in the previous output survive regeneration.
marker='<!-- notes: kept by scripts/passkey-table.sh -->'
{
  echo; echo "$marker"
  if [ -f "$out" ]; then awk -v m="$marker" 'f { print } $0 == m { f = 1 }' "$out"; fi
} >> "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out"
