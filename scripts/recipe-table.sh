#!/usr/bin/env bash
# Regenerates docs/recipe.md: LongRoPE's whole recipe on the demo model (rope-cli extend: search
# at 8x, fine-tune there, search again at 32x on the fine-tuned model, readjust the short
# factors, fine-tune again at 8x with the final factors) beside the paper's baselines on the
# same fine-tuning budget (PI + fine-tuning and YaRN + fine-tuning, rope-cli train --init
# --method, as many steps as both fine-tunings) and the methods without fine-tuning; every stage
# has its row, the paper's final (stage four: no second fine-tuning) among them.
# Perplexity (test split) and passkey retrieval at 1x, 4x, 8x, 16x and 32x the window, the
# cost of every stage, and the factor curves as a picture (docs/recipe-factors.svg).
# Everything is made and measured by rope-cli; finished parts in WORK are reused.
# Usage: scripts/recipe-table.sh [OUT.md]   (notes below the marker line of OUT.md are kept)
# Environment: ROPE_CLI (build/bin/rope-cli), WORK (build-recipe), TARGET (4096),
# LENGTHS (128,512,1024,2048,4096), DEPTHS (0,0.25,0.5,0.75,1), TRIALS (20), SAMPLES (8),
# SEED (1: the passkey keys), JOBS (2: rope-cli evaluations at once, one thread each),
# RECIPE_THREADS (2), RECIPE_OPTIONS (more rope-cli extend options, e.g. "--seed 1": the
# recipe's and, plus one, the baselines' training seed), SPREAD (other WORK folders, made by
# this script with other RECIPE_OPTIONS seeds: a table of the fine-tuned rows in every run),
# CHECK_SEED (2: the fine-tuned rows again up to the fine-tuning length with the keys of
# another passkey seed, in every run; empty: none), REPORT_ONLY (1: write the document from the
# results already in WORK/eval; cells not yet measured show "—"), ROWS (the rows to measure,
# of: none pi ntk yarn pi-ft yarn-ft pi-ft-uniform yarn-ft-uniform lr-ft lr-search2 lr-paper
# lr-final; default all; the two "uniform" rows, baselines fine-tuned with uniform passkey keys,
# exist when the recipe draws its keys by length).
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${ROPE_CLI:-build/bin/rope-cli}
out=${1:-docs/recipe.md}
work=${WORK:-build-recipe}
target=${TARGET:-4096}
lengths=${LENGTHS:-128,512,1024,2048,4096}
depths=${DEPTHS:-0,0.25,0.5,0.75,1}
trials=${TRIALS:-20}
samples=${SAMPLES:-8}
seed=${SEED:-1}
check_seed=${CHECK_SEED-2}
jobs=${JOBS:-2}
threads=${RECIPE_THREADS:-2}
# (No OPENBLAS_NUM_THREADS here: it would win over the recipe's --threads; every other command
# gets --threads 1, which gives OpenBLAS's pool one thread.)
model=$($cli paths | awk '$1 == "demo" && $2 == "model" { print $3 }')
[ -f "$model/config.json" ] || { echo "error: no demo model ($cli paths)" >&2; exit 1; }
window=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(c.get("original_max_position_embeddings") or c["max_position_embeddings"])' "$model/config.json")
recipe=$work/demo-$target
mkdir -p "$work"

# 1. The recipe (resumed if a run was stopped).
if [ ! -f "$recipe/model/config.json" ]; then
  resume=; [ -f "$recipe/recipe.json" ] && resume=--resume
  echo "recipe: $cli extend --out $recipe --target $target --threads $threads ${RECIPE_OPTIONS:-} $resume" >&2
  # shellcheck disable=SC2086  # RECIPE_OPTIONS is a list of options
  $cli extend --out "$recipe" --target "$target" --threads "$threads" ${RECIPE_OPTIONS:-} $resume >&2
fi
# The fine-tuning options the recipe used, for the baselines' equal budget.
read -r ftlen steps batch lr warmup share short keys every windows ftseed < <(python3 - "$recipe/recipe.json" <<'EOF'
import json, sys
o = json.load(open(sys.argv[1]))["options"]
# The baselines' steps: both fine-tunings' (stages two and five).
print(o["fine_tune_length"], o["steps"] + o.get("refine_steps", 0), o["batch"], o["learning_rate"],
      o["warmup_steps"], o["passkey_share"], o.get("short_share", 0),
      o.get("passkey_keys", "uniform"), o["eval_every"],
      o["eval_windows"], int(o["seed"]) + 1)
EOF
)
s_ft=$((ftlen / window))

# 2. The baselines: PI and YaRN at the fine-tuning length, fine-tuned on the same budget.
train_cmd() {  # train_cmd NAME KEYS METHOD-ARGS...
  local name=$1 k=$2; shift 2
  echo "$cli train --init $model --context $ftlen $* --out $work/ft-$name --steps $steps --batch $batch --lr $lr --warmup $warmup --passkey-share $share --short-share $short --passkey-keys $k --eval-every $every --eval-windows $windows --seed $ftseed --threads 1"
}
pi_args="--method linear --factor $s_ft"
yarn_args="--method yarn --factor $s_ft --original-max $window"
baselines=("pi|$(train_cmd pi "$keys" $pi_args)" "yarn|$(train_cmd yarn "$keys" $yarn_args)")
# With keys drawn by length the baselines also run with uniform keys: the draw that serves a
# model fine-tuned once better (docs/recipe.md's notes).
if [ "$keys" = by-length ]; then
  baselines+=("pi-uniform|$(train_cmd pi-uniform uniform $pi_args)"
              "yarn-uniform|$(train_cmd yarn-uniform uniform $yarn_args)")
fi
running=0
for b in "${baselines[@]}"; do
  name=${b%%|*}; cmd=${b#*|}
  [ -f "$work/ft-$name/config.json" ] && continue
  [ "${REPORT_ONLY:-0}" = 1 ] && { echo "error: REPORT_ONLY, but baseline $name is not trained" >&2; exit 1; }
  resume=; [ -f "$work/ft-$name.partial/state.json" ] && resume=--resume
  [ -z "$resume" ] && rm -rf "$work/ft-$name.partial"
  echo "baseline: $cmd $resume" >&2
  $cmd $resume > "$work/ft-$name.log" 2>&1 &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
done
wait
for b in "${baselines[@]}"; do
  name=${b%%|*}
  [ -f "$work/ft-$name/config.json" ] || { echo "error: baseline $name failed; see $work/ft-$name.log" >&2; exit 1; }
done

# After the second search the fine-tuned model keeps its short factors (ones): the searched long
# factors with them, as one factor set.
python3 - "$recipe/3-search2/factors.json" "$work/search2-with-short.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["factor_sets"][0]
s["short_factors"] = [1.0] * len(s["factors"])
s["name"] = s["name"] + "-short-ones"
json.dump(d, open(sys.argv[2], "w"), indent=1)
EOF

# 3. Evaluations: every row at every length, perplexity and passkey.
all_rows=(none pi ntk yarn pi-ft yarn-ft pi-ft-uniform yarn-ft-uniform lr-ft lr-search2 lr-paper lr-final)
read -r -a rows <<< "${ROWS:-${all_rows[*]}}"
for r in "${rows[@]}"; do
  [[ " ${all_rows[*]} " == *" $r "* ]] || { echo "error: unknown row '$r' in ROWS (${all_rows[*]})" >&2; exit 1; }
done
row_args() {  # row_args ROW LENGTH -> "MODEL ARGS..." or "skip"
  local r=$1 len=$2 s
  s=$(python3 -c 'import sys; r=int(sys.argv[1])/int(sys.argv[2]); print(int(r) if r==int(r) else r)' "$len" "$window")
  case $r in
    none) echo "$model" ;;
    pi) [ "$len" -le "$window" ] && echo skip || echo "$model --method linear --factor $s" ;;
    ntk) [ "$len" -le "$window" ] && echo skip || echo "$model --method ntk --alpha $s" ;;
    yarn) [ "$len" -le "$window" ] && echo skip || echo "$model --method yarn --factor $s --original-max $window" ;;
    pi-ft) echo "$work/ft-pi" ;;
    yarn-ft) echo "$work/ft-yarn" ;;
    pi-ft-uniform|yarn-ft-uniform)
      [ "$keys" = by-length ] && echo "$work/ft-${r%-ft-uniform}-uniform" || echo skip ;;
    lr-ft) echo "$recipe/2-finetune/model" ;;
    lr-search2) echo "$recipe/2-finetune/model --rope $work/search2-with-short.json" ;;
    lr-paper) echo "$recipe/2-finetune/model --rope $recipe/4-short/factors.json" ;;
    lr-final) echo "$recipe/model" ;;
  esac
}
ev=$work/eval
mkdir -p "$ev"
IFS=, read -r -a lens <<< "$lengths"
commands=()
for r in "${rows[@]}"; do
  for len in "${lens[@]}"; do
    args=$(row_args "$r" "$len")
    [ "$args" = skip ] && continue
    m=${args%% *}; rest=${args#"$m"}
    commands+=("ppl-$r-$len|$cli ppl --model $m --lengths $len --samples $samples --threads 1$rest --json")
    commands+=("passkey-$r-$len|$cli passkey --model $m --lengths $len --depths $depths --trials $trials --seed $seed --threads 1$rest --json")
    # The check with other keys: the fine-tuned rows within the fine-tuning length.
    case $r in pi-ft*|yarn-ft*|lr-ft|lr-final) ;; *) continue ;; esac
    [ -n "$check_seed" ] && [ "$len" -le "$ftlen" ] || continue
    commands+=("keys$check_seed-$r-$len|$cli passkey --model $m --lengths $len --depths $depths --trials $trials --seed $check_seed --threads 1$rest --trials-detail --json")
  done
done
running=0
for c in "${commands[@]}"; do
  [ "${REPORT_ONLY:-0}" = 1 ] && break
  key=${c%%|*}; cmd=${c#*|}
  # A result made by the same command is reused.
  if [ -f "$ev/$key.json" ] && [ "$(cat "$ev/$key.cmd" 2>/dev/null)" = "$cmd" ]; then continue; fi
  ( $cmd > "$ev/$key.json.tmp" 2> "$ev/$key.err" && mv "$ev/$key.json.tmp" "$ev/$key.json" && echo "$cmd" > "$ev/$key.cmd" \
      || { echo "failed: $cmd" >&2; cat "$ev/$key.err" >&2; exit 1; } ) &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
done
wait
printf '%s\n' "${commands[@]}" > "$ev/commands.txt"
printf '%s\n' "${baselines[@]}" > "$ev/baselines.txt"

# 4. The document and the picture.
python3 - "$recipe" "$work" "$model" "$window" "$lengths" "$depths" "$trials" "$seed" "$(nproc)" \
    "${out%.md}-factors.svg" > "$out.tmp" <<'EOF'
import json, math, os, sys, datetime
recipe, work, model, window, lengths, depths, trials, seed, cores, svg = sys.argv[1:11]
window = int(window); lengths = [int(x) for x in lengths.split(",")]
ev = os.path.join(work, "eval")
names = {
    "none": "no scaling", "pi": "PI (s = L / window), no fine-tuning",
    "ntk": "NTK-aware (alpha = s), no fine-tuning", "yarn": "YaRN (s), no fine-tuning",
    "pi-ft": "PI + fine-tuning", "yarn-ft": "YaRN + fine-tuning",
    "pi-ft-uniform": "PI + fine-tuning, uniform keys",
    "yarn-ft-uniform": "YaRN + fine-tuning, uniform keys",
    "lr-ft": "LongRoPE: search + fine-tuning", "lr-search2": "LongRoPE: + second search",
    "lr-paper": "LongRoPE: + short readjust (the paper's final)",
    "lr-final": "LongRoPE: + fine-tuning again with the final factors (final)"}
def accuracy(d):  # a passkey result's share of correct trials, as "NN%"
    c = sum(x["correct"] for x in d["cells"]); t = sum(x["trials"] for x in d["cells"])
    return f"{100 * c / t:.0f}%"
def load(kind, r, l):
    f = os.path.join(ev, f"{kind}-{r}-{l}.json")
    if os.path.exists(f): return json.load(open(f))
    if r in ("pi", "ntk", "yarn") and l <= window: return load(kind, "none", l)
    return None
report = json.load(open(os.path.join(recipe, "report.json")))
missing = []
opts = report["options"]
by_length = opts.get("passkey_keys") == "by-length"
# The rows with uniform keys exist when the recipe's keys were drawn by length.
rows = [r for r in names if by_length or not r.endswith("-uniform")]
def sets(path):
    return json.load(open(os.path.join(recipe, path)))["factor_sets"][0]
s1, s2, s4 = sets("1-search/factors.json"), sets("3-search2/factors.json"), sets("4-short/factors.json")
p = print
p("# LongRoPE's recipe on the demo model")
p()
p(f"Made and measured by `scripts/recipe-table.sh` ({datetime.date.today()}, {cores} CPU cores, "
  "float32, rope-cli only). The recipe is one command:")
p()
p("```sh")
p(json.load(open(os.path.join(recipe, "recipe.json")))["command"])  # as it was run
p("```")
p()
p(f"that is: stage 1 searches the long factors at {opts['fine_tune_length']} tokens "
  f"({opts['fine_tune_length'] // window}x the window of {window}; population {opts['population']}, "
  f"{opts['generations']} generations, {opts['samples']} validation documents per evaluation, no "
  f"n_hat); stage 2 fine-tunes the demo model there with them ({opts['steps']} steps of "
  f"{opts['batch']} windows, AdamW, learning rate {opts['learning_rate']}, "
  f"{100 * opts['passkey_share']:.0f}% passkey snippets"
  + (", their keys' digit counts uniform in 1..5" if opts.get('passkey_keys') == 'by-length'
     else "") + ", "
  f"{100 * opts.get('short_share', 0):.0f}% of each step's rows as windows of {window} tokens read "
  f"with the short factors); stage 3 searches again on the fine-tuned model at {opts['target']} "
  f"({opts['target'] // window}x), scoring each candidate at "
  f"{opts['target']} and at {opts['fine_tune_length']} (geometric mean) with the attention factor "
  f"held at the fine-tuned value; stage 4 readjusts the short factors at {window} tokens on the "
  f"fine-tuned model (the paper's last stage); stage 5 fine-tunes again at "
  f"{opts['fine_tune_length']} with the final factors, stage 3's long and stage 4's short ones "
  f"({opts.get('refine_steps', 0)} steps, learning rate {opts.get('refine_learning_rate', 0)}, "
  "otherwise as stage 2). The baselines are fine-tuned with the same budget (as many steps as "
  "stages 2 and 5 together), data (short windows included) and seed "
  "(`rope-cli train --init ... --method linear|yarn --factor "
  f"{opts['fine_tune_length'] // window}`). "
  + ("They are also fine-tuned with uniform keys (the rows \"uniform keys\"): models "
     "fine-tuned once read back more keys with them (see the notes). " if by_length else "") +
  "The paper's recipe has no stage 5: its row is the "
  "first fine-tuned model with stage 4's factors. Every passkey snippet of the fine-tuning data "
  "ends its answer with the key sentence's period (the model learns where a key ends).")
p()
p("## Perplexity (test split)")
p()
p(f"Up to {int(os.environ.get('SAMPLES', 8))} "
  "test documents per length, each truncated to L; documents shorter than L are left out "
  "(the sample count is in brackets where it is lower). The methods without fine-tuning are set "
  "for the length they are tested at (s = L / window); the fine-tuned models are evaluated as "
  "their exported config.json says (LongRoPE: short factors at or below the window, long above).")
p()
p("| method | " + " | ".join(f"{l} ({l // window}x)" for l in lengths) + " |")
p("| --- |" + " --- |" * len(lengths))
kind_ = "ppl"
for r in rows:
    row = []
    for l in lengths:
        d = load("ppl", r, l)
        if d is None: row.append("—"); missing.append(f"{kind_} {r} {l}"); continue
        x = d["results"][0]
        row.append(f"{x['ppl']:.2f}" + (f" ({x['samples']})" if x["samples"] < int(os.environ.get("SAMPLES", 8)) else ""))
    p(f"| {names[r]} | " + " | ".join(row) + " |")
p()
at_window = [load("ppl", r, window) for r in ("none", "lr-ft", "lr-paper", "lr-final")]
if all(at_window):  # (not with a ROWS selection that leaves one out)
    base, ft, paper, fin = (d["results"][0]["ppl"] for d in at_window)
    p(f"At the original window ({window} tokens): the demo model {base:.2f}; after fine-tuning "
      f"{ft:.2f} ({100 * (ft / base - 1):+.1f}%); after the short readjust {paper:.2f} "
      f"({100 * (paper / base - 1):+.1f}%); the final model {fin:.2f} "
      f"({100 * (fin / base - 1):+.1f}%).")
    p()
p("## Passkey retrieval")
p()
n = len(depths.split(",")) * int(trials)
p(f"`rope-cli passkey` (LongRoPE's test, see docs/passkey.md): {n} prompts per cell, "
  f"{trials} keys at each of the depths {depths}, greedy decoding, seed {seed}.")
p()
p("| method | " + " | ".join(f"{l} ({l // window}x)" for l in lengths) + " |")
p("| --- |" + " --- |" * len(lengths))
kind_ = "passkey"
for r in rows:
    row = []
    for l in lengths:
        d = load("passkey", r, l)
        if d is None: row.append("—"); missing.append(f"{kind_} {r} {l}"); continue
        row.append(accuracy(d))
    p(f"| {names[r]} | " + " | ".join(row) + " |")
p()
spread = [work] + os.environ.get("SPREAD", "").split()
if len(spread) > 1:
    p("### The same recipe and baselines with other training seeds")
    p()
    p("Each run retrains the recipe (`RECIPE_OPTIONS=\"--seed N\"`) and the baselines (seed "
      "N + 1) and measures them with the same prompts; the spread between runs is the noise the "
      "comparisons above carry.")
    p()
    p("| method | training seed | " + " | ".join(f"{l} ({l // window}x)" for l in lengths) + " |")
    p("| --- | --- |" + " --- |" * len(lengths))
    for r in [r for r in rows if r.startswith(("pi-ft", "yarn-ft"))] + ["lr-ft", "lr-paper", "lr-final"]:
        for w in spread:
            seed_ = json.load(open(os.path.join(w, f"demo-{opts['target']}", "recipe.json")))["options"]["seed"]
            row = []
            for l in lengths:
                f = os.path.join(w, "eval", f"passkey-{r}-{l}.json")
                row.append(accuracy(json.load(open(f))) if os.path.exists(f) else "—")
            baseline = r.startswith(("pi-ft", "yarn-ft"))  # trained with the recipe's seed + 1
            p(f"| {names[r]} | {int(seed_) + baseline} | " + " | ".join(row) + " |")
    p()
check = os.environ.get("CHECK_SEED", "2")
if check:
    short = [l for l in lengths if l <= opts["fine_tune_length"]]
    p(f"### The fine-tuned models with other keys (passkey seed {check})")
    p()
    p(f"The same test at the lengths up to the fine-tuning length with the {trials} keys of "
      f"`--seed {check}` instead of {seed} ({n} prompts per cell; each key is asked at every depth, "
      "so a model that cannot read one key back loses "
      f"{100 // int(trials)} points of a cell). Missed keys: those the model read back wrong at "
      "some depth, over the cells of the row, with how often.")
    p()
    p("| method | training seed | " + " | ".join(f"{l} ({l // window}x)" for l in short) +
      " | missed keys |")
    p("| --- | --- |" + " --- |" * len(short) + " --- |")
    for r in [r for r in rows if r.startswith(("pi-ft", "yarn-ft"))] + ["lr-ft", "lr-final"]:
        for w in spread:
            seed_ = json.load(open(os.path.join(w, f"demo-{opts['target']}", "recipe.json")))["options"]["seed"]
            row, misses = [], {}
            for l in short:
                f = os.path.join(w, "eval", f"keys{check}-{r}-{l}.json")
                if not os.path.exists(f): row.append("—"); missing.append(f"keys {r} {l}"); continue
                d = json.load(open(f)); row.append(accuracy(d))
                for c in d["cells"]:
                    for t in c.get("trial_scores", []):
                        if not t["correct"]: misses[t["key"]] = misses.get(t["key"], 0) + 1
            top = sorted(misses.items(), key=lambda kv: (-kv[1], kv[0]))[:4]
            keys = ", ".join(f"{k} ({v})" for k, v in top) + (", ..." if len(misses) > 4 else "")
            baseline = r.startswith(("pi-ft", "yarn-ft"))
            p(f"| {names[r]} | {int(seed_) + baseline} | " + " | ".join(row) + f" | {keys or 'none'} |")
    p()
if missing:
    p(f"—: not measured when this page was written ({len(missing)} cells; the script was run "
      "with `REPORT_ONLY=1` before its evaluations had finished). Rerunning the script fills "
      "them in and keeps every result already made.")
    p()
p("## Cost of each stage")
p()
p("| stage | seconds | evaluations | steps | result |")
p("| --- | --- | --- | --- | --- |")
labels = {"search": f"1. search at {opts['fine_tune_length']}", "finetune": f"2. fine-tune at {opts['fine_tune_length']}",
          "search2": f"3. search at {opts['target']} (fine-tuned model)",
          "short": f"4. short readjust at {window}", "refine": f"5. fine-tune again at {opts['fine_tune_length']}"}
total = 0
for st in report["stages"]:
    total += st["seconds"]
    what = (f"validation perplexity {st['best_perplexity']:.2f}" if st["stage"] in ("finetune", "refine")
            else f"best validation perplexity {st['best_perplexity']:.2f}" +
            (f" (geometric mean at {opts['fine_tune_length']} and {opts['target']})"
             if st["stage"] == "search2" else ""))
    p(f"| {labels[st['stage']]} | {st['seconds']:.0f} | {st['evaluations']} | {st['steps']} | {what} |")
p(f"| recipe total | {total:.0f} ({total / 60:.1f} min) | | | |")
for r in ("pi-ft", "yarn-ft", "pi-ft-uniform", "yarn-ft-uniform"):
    f = os.path.join(work, "ft-" + r.replace("-ft", ""), "training.json")  # ft-pi, ft-pi-uniform
    if not os.path.exists(f): continue
    info = json.load(open(f))
    p(f"| baseline: {names[r]} (one thread) | {info.get('seconds', float('nan')):.0f} | | {info['params']['steps']} | validation perplexity {info['validation_perplexity']:.2f} |")
p()
p("## Factor curves")
p()
p(f"![factor curves of each stage]({os.path.basename(svg)})")
p()
p(f"Per-pair rescale factors lambda_i (log scale) against the pair index i (0: highest frequency): "
  f"stage 1's long factors at {opts['fine_tune_length']}, stage 3's at {opts['target']}, and stage 4's "
  f"short factors. The final config holds stage 3's long and stage 4's short factors.")
p()
p("| pair | " + " | ".join(str(i) for i in range(0, len(s1["factors"]), 4)) + " |")
p("| --- |" + " --- |" * len(range(0, len(s1["factors"]), 4)))
for label, vals in (("stage 1 long", s1["factors"]), ("stage 3 long", s2["factors"]),
                    ("stage 4 short", s4.get("short_factors") or [])):
    if vals: p(f"| {label} | " + " | ".join(f"{vals[i]:g}" for i in range(0, len(vals), 4)) + " |")
p()
p("## Commands")
p()
p("```sh")
# The demo model's folder is machine-specific: the commands say --model demo / --init demo.
# The program is named as installed, not by its path here.
demo = lambda line: " ".join(["rope-cli"] + line.split("|", 1)[1].replace(f" {model} ", " demo ").split()[1:])
for line in open(os.path.join(ev, "baselines.txt")): p(demo(line))
for line in open(os.path.join(ev, "commands.txt")): p(demo(line))
p("```")

# The picture: a small hand-made SVG (no plotting library needed).
W, H, L, R, T, B = 640, 360, 60, 20, 20, 40
curves = [("stage 1 long (%d)" % opts["fine_tune_length"], s1["factors"], "#1f77b4"),
          ("stage 3 long (%d)" % opts["target"], s2["factors"], "#d62728"),
          ("stage 4 short (%d)" % window, s4.get("short_factors") or [], "#2ca02c")]
vals = [v for _, c, _ in curves for v in c]
top = max(vals); lo, hi = 0.0, math.log10(max(top, 1.0) * 1.2)
pairs = len(s1["factors"])
def X(i): return L + (W - L - R) * i / max(1, pairs - 1)
def Y(v): return T + (H - T - B) * (1 - (math.log10(v) - lo) / (hi - lo))
o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
     f'<rect width="{W}" height="{H}" fill="white"/>']
for k in range(0, int(hi) + 1):
    for m in (1, 2, 5):
        v = m * 10 ** k
        if v < 1 or math.log10(v) > hi: continue
        o.append(f'<line x1="{L}" x2="{W-R}" y1="{Y(v):.1f}" y2="{Y(v):.1f}" stroke="#ddd"/>')
        o.append(f'<text x="{L-6}" y="{Y(v)+4:.1f}" text-anchor="end">{v:g}</text>')
for i in range(0, pairs, 4):
    o.append(f'<text x="{X(i):.1f}" y="{H-B+16}" text-anchor="middle">{i}</text>')
o.append(f'<text x="{(L+W-R)/2}" y="{H-6}" text-anchor="middle">pair i</text>')
o.append(f'<text x="14" y="{(T+H-B)/2}" text-anchor="middle" transform="rotate(-90 14 {(T+H-B)/2})">lambda_i</text>')
o.append(f'<rect x="{L}" y="{T}" width="{W-L-R}" height="{H-T-B}" fill="none" stroke="#888"/>')
for n_, (label, c, color) in enumerate(curves):
    if not c: continue
    pts = " ".join(f"{X(i):.1f},{Y(v):.1f}" for i, v in enumerate(c))
    o.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2"/>')
    o.append(f'<text x="{L+10}" y="{T+16+16*n_}" fill="{color}">{label}</text>')
o.append("</svg>")
open(svg, "w").write("\n".join(o) + "\n")
EOF
marker='<!-- notes: kept by scripts/recipe-table.sh -->'
{
  echo; echo "$marker"
  if [ -f "$out" ]; then awk -v m="$marker" 'f { print } $0 == m { f = 1 }' "$out"; fi
} >> "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out"
