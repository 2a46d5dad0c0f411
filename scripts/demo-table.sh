#!/usr/bin/env bash
# Regenerates docs/demo-model.md: the demo model's perplexity at its training window and, like
# Table 1 of the LongRoPE paper in miniature, each method's perplexity at 4x and 8x that window
# on the test split, all measured by rope-cli. Usage: scripts/demo-table.sh [OUT.md]
# (notes below the marker line of OUT.md are kept)
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${ROPE_CLI:-build/bin/rope-cli}
out=${1:-docs/demo-model.md}
model=$(python3 -c 'import sys; print(sys.argv[1])' "${ROPE_DEMO_MODEL:-resources/demo-model}")
window=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["max_position_embeddings"])' "$model/config.json")
samples=${SAMPLES:-8}
export OPENBLAS_NUM_THREADS=1
corpus=$("$cli" corpus)
validation=$(ls "$corpus"/validation/*.txt | paste -sd,)

ppl() {  # ppl LENGTH DATA [rope args...] -> perplexity
  local length=$1 data=$2; shift 2
  "$cli" ppl --model "$model" --data "$data" --lengths "$length" --samples "$samples" \
    --threads 1 "$@" --json | python3 -c 'import json,sys; print("%.2f" % json.load(sys.stdin)["results"][0]["ppl"])'
}

{
  echo "# The demo model"
  echo
  echo "Measured by \`scripts/demo-table.sh\` ($(date -u +%Y-%m-%d), $(nproc) CPU cores, float32)."
  echo "Model: \`$model\` ($(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print("%d layers, hidden %d, %d heads, head_dim %d, vocab %d, window %d" % (c["num_hidden_layers"], c["hidden_size"], c["num_attention_heads"], c["head_dim"], c["vocab_size"], c["max_position_embeddings"]))' "$model/config.json")),"
  echo "trained by \`$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["command"])' "$model/training.json")\`."
  echo "Data: the King James Bible split by book (\`rope-cli corpus\`); $samples documents per length, each truncated to the length, one forward pass each."
  echo
  echo "## At the training window ($window tokens)"
  echo
  echo "| split | perplexity |"
  echo "| --- | --- |"
  echo "| validation | $(ppl "$window" "$validation") |"
  echo "| test | $(ppl "$window" demo) |"
  echo
  echo "## Passkey retrieval inside the window"
  echo
  echo "LongRoPE's passkey prompt (\`rope-cli passkey\`, docs/passkey.md) of exactly L tokens, the"
  echo "model's own RoPE, keys at depths 0, 0.25, 0.5, 0.75 and 1, 20 random keys per depth"
  echo "(seed 1), greedy decoding, correct when the first integer of the output is the key. At"
  echo "L = $((window - 8)) the prompt and a 5-digit answer fit in the $window trained positions; at"
  echo "L = $window the answer is generated at positions $window and beyond."
  echo
  "$cli" passkey --model "$model" --lengths "$((window - 8)),$window" --depths 0,0.25,0.5,0.75,1 \
    --trials 20 --seed 1 --threads 1 --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
print("| L | correct | accuracy | by depth (0, 0.25, 0.5, 0.75, 1) | mean log p of a key token |")
print("| --- | --- | --- | --- | --- |")
for length in sorted({x["length"] for x in r["cells"]}):
    cells = [x for x in r["cells"] if x["length"] == length]
    c = sum(x["correct"] for x in cells); t = sum(x["trials"] for x in cells)
    lp = sum(x["mean_logprob"] for x in cells) / len(cells)
    depth = ", ".join("%d/%d" % (x["correct"], x["trials"]) for x in cells)
    print("| %d | %d/%d | %.0f%% | %s | %.3f nats |" % (length, c, t, 100.0 * c / t, depth, lp))'
  echo
  echo "## Beyond the window (test split)"
  echo
  echo "Each method is set for the length it is evaluated at (scale s = length / $window)."
  echo
  none() { :; }
  pi() { echo --method linear --factor "$1"; }
  ntk() { echo --method ntk --alpha "$1"; }
  dyn() { echo --method dynamic --factor "$1"; }
  yarn() { echo --method yarn --factor "$1" --original-max "$window"; }
  searched() { echo --rope "resources/demo-factors/searched-$1x.json"; }
  needle() { echo --rope "resources/demo-factors/needle-$1x.json"; }
  table() {  # table [extra ppl args...]: one row per method, columns 4x and 8x
    echo "| method | $((window * 4)) (4x) | $((window * 8)) (8x) |"
    echo "| --- | --- | --- |"
    row() {
      local name=$1 fn=$2
      local line="| $name |"
      for m in 4 8; do line="$line $(ppl $((window * m)) demo "${extra[@]}" $($fn $m)) |"; done
      echo "$line"
    }
    row "none (extrapolation)" none
    row "PI (linear)" pi
    row "NTK-aware (alpha = s)" ntk
    row "dynamic NTK" dyn
    row "YaRN" yarn
    if [ -f resources/demo-factors/searched-4x.json ] && [ -f resources/demo-factors/searched-8x.json ]; then
      row "LongRoPE search (resources/demo-factors)" searched
    fi
    if [ -f resources/demo-factors/needle-4x.json ] && [ -f resources/demo-factors/needle-8x.json ]; then
      row "LongRoPE search, needle fitness" needle
    fi
  }
  extra=()
  table
  echo
  echo "## Only the tokens beyond the window (test split)"
  echo
  echo "The same evaluation scoring only positions >= $window (\`--score-from $window\`): what"
  echo "each method does where the model never saw positions in training. Compared with the"
  echo "table above it separates what a method gains beyond the window from what it costs inside"
  echo "it (Position Interpolation, without fine-tuning, shrinks every distance s-fold, the"
  echo "distances inside the window included)."
  echo
  extra=(--score-from "$window")
  table
} > "$out.tmp"
# Hand-written notes below the marker in the previous output survive regeneration.
marker='<!-- notes: kept by scripts/demo-table.sh -->'
{
  echo; echo "$marker"
  if [ -f "$out" ]; then awk -v m="$marker" 'f { print } $0 == m { f = 1 }' "$out"; fi
} >> "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out"
