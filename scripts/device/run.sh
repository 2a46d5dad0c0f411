#!/usr/bin/env bash
# Runs on the GPU machine (see prepare.sh): builds core and rope-cli against pip's LibTorch
# with CUDA, then checks RoPE math and the demo model against Hugging Face transformers and
# measures throughput against transformers with SDPA. Results land in $OUT.
set -uo pipefail
T=third_party_local
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
exec > >(tee "$OUT/run.log") 2>&1
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
python3 -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)'
rm -rf "$T/src" && tar xf "$T/snapshot.tar" -C "$T"
TP=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
start=$(date +%s)
cmake -S "$T/src" -B "$T/build" -DCMAKE_BUILD_TYPE=Release -DROPE_BUILD_GUI=OFF \
  -DROPE_BUILD_TESTS=OFF -DCMAKE_PREFIX_PATH="$TP;$PWD/$T/json" > "$OUT/cmake.log" 2>&1 \
  || { tail -30 "$OUT/cmake.log"; exit 1; }
cmake --build "$T/build" -j 16 > "$OUT/build.log" 2>&1 || { grep -m5 -A5 error "$OUT/build.log"; exit 1; }
echo "build: $(( $(date +%s) - start )) s"
CLI=$T/build/bin/rope-cli
echo "== RoPE math vs transformers"
timeout 120 python3 "$T/src/scripts/device/check_hf_rope.py" "$CLI" "$T/fixtures"
echo "== demo model: rope-cli logits vs transformers"
timeout 120 python3 "$T/src/scripts/device/check_demo_hf.py" "$CLI" "$T/src/resources/demo-model"
echo "== a LongRoPE export of the demo model (short factors to 128, long above): the same check"
timeout 120 python3 "$T/src/scripts/device/check_demo_hf.py" "$CLI" "$T/export"
echo "== throughput: transformers (SDPA, bf16) vs rope-bench on the same checkpoints"
timeout 300 python3 "$T/src/scripts/device/hf_bench.py" "$T/build/bin/rope-bench"
echo "== LongRoPE search of the demo model at 4x on CUDA: candidates batched (auto) vs one per pass"
DATA=$(ls "$T"/validation/*.txt | paste -sd,)
for b in 1 0; do
  timeout 150 "$CLI" search --model "$T/src/resources/demo-model" --data "$DATA" --target-length 512 \
    --population 16 --parents 8 --mutations 4 --crossovers 4 --generations 4 --samples 8 \
    --lambda-max-scale 8 --search-attention --seed 0 --device cuda --batch "$b" \
    --out "$OUT/search-batch$b.json" --json | tail -n 1 | python3 -c 'import json,sys; d=json.load(sys.stdin); print("batch %d: best %.4f, %d evaluations, %.1f s on %s" % (d["batch"], d["best_ppl"], d["evaluations"], d["seconds"], ",".join(d["devices"])))'
done
echo "done in $(( $(date +%s) - start )) s"
